/**
 * Reading an RS256 verification key from PEM text (the configured key or one from an ASAP key server).
 * Pure apart from node:crypto's parser.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

const PEM = /^-----BEGIN (RSA )?PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (RSA )?PUBLIC KEY-----$/;

// jose refuses smaller RSA keys for RS256; saying so here gives a clearer message.
const MIN_RSA_BITS = 2048;

/**
 * Returns the RSA public key in `pem`, or throws an Error saying what is wrong. Only public-key PEM is taken:
 * a private key or a certificate is refused rather than silently reduced to its public half.
 */
export function rsaPublicKeyFromPem(pem: string): KeyObject {
  const trimmed = pem.trim();
  if (!PEM.test(trimmed)) throw new Error('it is not a PEM public key (-----BEGIN PUBLIC KEY-----)');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: trimmed, format: 'pem' });
  } catch {
    throw new Error('its PEM text does not decode to a public key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`it is a ${key.asymmetricKeyType ?? 'non-RSA'} key; RS256 needs an RSA key`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new Error(`its RSA key has ${bits} bits; RS256 needs at least ${MIN_RSA_BITS}`);
  return key;
}

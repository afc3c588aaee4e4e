/**
 * Reads HOCON (Jibri's jibri.conf) into plain JSON values with @pushcorn/hocon-parser, restricted to what
 * Typesafe config (Jibri's reader) does: beyond HOCON the parser can include URLs and classpath resources, run
 * included `.js` files and apply `| transform`s (some evaluate JavaScript). A configuration file must not fetch
 * or run anything, so those components are replaced by ones that refuse; `include "file"` of local files stays
 * (docker-jitsi-meet's jibri.conf includes its xmpp.conf), relative to the including file, a missing
 * non-`required` one skipped as HOCON says. Substitutions (`${a.b}`, `${?NAME}`) resolve against the document,
 * then the given environment map (never process.env directly, so callers and tests choose it).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import hocon from '@pushcorn/hocon-parser';

export class HoconError extends Error {
  override name = 'HoconError';
}

const INCLUDE_REFUSED = 'only local files can be included (no url(), classpath() or .js files)';
const TRANSFORM_REFUSED = "value transforms ('|') are not supported: write plain HOCON values";

let hardened = false;

/** Replaces, by class name (the parser's registry key), every component that could read, fetch or run something. */
function harden(): void {
  if (hardened) return;
  const refuse = (base: typeof hocon.SourceAdapter, name: string, message: string, aliases: readonly string[] = []) => {
    const Base = base as unknown as new (...args: unknown[]) => object;
    const named = {
      [name]: class extends Base {
        static get aliases(): readonly string[] {
          return aliases;
        }
        constructor(...args: unknown[]) {
          super(...args);
          throw new HoconError(message);
        }
      },
    };
    return named[name] as typeof hocon.SourceAdapter & { readonly name: string };
  };
  hocon.registerComponent(
    refuse(hocon.SourceAdapter, 'HttpSource', INCLUDE_REFUSED),
    refuse(hocon.SourceAdapter, 'HttpsSource', INCLUDE_REFUSED),
    refuse(hocon.SourceAdapter, 'ModulepathSource', INCLUDE_REFUSED, ['classpath']),
    refuse(hocon.BuilderAdapter, 'ScriptBuilder', INCLUDE_REFUSED),
    ...[
      'Base64DecodeTransform',
      'Base64EncodeTransform',
      'EvalTransform',
      'FilterTransform',
      'HashTransform',
      'InvokeTransform',
      'MapTransform',
      'QueryTransform',
      'ReduceTransform',
      'SliceTransform',
      'SortTransform',
      'TrimTransform',
      'UniqueTransform',
    ].map((name) => refuse(hocon.TransformAdapter, name, TRANSFORM_REFUSED)),
  );
  hardened = true;
}

/**
 * The parser's messages can quote a few characters of the text (e.g. part of an unquoted value, which may be
 * a password). Keep the position, the kind of problem and a substitution's name (a key path, not a value);
 * drop every other quoted fragment.
 */
export function safeHoconMessage(message: string): string {
  if (message === INCLUDE_REFUSED || message === TRANSFORM_REFUSED) return message;
  const unresolved = /Unable to resolve '([A-Za-z0-9_.-]{1,200})'/.exec(message);
  const pos = /line:\s*(\d+),\s*col:\s*(\d+)/.exec(message);
  const where = pos ? ` at line ${pos[1]}, column ${pos[2]}` : '';
  if (unresolved) {
    return `the substitution \${${unresolved[1]}}${where} is not set (use \${?${unresolved[1]}} to make it optional)`;
  }
  const what = (message.split(/\.\s|\(|Token:/)[0] ?? '')
    .replace(/'[^']*'|"[^"]*"/g, '…')
    .replace(/[\s.]+$/, '')
    .trim();
  return `${what || 'not valid HOCON'}${where}`;
}

type Env = Readonly<Record<string, string | undefined>>;

async function run(source: { text: string } | { url: string; builder: 'config' }, env: Env): Promise<unknown> {
  harden();
  const scope: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) scope[k] = v;
  try {
    return await hocon({ ...source, strict: true, env: false, scope });
  } catch (err) {
    throw new HoconError(safeHoconMessage(err instanceof Error ? err.message : String(err)));
  }
}

/** Parses HOCON text (includes resolve against the working directory). Throws HoconError, never quoting the text. */
export function parseHocon(text: string, env: Env): Promise<unknown> {
  return run({ text }, env);
}

/** Parses a HOCON file whatever its extension (includes resolve beside it). Throws HoconError, never quoting the text. */
export function parseHoconFile(file: string, env: Env): Promise<unknown> {
  return run({ url: pathToFileURL(resolve(file)).href, builder: 'config' }, env);
}

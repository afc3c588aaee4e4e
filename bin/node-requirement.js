// Which Node runs Scriba's TypeScript sources: type stripping is on by default from 22.18 (and 23.6); the
// embedded queue's node:sqlite needs no flag from 22.13. Plain JavaScript: an older Node must parse it.

/** The minimum, as people read it. */
export const REQUIRED_NODE = '22.18';

/** True when Node `version` ("20.19.1", "v24.2.0") runs the sources as they are. */
export function meetsNodeRequirement(version) {
  const [major = 0, minor = 0] = String(version).replace(/^v/, '').split('.').map(Number);
  if (major === 22) return minor >= 18;
  if (major === 23) return minor >= 6;
  return major > 23;
}

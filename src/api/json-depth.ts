/**
 * Nesting depth of a parsed JSON value, without recursion (a body nested thousands deep must give a clear
 * 400, not a stack overflow further in). Pure.
 */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests deeper than `max` arrays/objects. Stops as soon as it knows. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

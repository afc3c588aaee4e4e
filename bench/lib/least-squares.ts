/** Pure: a rate in seconds per second (a slope, or a clock's error) as ms per 30 minutes, to 0.1 ms. */
export function msPer30Min(secPerSec: number): number {
  return Math.round(secPerSec * 1800 * 1000 * 10) / 10;
}

/** Pure: least-squares slope of `offset` against `t` (units of offset per unit of t); null below two points. */
export function slope(points: readonly { t: number; offset: number }[]): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mo = points.reduce((a, p) => a + p.offset, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.offset - mo);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? null : num / den;
}

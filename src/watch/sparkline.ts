/** Sparklines: one block character per sample, ▁ (lowest) to █ (highest), as spark(1) and btop draw them. */

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` values as bars scaled between `min` (default: the values' minimum, or 0 when
 * all are ≥ 0 and `fromZero`) and `max` (default: their maximum). Missing values are spaces.
 *
 * @example sparkline([0, 1, 2, 3], 4) // "▁▃▆█"
 */
export function sparkline(values: ReadonlyArray<number | null>, width: number, opts: { min?: number; max?: number } = {}): string {
  const tail = values.slice(-Math.max(0, width));
  const known = tail.filter((v): v is number => v !== null && Number.isFinite(v));
  if (known.length === 0) return ' '.repeat(tail.length);
  const lo = opts.min ?? Math.min(...known);
  const hi = opts.max ?? Math.max(...known);
  return tail
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (hi <= lo) return v > 0 ? BARS[3] : BARS[0];
      const k = Math.round(((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (BARS.length - 1));
      return BARS[k];
    })
    .join('');
}

/**
 * When will a growing count reach its limit? A robust trend over a window of samples: the
 * Theil–Sen slope (median of the slopes between every pair of points, robust to up to ~29% of
 * outliers; Sen 1968, "Estimates of the regression coefficient based on Kendall's tau"), accepted
 * only when the growth is monotone enough (Kendall's tau) and steady across the window. A sawtooth
 * (a connection pool that grows and is trimmed), a flat or falling line, or too few samples give
 * no forecast, with the reason. Pure: no clock, no I/O.
 */

/** One sample: `t` in ms (any epoch, increasing), `v` the count then. */
export interface Point {
  t: number;
  v: number;
}

export interface ForecastOptions {
  /** Fewer samples than this: no forecast (default 5). */
  minSamples: number;
  /** A shorter span than this (ms): no forecast (default 10 s). */
  minSpanMs: number;
  /** Kendall's tau below this: the growth is not monotone enough (default 0.5). */
  minTau: number;
  /** Extrapolate at most this many times the observed span (default 60: 1 min of history, 1 h ahead). */
  horizonFactor: number;
  /** And never further than this (ms; default 24 h). */
  maxHorizonMs: number;
  /** At most this many points enter the O(n²) slope: longer windows are bucketed by median (default 90). */
  maxPoints: number;
  /** Longer series are first bucketed to this many medians (default 360: an hour at 10 s), which keeps a drop a drop. */
  maxRaw: number;
}

export const DEFAULT_FORECAST_OPTIONS: ForecastOptions = {
  minSamples: 5,
  minSpanMs: 10_000,
  minTau: 0.5,
  horizonFactor: 60,
  maxHorizonMs: 24 * 3600_000,
  maxPoints: 90,
  maxRaw: 360,
};

/** Why there is no forecast. */
export type NoForecastReason =
  | 'too-few-samples' // fewer than minSamples, or a span shorter than minSpanMs
  | 'sawtooth' // two or more large drops in the window: something releases descriptors
  | 'not-growing' // flat, falling, or growth that is not monotone / steady
  | 'at-limit' // already at or past the limit: nothing to forecast
  | 'no-limit' // the limit is unknown
  | 'beyond-horizon'; // grows, but reaches the limit further out than the window can support

export interface Forecast {
  /** Milliseconds from the last sample until the limit is reached; null when there is no forecast. */
  etaMs: number | null;
  /** Why etaMs is null. */
  reason: NoForecastReason | null;
  /** Theil–Sen slope per second over the segment used; null when not computed. */
  perSecond: number | null;
  /** Kendall's tau of the segment (1 = strictly increasing); null when not computed. */
  tau: number | null;
  /** The fitted value at the last sample (the level the projection starts from). */
  level: number | null;
  /** Samples and span of the segment used (after a restart: only the part since). */
  samples: number;
  spanMs: number;
  /** Where the trend reaches the limit even beyond the horizon (ms from the last sample); null when not growing. */
  projectedMs: number | null;
  /** True when a single large drop (a restart) was found and only the part after it was used. */
  restarted: boolean;
}

function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function medianOf(values: number[]): number {
  return median(Float64Array.from(values).sort());
}

/**
 * Index of the last point of each large drop: a short run of consecutive decreases (at most
 * `maxRun` steps) whose total reaches `threshold`. Small dips (noise, a few closed connections)
 * and a slow decline are not drops.
 */
export function findDrops(points: readonly Point[], threshold: number, maxRun = Infinity): number[] {
  const drops: number[] = [];
  let runStart = 0;
  for (let i = 1; i <= points.length; i++) {
    const falling = i < points.length && points[i].v < points[i - 1].v;
    if (falling) continue;
    // Run of decreases from runStart to i-1.
    const steps = i - 1 - runStart;
    if (steps > 0 && steps <= maxRun && points[runStart].v - points[i - 1].v >= threshold) drops.push(i - 1);
    runStart = i;
  }
  return drops;
}

/**
 * The size a release must reach to count as a drop: half the window's range, and four times the
 * typical step (the median absolute change between samples), so noise is never a drop.
 */
function dropThreshold(points: readonly Point[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  const steps: number[] = [];
  for (let i = 0; i < points.length; i++) {
    lo = Math.min(lo, points[i].v);
    hi = Math.max(hi, points[i].v);
    if (i > 0) steps.push(Math.abs(points[i].v - points[i - 1].v));
  }
  return Math.max(3, 0.5 * (hi - lo), 4 * medianOf(steps));
}

/** At most `max` points: equal-count buckets, each replaced by its median time and median value. */
export function bucketMedians(points: readonly Point[], max: number): Point[] {
  if (points.length <= max) return [...points];
  const out: Point[] = [];
  for (let b = 0; b < max; b++) {
    const from = Math.floor((b * points.length) / max);
    const to = Math.floor(((b + 1) * points.length) / max);
    const slice = points.slice(from, to);
    out.push({ t: medianOf(slice.map((p) => p.t)), v: medianOf(slice.map((p) => p.v)) });
  }
  return out;
}

/** Theil–Sen slope (units per ms) and Kendall's tau over the points (times strictly increasing). */
export function theilSen(points: readonly Point[]): { slope: number; intercept: number; tau: number } {
  const n = points.length;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  let concordant = 0;
  let discordant = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dv = points[j].v - points[i].v;
      const dt = points[j].t - points[i].t;
      slopes[k++] = dt > 0 ? dv / dt : 0;
      if (dv > 0) concordant++;
      else if (dv < 0) discordant++;
    }
  }
  const slope = k ? median(slopes.subarray(0, k).sort()) : 0;
  const intercept = medianOf(points.map((p) => p.v - slope * p.t));
  return { slope, intercept, tau: k ? (concordant - discordant) / k : 0 };
}

/**
 * A steady climb, not one step: of the medians of five equal slices, at least three of the four
 * successive changes rise and the last slice is above the first. A burst of connections that stays
 * open (one step up) has two flat changes and fails.
 */
function risesSteadily(points: readonly Point[]): boolean {
  const n = points.length;
  const medians = [0, 1, 2, 3, 4].map((k) => medianOf(points.slice(Math.floor((k * n) / 5), Math.floor(((k + 1) * n) / 5)).map((p) => p.v)));
  let rises = 0;
  for (let k = 1; k < 5; k++) if (medians[k] > medians[k - 1]) rises++;
  return rises >= 3 && medians[4] > medians[0];
}

/**
 * Forecast when `points` (chronological; NaN values are skipped) reach `limit`.
 *
 * @example
 * // 1 fd every 10 s from 100, for 10 minutes, limit 1024: 160 now, 864 to go at 0.1/s.
 * forecastExhaustion(steadyLeak, 1024).etaMs // 8_640_000
 */
export function forecastExhaustion(
  series: readonly Point[],
  limit: number | null,
  options: ForecastOptions = DEFAULT_FORECAST_OPTIONS,
): Forecast {
  const none = (reason: NoForecastReason, extra: Partial<Forecast> = {}): Forecast => ({
    etaMs: null,
    reason,
    perSecond: null,
    tau: null,
    level: null,
    projectedMs: null,
    samples: extra.samples ?? 0,
    spanMs: extra.spanMs ?? 0,
    restarted: false,
    ...extra,
  });
  const raw = series.filter((p) => Number.isFinite(p.v) && Number.isFinite(p.t));
  if (limit === null || !Number.isFinite(limit)) return none('no-limit', { samples: raw.length });
  const short = (pts: readonly Point[]) => pts.length < options.minSamples || pts.at(-1)!.t - pts[0].t < options.minSpanMs;
  if (raw.length === 0 || short(raw)) {
    return none('too-few-samples', { samples: raw.length, spanMs: raw.length ? raw.at(-1)!.t - raw[0].t : 0 });
  }
  // Most processes hold a steady count: nothing to fit.
  let min = Infinity;
  let max = -Infinity;
  for (const p of raw) {
    min = Math.min(min, p.v);
    max = Math.max(max, p.v);
  }
  if (raw.at(-1)!.v >= limit) return none('at-limit', { samples: raw.length, spanMs: raw.at(-1)!.t - raw[0].t });
  if (min === max) return { ...none('not-growing', { samples: raw.length, spanMs: raw.at(-1)!.t - raw[0].t }), perSecond: 0 };
  let points = raw.length > options.maxRaw ? bucketMedians(raw, options.maxRaw) : raw;

  // A release happens within a tenth of the window (a restart, a pool trimmed); a slow decline is no drop.
  const drops = findDrops(points, dropThreshold(points), Math.max(3, Math.floor(points.length / 10)));
  const restarted = drops.length === 1;
  if (drops.length >= 2) return none('sawtooth', { samples: raw.length, spanMs: raw.at(-1)!.t - raw[0].t });
  if (restarted) points = points.slice(drops[0]);
  // Samples and span in the raw series (points may be bucket medians).
  const from = points[0].t;
  const usedRaw = restarted ? raw.filter((p) => p.t >= from) : raw;
  const samples = usedRaw.length;
  const spanMs = usedRaw.at(-1)!.t - usedRaw[0].t;
  if (short(usedRaw) || points.length < options.minSamples) return none('too-few-samples', { samples, spanMs, restarted });

  // Cheap first: a segment that ends no higher than it began (medians of its first and last tenth) does not grow.
  const tenth = Math.max(1, Math.floor(points.length / 10));
  if (medianOf(points.slice(-tenth).map((p) => p.v)) <= medianOf(points.slice(0, tenth).map((p) => p.v))) {
    return { ...none('not-growing'), samples, spanMs, restarted };
  }
  const fitted = bucketMedians(points, options.maxPoints);
  const { slope, intercept, tau } = theilSen(fitted);
  const tLast = usedRaw.at(-1)!.t;
  const level = slope * tLast + intercept;
  const perSecond = slope * 1000;
  const base = { samples, spanMs, restarted, perSecond, tau, level };
  // Less than one whole unit of growth over the window is not a trend.
  if (slope <= 0 || tau < options.minTau || slope * spanMs < 1 || !risesSteadily(fitted)) return { ...none('not-growing'), ...base };
  const projectedMs = Math.max(0, (limit - level) / slope);
  const horizonMs = Math.min(options.maxHorizonMs, options.horizonFactor * spanMs);
  if (projectedMs > horizonMs) return { ...none('beyond-horizon'), ...base, projectedMs };
  return { etaMs: projectedMs, reason: null, ...base, projectedMs };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketMedians, findDrops, forecastExhaustion, theilSen, type Point } from './forecast.js';

/** Samples every `stepMs` for `spanMs` (inclusive), value from `f(seconds)`. */
function series(spanMs: number, stepMs: number, f: (s: number) => number): Point[] {
  const out: Point[] = [];
  for (let t = 0; t <= spanMs; t += stepMs) out.push({ t: 1_700_000_000_000 + t, v: f(t / 1000) });
  return out;
}

/** Deterministic noise in [-amp, amp] (a linear congruential generator, not Math.random). */
function noise(amp: number): (i: number) => number {
  let x = 12345;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.round(((x / 2 ** 31) * 2 - 1) * amp);
  };
}

const MIN = 60_000;

test('steady leak: 1 fd every 10 s from 100 for 10 min, limit 1024 -> 864 left at 0.1/s = 2 h 24 min', () => {
  const f = forecastExhaustion(series(10 * MIN, 2000, (s) => 100 + Math.floor(s / 10)), 1024);
  assert.equal(f.reason, null);
  // A staircase (whole descriptors) fits 0.1/s within 1%.
  assert.ok(Math.abs(f.perSecond! - 0.1) < 0.001, `slope ${f.perSecond}`);
  assert.ok(Math.abs(f.etaMs! - 8_640_000) / 8_640_000 < 0.01, `eta ${f.etaMs}`);
  assert.equal(f.samples, 301);
  assert.equal(f.restarted, false);
  assert.ok(f.tau! > 0.9);
});

test('fast leak under an hour: 2 fd/s from 30 for 2 min, limit 1024 -> (1024-270)/2 = 377 s', () => {
  const f = forecastExhaustion(series(2 * MIN, 2000, (s) => 30 + 2 * s), 1024);
  assert.ok(Math.abs(f.etaMs! - 377_000) < 1000, `eta ${f.etaMs}`);
});

test('noisy leak: +0.1/s with ±6 of noise: slope and eta within 5%', () => {
  const n = noise(6);
  const f = forecastExhaustion(series(10 * MIN, 2000, (s) => 200 + 0.1 * s + n(s)), 1024);
  assert.equal(f.reason, null);
  assert.ok(Math.abs(f.perSecond! - 0.1) / 0.1 < 0.05, `slope ${f.perSecond}`);
  // 1024 - 260 = 764 at 0.1/s = 7640 s.
  assert.ok(Math.abs(f.etaMs! - 7_640_000) / 7_640_000 < 0.05, `eta ${f.etaMs}`);
});

test('noise around a flat line gives no forecast', () => {
  const n = noise(8);
  const f = forecastExhaustion(series(10 * MIN, 2000, () => 300 + n(0)), 1024);
  assert.equal(f.etaMs, null);
  assert.equal(f.reason, 'not-growing');
});

test('flat line: no forecast', () => {
  const f = forecastExhaustion(series(5 * MIN, 2000, () => 42), 1024);
  assert.deepEqual([f.etaMs, f.reason, f.perSecond], [null, 'not-growing', 0]);
});

test('falling line: no forecast', () => {
  const f = forecastExhaustion(series(5 * MIN, 2000, (s) => 900 - s), 1024);
  assert.equal(f.reason, 'not-growing');
});

test('sawtooth from a pool: grows 100 -> 300 over 2 min, trimmed back, five times: no forecast', () => {
  const f = forecastExhaustion(series(10 * MIN, 2000, (s) => 100 + Math.floor(((s % 120) / 120) * 200)), 1024);
  assert.equal(f.etaMs, null);
  assert.equal(f.reason, 'sawtooth');
});

test('sawtooth with gradual trims (several falling samples per release) is still a sawtooth', () => {
  const f = forecastExhaustion(
    series(10 * MIN, 2000, (s) => {
      const phase = s % 150;
      return phase < 120 ? 100 + phase * 2 : 340 - (phase - 120) * 8;
    }),
    1024,
  );
  assert.equal(f.reason, 'sawtooth');
});

test('restart: a leak, a restart back to 20, then a faster leak: only the part since the restart counts', () => {
  // 0..300 s: 20 + 1/s (up to 320); restart at 300 s; then 20 + 0.5/s for 200 s (up to 120).
  const f = forecastExhaustion(series(500_000, 2000, (s) => (s < 300 ? 20 + s : 20 + 0.5 * (s - 300))), 1024);
  assert.equal(f.restarted, true);
  assert.equal(f.reason, null);
  assert.ok(Math.abs(f.perSecond! - 0.5) < 1e-9);
  // (1024 - 120) / 0.5 = 1808 s.
  assert.ok(Math.abs(f.etaMs! - 1_808_000) < 2000, `eta ${f.etaMs}`);
  assert.equal(f.samples, 101);
});

test('restart moments ago: too little since it to say anything', () => {
  const f = forecastExhaustion(series(306_000, 2000, (s) => (s < 300 ? 20 + s : 20)), 1024);
  assert.equal(f.restarted, true);
  assert.equal(f.reason, 'too-few-samples');
});

test('too few points: 4 samples, or 5 samples over less than 10 s', () => {
  assert.equal(forecastExhaustion(series(6000, 2000, (s) => 10 + 10 * s), 100).reason, 'too-few-samples');
  assert.equal(forecastExhaustion(series(8000, 2000, (s) => 10 + 10 * s), 100).reason, 'too-few-samples');
  assert.equal(forecastExhaustion([], 100).reason, 'too-few-samples');
  // 6 samples over 10 s is enough: 10 + 10/s reaches 110 at 10 s; limit 200: 9 s more.
  const f = forecastExhaustion(series(10_000, 2000, (s) => 10 + 10 * s), 200);
  assert.ok(Math.abs(f.etaMs! - 9000) < 1, `eta ${f.etaMs}`);
});

test('one step up (a burst of connections that stays open) is not a trend', () => {
  const f = forecastExhaustion(series(10 * MIN, 2000, (s) => (s < 300 ? 100 : 400)), 1024);
  assert.equal(f.reason, 'not-growing');
});

test('a slow leak is not extrapolated past 60 times the window', () => {
  // +3 fd/min for 2 min of history: 1024 is 5 h away, the window supports 2 h.
  const f = forecastExhaustion(series(2 * MIN, 2000, (s) => 100 + Math.floor(s / 20)), 1024);
  assert.equal(f.reason, 'beyond-horizon');
  assert.equal(f.etaMs, null);
  assert.ok(Math.abs(f.projectedMs! - 18_360_000) / 18_360_000 < 0.05, `projected ${f.projectedMs}`);
});

test('at or past the limit, or an unknown limit: nothing to forecast', () => {
  assert.equal(forecastExhaustion(series(MIN, 2000, (s) => 10 + s), 50).reason, 'at-limit');
  assert.equal(forecastExhaustion(series(MIN, 2000, (s) => 10 + s), null).reason, 'no-limit');
});

test('gaps (NaN) are skipped, not read as drops', () => {
  const pts = series(10 * MIN, 2000, (s) => 100 + Math.floor(s / 10)).map((p, i) => (i % 7 === 3 ? { ...p, v: NaN } : p));
  const f = forecastExhaustion(pts, 1024);
  assert.equal(f.reason, null);
  assert.ok(Math.abs(f.etaMs! - 8_640_000) / 8_640_000 < 0.01, `eta ${f.etaMs}`);
});

test('an hour at 2 s (1800 samples) is bucketed to 90 points: same answer as the full Theil–Sen', () => {
  const pts = series(3600_000, 2000, (s) => 50 + s / 20);
  assert.equal(bucketMedians(pts, 90).length, 90);
  const full = theilSen(pts.filter((_, i) => i % 4 === 0));
  const f = forecastExhaustion(pts, 1024);
  assert.ok(Math.abs(f.perSecond! - full.slope * 1000) < 1e-6);
});

test('findDrops: runs of decreases, by total size', () => {
  const pts = [5, 10, 8, 6, 4, 9, 8, 12].map((v, t) => ({ t, v }));
  assert.deepEqual(findDrops(pts, 5), [4]);
  assert.deepEqual(findDrops(pts, 7), []);
  assert.deepEqual(findDrops(pts, 1), [4, 6]);
  assert.deepEqual(findDrops(pts, 5, 2), [], 'three falling steps are a decline, not a drop, when runs are capped at 2');
});

/**
 * A bounded ring of samples: one timestamp column shared by every series, and one Float32Array
 * column per series (NaN where the series had no value at that sample). Memory is
 * capacity × (8 + 4 × series) bytes, and the number of series is capped by the caller
 * (record.ts), so an hour at 2 s with the default caps stays a few MB whatever the host does.
 * Float32 holds every integer up to 2^24 exactly: descriptor counts, queues and limits below 16M.
 */
import type { Point } from './forecast.js';

export class Ring {
  /** Sample times, ms since the epoch, by slot. */
  private readonly times: Float64Array;
  private readonly columns = new Map<string, Float32Array>();
  /** Sequence number of the last sample each series had a value in (for eviction). */
  private readonly lastSeen = new Map<string, number>();
  /** Next slot to write. */
  private head = 0;
  private count = 0;
  /** Samples ever begun. */
  private seq = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`ring capacity must be an integer >= 2, got ${capacity}`);
    this.times = new Float64Array(capacity);
  }

  /** Samples held (≤ capacity). */
  get length(): number {
    return this.count;
  }

  get seriesCount(): number {
    return this.columns.size;
  }

  /** Bytes held by the columns (what grows with the host; the maps' keys are extra). */
  get bytes(): number {
    return this.times.byteLength + this.columns.size * this.capacity * 4;
  }

  /** Starts a sample at `t` (ms); every series is NaN there until `set`. Times must not go back. */
  begin(t: number): void {
    const last = this.lastTime();
    if (last !== null && t < last) throw new RangeError(`sample time ${t} is before the previous one ${last}`);
    this.times[this.head] = t;
    for (const col of this.columns.values()) col[this.head] = NaN;
    this.head = (this.head + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.seq++;
    // A series with no value left in the window holds only NaN: drop it.
    for (const [key, seen] of this.lastSeen) {
      if (this.seq - seen >= this.capacity) this.drop(key);
    }
  }

  /** Sets `key` in the current sample (after `begin`). */
  set(key: string, value: number): void {
    if (this.count === 0) throw new Error('Ring.set before begin');
    let col = this.columns.get(key);
    if (!col) {
      col = new Float32Array(this.capacity).fill(NaN);
      this.columns.set(key, col);
    }
    col[(this.head - 1 + this.capacity) % this.capacity] = value;
    this.lastSeen.set(key, this.seq);
  }

  has(key: string): boolean {
    return this.columns.has(key);
  }

  drop(key: string): void {
    this.columns.delete(key);
    this.lastSeen.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.columns.keys();
  }

  /** Time of the oldest sample held, or null when empty. */
  firstTime(): number | null {
    return this.count ? this.times[(this.head - this.count + this.capacity) % this.capacity] : null;
  }

  lastTime(): number | null {
    return this.count ? this.times[(this.head - 1 + this.capacity) % this.capacity] : null;
  }

  /** Sample times, oldest first. */
  timeline(): number[] {
    const out: number[] = new Array(this.count);
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out[i] = this.times[(start + i) % this.capacity];
    return out;
  }

  /** Values of `key` aligned with `timeline()`, null where missing; all null for an unknown key. */
  values(key: string): Array<number | null> {
    const col = this.columns.get(key);
    const out: Array<number | null> = new Array(this.count).fill(null);
    if (!col) return out;
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const v = col[(start + i) % this.capacity];
      if (!Number.isNaN(v)) out[i] = v;
    }
    return out;
  }

  /** The samples where `key` had a value, oldest first. */
  points(key: string): Point[] {
    const col = this.columns.get(key);
    const out: Point[] = [];
    if (!col) return out;
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const slot = (start + i) % this.capacity;
      const v = col[slot];
      if (!Number.isNaN(v)) out.push({ t: this.times[slot], v });
    }
    return out;
  }

  /** The latest value of `key`, or null when it was not set in the last sample. */
  latest(key: string): number | null {
    const col = this.columns.get(key);
    if (!col || this.count === 0) return null;
    const v = col[(this.head - 1 + this.capacity) % this.capacity];
    return Number.isNaN(v) ? null : v;
  }
}

/**
 * Samples the host on a schedule for `watch` and `serve`: one snapshot every `everyMs` (never two
 * at once), its counter deltas taken against the previous sample, recorded into a History, then
 * analysed with that history (so fd-exhaustion-forecast can fire). Listeners are told of each
 * sample. Also `sampleOver`, the several-sample window of `diagnose --interval >= 10s`.
 */
import type { History } from '../history/history.js';
import type { Finding, RuleContext } from '../rules/types.js';
import { applyWindow, windowStartOf } from '../snapshot/window.js';
import type { Snapshot } from '../snapshot/types.js';

export interface Sample {
  snapshot: Snapshot;
  findings: Finding[];
  /** Sample time, ms since the epoch (the snapshot's takenAt). */
  at: number;
  /** How long the snapshot and the analysis took, ms. */
  tookMs: number;
}

/** What the dashboard and the watch view read: the history, the latest sample, and news of the next. */
export interface SampleSource {
  readonly history: History;
  latest(): Sample | null;
  /** Calls `fn` after every sample; returns the function that stops it. */
  subscribe(fn: (s: Sample) => void): () => void;
}

export interface SamplerOptions {
  everyMs: number;
  history: History;
  /** One snapshot with a single counter read (intervalMs 0): the deltas come from the previous sample. */
  take: () => Promise<Snapshot>;
  /** Rules (and provenance) over a snapshot with the history as context. */
  analyse: (snapshot: Snapshot, context: RuleContext) => Finding[];
  /** A sample that failed (the loop goes on). */
  onError?: (err: unknown) => void;
  /** Clock for scheduling (ms). */
  now?: () => number;
}

/**
 * Gives `current` the window since `previous` (per namespace, matched by inode), as if it had been
 * taken with a sampling window equal to the time between the two (snapshot/window.ts): TcpExt/Tcp
 * counter deltas, conntrack stat columns, softnet drops (without them a watch said "since boot,
 * only one reading" every 2 s and never saw drops happen), and the CLOSE_WAIT sockets that stayed
 * (a leak) or are new (churn). Mutates `current`.
 */
export function withDeltasSince(current: Snapshot, previous: Snapshot): Snapshot {
  const ms = Date.parse(current.host.takenAt) - Date.parse(previous.host.takenAt);
  return applyWindow(current, windowStartOf(previous), ms);
}

export class Sampler implements SampleSource {
  readonly history: History;
  private last: Sample | null = null;
  private readonly listeners = new Set<(s: Sample) => void>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inFlight: Promise<Sample> | null = null;
  /** Bumped by forget(): a sample under way since then is not kept. */
  private generation = 0;
  private readonly now: () => number;

  constructor(private readonly options: SamplerOptions) {
    this.history = options.history;
    this.now = options.now ?? Date.now;
  }

  latest(): Sample | null {
    return this.last;
  }

  subscribe(fn: (s: Sample) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** Takes one sample now (or joins the one under way). */
  sampleOnce(): Promise<Sample> {
    this.inFlight ??= this.take().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async take(): Promise<Sample> {
    const started = this.now();
    const generation = this.generation;
    const snapshot = await this.options.take();
    if (generation !== this.generation) {
      // forget() was called meanwhile: this sample is handed to whoever waits for it, not kept.
      return { snapshot, findings: [], at: Date.parse(snapshot.host.takenAt), tookMs: this.now() - started };
    }
    if (this.last) withDeltasSince(snapshot, this.last.snapshot);
    const at = Date.parse(snapshot.host.takenAt);
    this.history.record(snapshot, at);
    const findings = this.options.analyse(snapshot, { history: this.history });
    const sample: Sample = { snapshot, findings, at, tookMs: this.now() - started };
    this.last = sample;
    for (const fn of [...this.listeners]) fn(sample);
    return sample;
  }

  /** Samples now and then every `everyMs` (measured from the start of each sample) until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = async (): Promise<void> => {
      const started = this.now();
      try {
        await this.sampleOnce();
      } catch (err) {
        this.options.onError?.(err);
      }
      if (!this.running) return;
      this.timer = setTimeout(() => void tick(), Math.max(0, this.options.everyMs - (this.now() - started)));
    };
    void tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Drops the latest sample (its snapshot is the largest thing held) and any sample under way; the
   * history stays. After a pause the next sample has no counter deltas rather than deltas averaged
   * over the pause.
   */
  forget(): void {
    this.last = null;
    this.generation++;
  }
}

/**
 * `count` snapshots spread evenly over `windowMs` (the first at once, the last at the end), each
 * recorded into `history`; returns the last, whose counter deltas cover the whole window.
 * For `diagnose --interval >= 10s`: enough samples for a trend, one answer at the end.
 */
export async function sampleOver(
  take: () => Promise<Snapshot>,
  history: History,
  windowMs: number,
  count: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<Snapshot> {
  if (count < 2) throw new RangeError(`sampleOver needs at least 2 samples, got ${count}`);
  const first = await take();
  history.record(first);
  const startedAt = Date.parse(first.host.takenAt);
  let last = first;
  for (let i = 1; i < count; i++) {
    // Aim at evenly spaced times from the first sample, whatever each snapshot cost.
    const due = startedAt + (i * windowMs) / (count - 1);
    await sleep(Math.max(0, due - Date.now()));
    last = await take();
    history.record(last);
  }
  return withDeltasSince(last, first);
}

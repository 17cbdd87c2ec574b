/**
 * One scrape in flight at a time. Concurrent requests (several Prometheus servers, a dashboard, a
 * retry) share the scrape under way instead of reading the host again; each waits at most
 * `timeoutMs` and then answers rather than hang: with the last finished scrape when it is at most
 * `staleMs` old (marked timed out, with its age), so one slow read does not make every series
 * vanish for Prometheus (and reset every alert's `for:`), else without host data. A scrape that
 * finishes after every waiter gave up is kept and served to the next request (if younger than
 * `maxAgeMs`), so a host slower than the timeout still gets data through, one scrape late.
 */
import { performance } from 'node:perf_hooks';
import type { ScrapeResult } from './scrape.js';

/** What a source hands out: anything stamped with when it was ready. */
export interface Ready {
  /** performance.now() when it was ready. */
  readyAt: number;
}

export interface SourceOptions {
  timeoutMs: number;
  /** How long a finished but unserved result may still be served (default 2 × timeoutMs). */
  maxAgeMs?: number;
  /** How old the last result may be to answer a timed-out request (default 60 s). */
  staleMs?: number;
}

export type Outcome<R extends Ready = ScrapeResult> =
  | { kind: 'fresh' | 'late'; result: R; waitedMs: number }
  /** Timed out; `result` is the last finished scrape, older than this request. */
  | { kind: 'stale'; result: R; waitedMs: number }
  | { kind: 'timeout'; waitedMs: number }
  | { kind: 'failed'; error: Error; waitedMs: number };

export class ScrapeSource<R extends Ready = ScrapeResult> {
  private inflight: Promise<R> | null = null;
  /** Waiters of the in-flight scrape that have not given up yet. */
  private waiting = 0;
  private unserved: R | null = null;
  private last: R | null = null;
  private readonly listeners = new Set<(r: R) => void>();
  private readonly maxAgeMs: number;

  constructor(
    private readonly produce: () => Promise<R>,
    private readonly opts: SourceOptions,
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 2 * opts.timeoutMs;
    this.staleMs = opts.staleMs ?? 60_000;
  }

  private readonly staleMs: number;

  /** Called with every finished scrape (issue 13's history ring buffer subscribes here). */
  onResult(fn: (r: R) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** True while a scrape is being produced. */
  get busy(): boolean {
    return this.inflight !== null;
  }

  /** The in-flight scrape, if any: SIGTERM waits for nothing, but tests may. */
  settled(): Promise<void> {
    return this.inflight ? this.inflight.then(() => undefined, () => undefined) : Promise.resolve();
  }

  /** @param timeoutMs this request's wait, when shorter than the configured one (a client's own timeout). */
  async get(timeoutMs = this.opts.timeoutMs): Promise<Outcome<R>> {
    const start = performance.now();
    const waited = () => performance.now() - start;
    if (this.unserved && start - this.unserved.readyAt <= this.maxAgeMs) {
      const result = this.unserved;
      this.unserved = null;
      return { kind: 'late', result, waitedMs: 0 };
    }
    this.unserved = null;
    const p = this.inflight ?? this.start();
    this.waiting++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.min(timeoutMs, this.opts.timeoutMs));
    });
    try {
      const r = await Promise.race([p, timeout]);
      if (r === 'timeout') {
        const last = this.last;
        if (last && performance.now() - last.readyAt <= this.staleMs) return { kind: 'stale', result: last, waitedMs: waited() };
        return { kind: 'timeout', waitedMs: waited() };
      }
      return { kind: 'fresh', result: r, waitedMs: waited() };
    } catch (err) {
      return { kind: 'failed', error: err instanceof Error ? err : new Error(String(err)), waitedMs: waited() };
    } finally {
      clearTimeout(timer);
      this.waiting--;
    }
  }

  private start(): Promise<R> {
    const p = this.produce();
    this.inflight = p;
    p.then(
      (r) => {
        this.inflight = null;
        this.last = r;
        // Every waiter timed out: keep it for the next request.
        if (this.waiting === 0) this.unserved = r;
        for (const fn of this.listeners) fn(r);
      },
      () => {
        this.inflight = null;
      },
    );
    return p;
  }
}

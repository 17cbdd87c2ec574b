/**
 * Scrapes in a worker thread (scrape-worker.ts), one at a time. A scrape that runs past
 * `hardLimitMs` (a read stuck in the kernel, a runaway config) gets its worker terminated and
 * replaced, so the exporter recovers instead of timing out forever. So does a worker that reaches
 * its heap limit (memory.ts SCRAPE_WORKER_LIMITS): that scrape fails (answered partial), and the
 * next one starts a fresh worker with twice the old-space limit (up to MAX_OLD_SPACE_MB): a host
 * whose scrape truly needs more (a million sockets) gets data after one failed scrape, rather than
 * none ever, and every other host keeps the budget.
 */
import { performance } from 'node:perf_hooks';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ScraperOptions } from './scrape.js';
import type { ScrapeReply } from './scrape-worker.js';
import type { MetricsModel } from '../render/prometheus-model.js';
import type { DeflatedTail } from './gzip-body.js';
import { MAX_OLD_SPACE_MB, SCRAPE_WORKER_LIMITS, type HeapReading } from './memory.js';
import { openBpfFdLink, type BpfFdLink } from '../probe/bpf-fd-link.js';
import { whyNoBpf } from '../probe/fd-walk.js';

/** A scrape abandoned because the exporter is shutting down (SIGTERM): not a failure to log. */
export class ClosingError extends Error {
  override name = 'ClosingError';
  constructor() {
    super('the exporter is closing');
  }
}

/** One scrape as the main thread keeps it: no object per series. */
export interface ServedScrape {
  /** The model without its rows (selfModel): what the exporter's own families read. */
  model: MetricsModel;
  /** The host's series, as text bytes and deflated once (gzip-body.ts). */
  host: DeflatedTail;
  /** How long the worker took (snapshot, rules, provenance, rendering), seconds. */
  seconds: number;
  /** performance.now() of the main thread when it arrived. */
  readyAt: number;
  /** The worker's V8 heap when it answered. */
  workerHeap: HeapReading;
}

const asBuffer = (a: Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export class WorkerScraper {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ServedScrape) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private closed = false;
  /**
   * The BPF fd iterator, opened once here and lent to every worker by fd number (threads share the
   * process's fds): a worker replaced after a stuck read leaves nothing open behind it.
   */
  private readonly bpf: BpfFdLink | null;
  /** Why the live host's fds are walked in /proc instead (not root, no BTF, …); null when the iterator is used or not applicable. */
  readonly bpfError: string | null;

  constructor(
    private readonly opts: ScraperOptions,
    private readonly hardLimitMs: number,
    private limits: ResourceLimits = SCRAPE_WORKER_LIMITS,
  ) {
    const live = (opts.root ?? '/') === '/';
    const refused = live ? whyNoBpf() : null;
    const opened = live && !refused ? openBpfFdLink() : null;
    this.bpf = opened?.link ?? null;
    this.bpfError = refused ?? opened?.error ?? null;
  }

  private spawn(): Worker {
    // The link by fd number, or why there is none: a worker never retries a load that failed here.
    const workerData: ScraperOptions = this.bpf ? { ...this.opts, bpfLinkFd: this.bpf.fd } : this.bpfError ? { ...this.opts, bpfOff: this.bpfError } : this.opts;
    const w = new Worker(new URL('./scrape-worker.js', import.meta.url), { workerData, resourceLimits: this.limits });
    w.on('message', (reply: ScrapeReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.ok) {
        const host = { bytes: asBuffer(reply.hostBytes), raw: asBuffer(reply.hostRaw) };
        p.resolve({ model: reply.model, host, seconds: reply.seconds, readyAt: performance.now(), workerHeap: reply.heap });
      } else p.reject(new Error(reply.message));
    });
    const fail = (why: string): void => {
      if (this.worker === w) this.worker = null;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        // Terminated by close(): the scrape was abandoned on purpose, the worker did not fail.
        p.reject(this.closed ? new ClosingError() : new Error(why));
        this.pending.delete(id);
      }
    };
    w.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERR_WORKER_OUT_OF_MEMORY') return fail(`the scrape worker failed: ${err.message}`);
      const was = this.limits.maxOldGenerationSizeMb ?? MAX_OLD_SPACE_MB;
      const next = Math.min(MAX_OLD_SPACE_MB, 2 * was);
      this.limits = { ...this.limits, maxOldGenerationSizeMb: next };
      fail(`the scrape worker reached its heap limit (${was} MB old space): replaced${next > was ? ` with ${next} MB` : ''}`);
    });
    w.on('exit', (code) => fail(`the scrape worker exited (code ${code})`));
    // The worker alone must not keep the process alive (SIGTERM exits while it reads).
    w.unref();
    return w;
  }

  /** The old-space limit the next worker gets, MB. */
  get heapLimitMb(): number | undefined {
    return this.limits.maxOldGenerationSizeMb;
  }

  scrape(): Promise<ServedScrape> {
    if (this.closed) return Promise.reject(new ClosingError());
    this.worker ??= this.spawn();
    const w = this.worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`a scrape ran for ${this.hardLimitMs / 1000} s: its worker was replaced`));
        if (this.worker === w) this.worker = null;
        void w.terminate();
      }, this.hardLimitMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      w.postMessage({ id });
    });
  }

  /** Stops the worker (a scrape in flight is abandoned). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
    this.bpf?.close();
  }
}

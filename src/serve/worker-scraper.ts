/**
 * Scrapes in a worker thread (scrape-worker.ts), one at a time. A scrape that runs past
 * `hardLimitMs` (a read stuck in the kernel, a runaway config) gets its worker terminated and
 * replaced, so the exporter recovers instead of timing out forever.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { ScrapeResult, ScraperOptions } from './scrape.js';
import type { ScrapeReply } from './scrape-worker.js';
import { openBpfFdLink, type BpfFdLink } from '../probe/bpf-fd-link.js';
import { whyNoBpf } from '../probe/fd-walk.js';

/** A scrape abandoned because the exporter is shutting down (SIGTERM): not a failure to log. */
export class ClosingError extends Error {
  override name = 'ClosingError';
  constructor() {
    super('the exporter is closing');
  }
}

export class WorkerScraper {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ScrapeResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
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
    const w = new Worker(new URL('./scrape-worker.js', import.meta.url), { workerData });
    w.on('message', (reply: ScrapeReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.ok) p.resolve({ model: reply.model, seconds: reply.seconds, readyAt: performance.now() });
      else p.reject(new Error(reply.message));
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
    w.on('error', (err) => fail(`the scrape worker failed: ${err.message}`));
    w.on('exit', (code) => fail(`the scrape worker exited (code ${code})`));
    // The worker alone must not keep the process alive (SIGTERM exits while it reads).
    w.unref();
    return w;
  }

  scrape(): Promise<ScrapeResult> {
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

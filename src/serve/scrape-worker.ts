/**
 * The worker thread that reads the host for `sockdoc serve`. Snapshot, rules and provenance are
 * largely synchronous (file reads, config parsing): run on the main thread they would hold up
 * every request, the scrape timeout and SIGTERM for as long as they take. Here they run beside
 * it, and so does rendering the host's series and deflating them (tens of thousands of series
 * under a namespace flood take seconds on a loaded host: on the main thread that time was outside
 * --timeout). What crosses back is the model without its rows (selfModel) and two byte buffers,
 * transferred, not copied: the main thread keeps no object per series.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Scraper, type ScraperOptions } from './scrape.js';
import { MetricsRenderer, selfModel } from '../render/prometheus.js';
import type { MetricsModel } from '../render/prometheus-model.js';
import { deflateTail } from './gzip-body.js';
import { heapReading, nativeCHeap, returnFreeMemory, type HeapReading } from './memory.js';

export interface ScrapeRequest {
  id: number;
}

export type ScrapeReply =
  | {
      id: number;
      ok: true;
      /** The model without its rows: the exporter's own families. */
      model: MetricsModel;
      /** The host's series as text (UTF-8), and the same as a raw deflate stream (gzip-body.ts). */
      hostBytes: Uint8Array;
      hostRaw: Uint8Array;
      seconds: number;
      /** The worker's V8 heap after the scrape. */
      heap: HeapReading;
    }
  | { id: number; ok: false; message: string };

/** `b` on an ArrayBuffer of its own (a small Buffer lives in a shared pool: transferring that would detach its neighbours). */
function owned(b: Buffer): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);
}

const scraper = new Scraper(workerData as ScraperOptions);
const renderer = new MetricsRenderer();
const cHeap = nativeCHeap();

async function answer(id: number): Promise<void> {
  const start = performance.now();
  let reply: ScrapeReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const r = await scraper.scrape();
    const tail = deflateTail(await renderer.renderHost(r.model));
    const hostBytes = owned(tail.bytes);
    const hostRaw = owned(tail.raw);
    transfer = [hostBytes.buffer as ArrayBuffer, hostRaw.buffer as ArrayBuffer];
    reply = { id, ok: true, model: selfModel(r.model), hostBytes, hostRaw, seconds: (performance.now() - start) / 1000, heap: heapReading() };
  } catch (err) {
    reply = { id, ok: false, message: (err as Error)?.message ?? String(err) };
  }
  parentPort!.postMessage(reply, transfer);
  // After the answer is on its way: what the scrape freed in the C heap goes back to the system.
  returnFreeMemory(cHeap);
}

parentPort!.on('message', (req: ScrapeRequest) => void answer(req.id));

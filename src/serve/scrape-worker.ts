/**
 * The worker thread that reads the host for `sockdoc serve`. Snapshot, rules and provenance are
 * largely synchronous (file reads, config parsing): run on the main thread they would hold up
 * every request, the scrape timeout and SIGTERM for as long as they take. Here they run beside
 * it; only the small MetricsModel crosses back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Scraper, type ScraperOptions } from './scrape.js';

export interface ScrapeRequest {
  id: number;
}

export type ScrapeReply = { id: number; ok: true; model: import('../render/prometheus-model.js').MetricsModel; seconds: number } | { id: number; ok: false; message: string };

const scraper = new Scraper(workerData as ScraperOptions);
parentPort!.on('message', (req: ScrapeRequest) => {
  scraper.scrape().then(
    (r) => parentPort!.postMessage({ id: req.id, ok: true, model: r.model, seconds: r.seconds } satisfies ScrapeReply),
    (err: unknown) => parentPort!.postMessage({ id: req.id, ok: false, message: (err as Error)?.message ?? String(err) } satisfies ScrapeReply),
  );
});

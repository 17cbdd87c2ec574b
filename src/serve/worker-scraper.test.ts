import test from 'node:test';
import assert from 'node:assert/strict';
import { WorkerScraper } from './worker-scraper.js';

test('a scrape abandoned by close() (SIGTERM) rejects as closing, not as a failed worker to log', async () => {
  const scraper = new WorkerScraper({ root: '/' }, 30_000);
  const inflight = scraper.scrape();
  await scraper.close();
  await assert.rejects(inflight, (err: Error) => err.name === 'ClosingError' && !/exited|failed/.test(err.message));
  await assert.rejects(scraper.scrape(), { name: 'ClosingError' });
});

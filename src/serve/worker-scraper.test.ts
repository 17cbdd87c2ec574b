import test from 'node:test';
import assert from 'node:assert/strict';
import { WorkerScraper } from './worker-scraper.js';
import { fixture } from '../testing/paths.js';

test('a scrape abandoned by close() (SIGTERM) rejects as closing, not as a failed worker to log', async () => {
  const scraper = new WorkerScraper({ root: '/' }, 30_000);
  const inflight = scraper.scrape();
  await scraper.close();
  await assert.rejects(inflight, (err: Error) => err.name === 'ClosingError' && !/exited|failed/.test(err.message));
  await assert.rejects(scraper.scrape(), { name: 'ClosingError' });
});

test('a worker that reaches its heap limit is replaced with twice the limit: the scrape after gets data', async () => {
  // A limit far below what a scrape needs: the first workers run out, each replacement gets twice as much.
  const scraper = new WorkerScraper({ root: fixture('hosts', 'seed-queue-full') }, 60_000, { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 });
  const failures: string[] = [];
  // The worker does not keep the process alive (serve's HTTP server does): this test's timer does.
  const alive = setInterval(() => undefined, 1000);
  try {
    for (let i = 0; i < 6; i++) {
      try {
        const r = await scraper.scrape();
        assert.ok(r.host.bytes.toString('utf8').includes('sockdoc_listener_accept_queue{'), 'the host series came back rendered');
        break;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    assert.ok(failures.length >= 1, 'a 4 MB worker cannot scrape');
    assert.match(failures[0], /^the scrape worker reached its heap limit \(4 MB old space\): replaced with 8 MB$/);
    assert.equal(scraper.heapLimitMb, 4 * 2 ** failures.length);
    assert.ok(failures.length < 6, `still failing at ${scraper.heapLimitMb} MB: ${failures.at(-1)}`);
  } finally {
    clearInterval(alive);
    await scraper.close();
  }
});

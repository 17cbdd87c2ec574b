import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TIMEOUT_MS, requestTimeoutMs } from './server.js';

test("a /metrics request waits less than Prometheus' X-Prometheus-Scrape-Timeout-Seconds, never more than --timeout", () => {
  // The default answers below Prometheus' default scrape_timeout (10 s), with headroom.
  assert.ok(DEFAULT_TIMEOUT_MS <= 8_000);
  assert.equal(requestTimeoutMs('10', DEFAULT_TIMEOUT_MS), DEFAULT_TIMEOUT_MS);
  assert.equal(requestTimeoutMs('10', 10_000), 9_500); // Prometheus must not give up first
  assert.equal(requestTimeoutMs('12', 10_000), 10_000);
  assert.equal(requestTimeoutMs('0.2', 10_000), 100);
  assert.equal(requestTimeoutMs(undefined, 10_000), 10_000);
  assert.equal(requestTimeoutMs('junk', 10_000), 10_000);
  assert.equal(requestTimeoutMs(['5', '9'], 10_000), 4_500);
});

import test from 'node:test';
import assert from 'node:assert/strict';
import { requestTimeoutMs } from './server.js';

test("a /metrics request waits less than Prometheus' X-Prometheus-Scrape-Timeout-Seconds, never more than --timeout", () => {
  assert.equal(requestTimeoutMs('10', 10_000), 9_500); // both defaults: Prometheus must not give up first
  assert.equal(requestTimeoutMs('12', 10_000), 10_000);
  assert.equal(requestTimeoutMs('0.2', 10_000), 100);
  assert.equal(requestTimeoutMs(undefined, 10_000), 10_000);
  assert.equal(requestTimeoutMs('junk', 10_000), 10_000);
  assert.equal(requestTimeoutMs(['5', '9'], 10_000), 4_500);
});

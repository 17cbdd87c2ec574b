import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BenchUsageError, parseBenchArgs } from './args.js';
import { planFleet, PER_PROCESS } from './fleet.js';
import { median } from './measure.js';
import { phasesFromDiagnosis, ratioText } from './report.js';

test('bench options: defaults, both spellings, bad values quoted', () => {
  assert.deepEqual(parseBenchArgs([]), { sockets: 60000, runs: 3, json: false, help: false, serveRate: 100, serveSeconds: 30, namespaces: 0, scoped: 0 });
  assert.deepEqual(parseBenchArgs(['--sockets', '1000', '--runs=5', '--json']), { sockets: 1000, runs: 5, json: true, help: false, serveRate: 100, serveSeconds: 30, namespaces: 0, scoped: 0 });
  assert.deepEqual(parseBenchArgs(['--serve-rate=0', '--serve-seconds', '5']), { sockets: 60000, runs: 3, json: false, help: false, serveRate: 0, serveSeconds: 5, namespaces: 0, scoped: 0 });
  assert.equal(parseBenchArgs(['--scoped', '300']).scoped, 300);
  assert.equal(parseBenchArgs(['--namespaces', '20']).namespaces, 20);
  assert.throws(() => parseBenchArgs(['--namespaces', '0']), /--namespaces must be an integer from 1 to 200, got "0"/);
  assert.throws(() => parseBenchArgs(['--sockets', '-3']), (e) => e instanceof BenchUsageError && /"-3"/.test(e.message));
  assert.throws(() => parseBenchArgs(['--runs']), BenchUsageError);
  assert.throws(() => parseBenchArgs(['--fast']), /unknown option "--fast"/);
});

test('fleet plan: every process under the per-process cap, sockets add up', () => {
  const plan = planFleet(60000);
  assert.equal(plan.connections, 30000);
  assert.equal(plan.peers.length, 8);
  assert.equal(plan.expectedSockets, 60004);
  assert.ok(plan.peers.every((p) => p.target <= PER_PROCESS));
  const big = planFleet(200001);
  assert.equal(big.peers.filter((p) => p.role === 'client').reduce((n, p) => n + p.target, 0), 100001);
  assert.ok(big.peers.every((p) => p.target <= PER_PROCESS));
  assert.equal(new Set(big.peers.map((p) => `${p.host}:${p.port}`)).size, big.peers.length / 2);
});

test('median and ratio wording', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), null);
  assert.equal(ratioText('ss -tanp', 1.23, 0.1, 'sockdoc sockets'), 'ss -tanp is 12.3x slower');
  assert.equal(ratioText('x', 0.05, 0.1, 'sockdoc sockets'), 'x is 2.0x faster');
  assert.equal(ratioText('sockdoc sockets', 0.1, 0.1, 'sockdoc sockets'), 'baseline');
});

test('phases come from probes[] in the diagnose JSON', () => {
  const doc = JSON.stringify({ schemaVersion: 1, snapshot: { probes: [{ probe: 'net-tcp', source: '/proc/net/tcp', status: 'ok', ms: 12.5 }] } });
  assert.deepEqual(phasesFromDiagnosis(doc), [{ probe: 'net-tcp', ms: 12.5, count: 1 }]);
  const two = JSON.stringify({ probes: [{ probe: 'sysctl', ms: 1 }, { probe: 'net-tcp', ms: 3 }, { probe: 'net-tcp', ms: 4 }] });
  assert.deepEqual(phasesFromDiagnosis(two), [
    { probe: 'net-tcp', ms: 7, count: 2 },
    { probe: 'sysctl', ms: 1, count: 1 },
  ]);
  assert.equal(phasesFromDiagnosis('not json'), null);
});

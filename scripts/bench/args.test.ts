import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BenchUsageError, parseBenchArgs } from './args.js';
import { planFleet, planUnixFleet, PER_PROCESS } from './fleet.js';
import { median, type Measured } from './measure.js';
import { parseTimes } from './run-outcome.js';
import { extrasCost, formatAb, phasesFromDiagnosis, ratioText, type BenchResult } from './report.js';
import { WITH_EXTRAS, WITHOUT_EXTRAS } from './tools.js';

test('bench options: defaults, both spellings, bad values quoted', () => {
  assert.deepEqual(parseBenchArgs([]), { sockets: 60000, runs: 3, json: false, help: false, serveRate: 100, serveSeconds: 30, namespaces: 0, scoped: 0, unix: 0, baseline: null, flood: null, floodCount: null, stressSeconds: 600, waiting: 0 });
  assert.deepEqual(parseBenchArgs(['--sockets', '1000', '--runs=5', '--json']), { sockets: 1000, runs: 5, json: true, help: false, serveRate: 100, serveSeconds: 30, namespaces: 0, scoped: 0, unix: 0, baseline: null, flood: null, floodCount: null, stressSeconds: 600, waiting: 0 });
  assert.deepEqual(parseBenchArgs(['--serve-rate=0', '--serve-seconds', '5']), { sockets: 60000, runs: 3, json: false, help: false, serveRate: 0, serveSeconds: 5, namespaces: 0, scoped: 0, unix: 0, baseline: null, flood: null, floodCount: null, stressSeconds: 600, waiting: 0 });
  assert.equal(parseBenchArgs(['--scoped', '300']).scoped, 300);
  assert.equal(parseBenchArgs(['--flood', 'processes', '--flood-count=500']).flood, 'processes');
  assert.equal(parseBenchArgs(['--flood', 'processes', '--flood-count=500']).floodCount, 500);
  assert.throws(() => parseBenchArgs(['--flood', 'pods']), /--flood must be namespaces, processes or serve, got "pods"/);
  assert.equal(parseBenchArgs(['--namespaces', '20']).namespaces, 20);
  assert.deepEqual(
    (({ unix, baseline }) => ({ unix, baseline }))(parseBenchArgs(['--unix', '10000', '--baseline=/tmp/base'])),
    { unix: 10000, baseline: '/tmp/base' },
  );
  assert.throws(() => parseBenchArgs(['--unix', 'many']), /--unix must be an integer from 1 to 200000, got "many"/);
  assert.throws(() => parseBenchArgs(['--baseline']), /--baseline needs a directory/);
  assert.equal(parseBenchArgs(['--waiting', '4096']).waiting, 4096);
  assert.throws(() => parseBenchArgs(['--waiting', '5000']), /--waiting must be an integer from 1 to 4096, got "5000"/);
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
  // A stalled listener and its waiting clients: their connections count (two sockets each, the
  // queued end with no process), and so does the listener.
  const stalled = planFleet(60000, 4, 4096);
  assert.equal(stalled.waiting, 4096);
  assert.equal(stalled.connections, 30000 + 4096);
  assert.equal(stalled.expectedSockets, 60004 + 2 * 4096 + 1);
  assert.deepEqual(stalled.peers.slice(-2).map((p) => [p.role, p.host, p.port, p.target]), [['stalled', '127.0.1.1', 4999, 4096], ['client', '127.0.1.1', 4999, 4096]]);
});

test('the cost of drops and waits: CPU and wall medians of diagnose with and without them', () => {
  const row = (label: string, medianS: number, cpuMedianS: number | null): Measured => ({ label, status: 'ok', timesS: [medianS], medianS, minS: medianS, cpuS: cpuMedianS === null ? [] : [cpuMedianS], cpuMedianS, seen: 1, output: '' });
  assert.equal(
    extrasCost([row(WITH_EXTRAS, 1.2, 1.05), row(WITHOUT_EXTRAS, 1.1, 1.0)]),
    'listener drops and accept waits (SKMEMINFO on listeners, tcp_info of queued connections) cost the diagnosis: CPU +5.0% (median 1.050 s against 1.000 s); wall +9.1% (1.200 s against 1.100 s)',
  );
  assert.match(extrasCost([row(WITH_EXTRAS, 1.0, null), row(WITHOUT_EXTRAS, 1.1, null)]) ?? '', /cost the diagnosis: wall -9\.1% \(1\.000 s against 1\.100 s\)$/);
  assert.equal(extrasCost([row(WITH_EXTRAS, 1.2, 1.0)]), null);
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

test('unix fleet plan: abstract names of this run, pairs under the per-process cap', () => {
  const plan = planUnixFleet(10000, '42');
  assert.equal(plan.connections, 5000);
  assert.equal(plan.expectedSockets, 10001);
  assert.deepEqual(plan.peers.map((p) => `${p.role} ${p.host} ${p.target} ${p.unix}`), ['server @sockdoc-bench-42-0 5000 true', 'client @sockdoc-bench-42-0 5000 true']);
  const big = planUnixFleet(40001, '7');
  assert.ok(big.peers.every((p) => p.target <= PER_PROCESS && p.unix));
  assert.equal(big.peers.filter((p) => p.role === 'client').reduce((n, p) => n + p.target, 0), 20001);
});

test('the A/B table: both builds, the ratio of the medians and its percentage', () => {
  const row = (label: string, timesS: number[]) => ({ label, status: 'ok', timesS, medianS: median(timesS), minS: Math.min(...timesS), seen: 100, output: '' });
  const r: BenchResult = {
    namespace: 'sockdoc-bench-1',
    requestedSockets: 100,
    expectedSockets: 104,
    connections: 50,
    processes: 8,
    runs: 3,
    buildSeconds: 1,
    host: { kernel: '6.1', cpus: 2, node: 'v20' },
    rows: [row('sockdoc --interval 0 --json (this build)', [1.1, 1.0, 1.2]), row('sockdoc --interval 0 --json (baseline /b)', [1.0, 0.9, 1.1])],
    nodeStartup: row('node -e 0', [0.1]),
    phases: [{ probe: 'net-unix', ms: 12, count: 1 }],
    serve: null,
    unix: { built: 21, processes: 2, seen: 21 },
    baseline: { dir: '/b', phases: null },
  };
  const text = formatAb(r);
  assert.match(text, /and 21 unix stream sockets \(2 processes; sockdoc sockets --unix listed 21 in the namespace\)/);
  assert.match(text, /\| sockdoc --interval 0 --json \(this build\) \| 1\.100 \| 1\.000 \| - \| - \| 1\.100, 1\.000, 1\.200 \| ok \|/);
  assert.match(text, /wall-time medians \(this build \/ baseline\): 1\.100 \(\+10\.0%\)/);
  assert.doesNotMatch(text, /CPU-time medians/, 'no CPU times measured, no CPU ratio');
  assert.match(text, /net-unix\s+12\.0 ms/);
});

test("bash's times: the children's line, user + system in ms", () => {
  assert.equal(parseTimes('0m0.000s 0m0.002s\n0m0.637s 0m0.019s\n'), 656);
  assert.equal(parseTimes('0m0.000s 0m0.000s\n1m2.500s 0m0.500s\n'), 63_000);
  assert.equal(parseTimes(''), null);
});

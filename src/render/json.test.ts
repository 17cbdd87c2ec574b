import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnosisToJson, SCHEMA_VERSION } from './json.js';
import { checkSchema, schemaPropertyNames, type JsonSchema } from './schema-check.js';
import { healthyDiagnosis, seedDiagnosis } from './test-data.js';
import { repoRoot } from '../testing/paths.js';
import { assertGolden } from './golden.js';
import type { Diagnosis } from './report.js';

const schema = JSON.parse(readFileSync(join(repoRoot, 'docs', 'sockdoc-diagnosis.schema.json'), 'utf8')) as JsonSchema;
const doc = readFileSync(join(repoRoot, 'docs', 'json-schema.md'), 'utf8');
/** What a consumer gets: the document after a round trip through text. */
const emitted = (d: Diagnosis) => JSON.parse(JSON.stringify(diagnosisToJson(d)));

function filtered(filter: Diagnosis['filter']): Diagnosis {
  const d = seedDiagnosis();
  d.filter = filter;
  return d;
}

test('seed, healthy and filtered diagnoses conform to docs/sockdoc-diagnosis.schema.json', () => {
  for (const d of [seedDiagnosis(), healthyDiagnosis(), filtered({ pid: 812 }), filtered({ port: 8889 })]) {
    assert.deepEqual(checkSchema(emitted(d), schema), []);
  }
});

test('a diagnosis with unknowns (nulls everywhere allowed) conforms too', () => {
  const d = seedDiagnosis();
  const s = d.snapshot;
  s.host.hostname = null;
  s.host.kernel = null;
  s.processes[0].fds = { open: null, soft: null, hard: null };
  s.processes[0].user = null;
  s.listeners[0].backlog = null;
  s.listeners[0].backlogSource = null;
  for (const k of Object.keys(s.tunables) as Array<keyof typeof s.tunables>) (s.tunables as unknown as Record<string, unknown>)[k] = null;
  s.counters = { values: {}, deltas: null, intervalMs: 0 };
  s.probes = [{ probe: 'pid-fd', source: 'proc/1/fd', status: 'denied', ms: 0.01, detail: 'EACCES proc/1/fd' }];
  s.limitOrigins = new Map();
  d.findings[0].evidence = { backlog: null, clamped: true, source: 'ss' };
  assert.deepEqual(checkSchema(emitted(d), schema), []);
});

test('the schema rejects what the docs promise never happens (the check has teeth)', () => {
  const j = emitted(seedDiagnosis());
  delete j.findings[0].severity;
  j.listeners[0].port = '8889';
  j.surprise = 1;
  const errors = checkSchema(j, schema);
  assert.ok(errors.includes("$.findings[0]: missing required key 'severity'"), errors.join('\n'));
  assert.ok(errors.includes('$.listeners[0].port: expected integer, got string'));
  assert.ok(errors.includes('$.surprise: key not in the schema'));
});

test('docs/json-schema.md names every field the schema declares', () => {
  const missing = [...schemaPropertyNames(schema)].filter((name) => !doc.includes('`' + name + '`'));
  assert.deepEqual(missing, []);
});

test('top-level keys, version, exit code and summary', () => {
  const j = diagnosisToJson(seedDiagnosis());
  assert.equal(j.schemaVersion, SCHEMA_VERSION);
  assert.equal(j.schemaVersion, 2);
  assert.equal(j.exitCode, 2);
  assert.deepEqual(j.summary, { critical: 2, warning: 1, info: 1 });
  assert.deepEqual(j.window, { intervalMs: 1000, sampled: true });
  assert.deepEqual(j.filter, { pid: null, port: null });
  assert.equal(j.partial, false);
  assert.deepEqual(j.host, { hostname: 'web-1', kernel: '6.18.0-seed', root: '/', takenAt: '2024-11-24T21:53:07.412Z', capturedAt: null, asRoot: true });
});

test('findings keep their order and fields; refs bracket IPv6; related is always an array', () => {
  const d = seedDiagnosis();
  const j = diagnosisToJson(d);
  assert.deepEqual(j.findings.map((f) => f.id), d.findings.map((f) => f.id));
  assert.equal(j.findings[0].ref, 'accept-queue-full@[::]:8889');
  assert.equal(j.findings[1].ref, 'fd-limit-exhausted@37482');
  assert.deepEqual(j.findings[0].subject, { pid: 37482, name: 'server', address: '::', port: 8889 });
  assert.deepEqual(j.findings[1].subject, { pid: 37482, name: 'server' });
  assert.deepEqual(j.findings[0].fix, d.findings[0].fix);
  assert.deepEqual(j.findings[2].related, []);
  assert.equal(typeof j.findings[0].evidence.acceptQueue, 'number');
});

test('processes: compact, sorted by pid, socket states in kernel order', () => {
  const j = diagnosisToJson(seedDiagnosis());
  assert.deepEqual(j.processes.map((p) => p.pid), [1, 812, 1200, 2301, 2305, 37482, 40100]);
  const server = j.processes.find((p) => p.pid === 37482)!;
  assert.deepEqual(server, { pid: 37482, ppid: 1200, name: 'server', cmdline: '/home/jet/server', uid: 1000, user: 'jet', fds: { open: 1024, soft: 1024, hard: 4096 }, sockets: { LISTEN: 1 }, netns: 0, fdKinds: null, inotify: null, state: null, threads: null });
});

test('listeners, socket states, counters with sorted keys, limit origins as an array', () => {
  const j = diagnosisToJson(seedDiagnosis());
  const l = j.listeners.find((x) => x.port === 8889)!;
  assert.deepEqual(l, {
    netns: 0, family: 6, address: '::', port: 8889, inode: 510001, pids: [37482], owners: [{ pid: 37482, fd: 3 }],
    acceptQueue: 129, backlog: 128, backlogSource: 'ss', v6only: null, synRecv: 9, establishedUnaccepted: 3, closeWaitUnaccepted: 126,
    drops: null, dropsDelta: null, acceptWait: null,
  });
  assert.deepEqual(j.socketStates, { ESTABLISHED: 4, SYN_RECV: 9, TIME_WAIT: 1, CLOSE_WAIT: 126, LISTEN: 4 });
  assert.deepEqual(Object.keys(j.counters.values), [...Object.keys(j.counters.values)].sort());
  assert.equal(j.counters.deltas!['TcpExt.ListenOverflows'], 12);
  assert.ok(Array.isArray(j.limitOrigins));
  assert.equal(j.limitOrigins[0].source.unit, 'supervisord.service');
  assert.deepEqual(j.tunables['fs.file-nr'], [4512, 0, 9223372036854775807]);
});

test('filtered by pid: only that process, its listeners and its limit origin', () => {
  const j = diagnosisToJson(filtered({ pid: 812 }));
  assert.deepEqual(j.filter, { pid: 812, port: null });
  assert.deepEqual(j.processes.map((p) => p.pid), [812]);
  assert.deepEqual(j.listeners.map((l) => `${l.address}|${l.port}`), ['0.0.0.0|22', '::|22']);
  assert.deepEqual(j.limitOrigins, []);
  const k = diagnosisToJson(filtered({ port: 8889 }));
  assert.deepEqual(k.processes.map((p) => p.pid), [37482]);
  assert.deepEqual(k.listeners.map((l) => l.inode), [510001]);
  assert.deepEqual(k.limitOrigins.map((o) => o.pid), [37482]);
});

test('golden: the seed diagnosis as JSON', () => {
  assertGolden('seed.json', JSON.stringify(diagnosisToJson(seedDiagnosis()), null, 2) + '\n');
});

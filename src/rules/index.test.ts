import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../testing/paths.js';
import { connections, conntrackTable, healthySnapshot, listener, proc, program, snapshot } from '../testing/snapshot-builder.js';
import { climb, fdHistory } from '../testing/history-builder.js';
import { RULES, runRules } from './index.js';
import { findingRef } from './support/refs.js';
import { addCloseWait } from './support/close-wait-sockets.js';
import { DEFAULT_RULE_OPTIONS, type Rule, type RuleContext } from './types.js';

const rulesDir = join(repoRoot, 'src', 'rules');
const docsDir = join(repoRoot, 'docs', 'findings');

/** Rule files: src/rules/<id>.ts, not index/types, not tests, not support/. */
function ruleFileIds(): string[] {
  return readdirSync(rulesDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => e.name.slice(0, -3))
    .filter((id) => id !== 'index' && id !== 'types')
    .sort();
}

/** The seed, every link of the chain present at once: each rule fires at least once. */
function seedSnapshot() {
  const s = snapshot({
    processes: [
      proc({ pid: 37482, name: 'server', open: 1024, soft: 1024, hard: 1024, sockets: { LISTEN: 1, CLOSE_WAIT: 20 } }),
      proc({ pid: 900, name: 'worker', open: 850, soft: 1000, hard: 4096, sockets: { CLOSE_WAIT: 30 } }),
      proc({ pid: 901, name: 'leaky', open: 400, soft: 1000, hard: 4096 }),
      proc({ pid: 902, name: 'haproxy', open: 60, soft: 4096, hard: 4096, sockets: { LISTEN: 1, ESTABLISHED: 40 } }),
      proc({ pid: 903, name: 'redis-server', open: 50, soft: 1024, hard: 1024, sockets: { LISTEN: 1, ESTABLISHED: 9 } }),
    ],
    listeners: [
      listener({ address: '::', port: 8889, pids: [37482], acceptQueue: 129, backlog: 128, synRecv: 110, closeWaitUnaccepted: 129 }),
      listener({ address: '127.0.0.1', port: 9000, pids: [900], acceptQueue: 110, backlog: 128, waitsMs: [4100, 2500, 300] }),
      // HAProxy at its maxconn: clients wait in its queue; Redis near its maxclients.
      listener({ address: '0.0.0.0', port: 8081, pids: [902], acceptQueue: 21, backlog: 20 }),
      listener({ address: '127.0.0.1', port: 6379, pids: [903], backlog: 511 }),
    ],
    programs: [
      program({ pid: 902, ports: [8081], cap: { directive: 'maxconn', value: 20 }, held: 20, queued: 21 }),
      program({ program: 'redis', label: 'Redis', pid: 903, ports: [6379], cap: { directive: 'maxclients', value: 10, atCap: 'refuse' }, held: 9 }),
    ],
    tunables: { 'net.core.somaxconn': 128, 'fs.file-nr': [96_000, 0, 100_000], 'fs.file-max': 100_000 },
    values: { 'TcpExt.ListenOverflows': 5000, 'TcpExt.ListenDrops': 5000 },
    deltas: { 'TcpExt.ListenOverflows': 213, 'TcpExt.ListenDrops': 213, 'TcpExt.SyncookiesSent': 4, 'TcpExt.TCPAbortOnMemory': 2 },
    // The newer causes, all at once: a full conntrack table, a client out of ports to one
    // destination and nearly out to another, TCP memory, orphans and softnet drops.
    conntrack: conntrackTable({ count: 262144, stats: { drop: 10 }, statDeltas: { drop: 10 } }),
    sockstat: { tcpInuse: 900, tcpOrphan: 131072, tcpTimeWait: 500, tcpAlloc: 900, tcpMemPages: 600000 },
    softnet: { cpus: [{ cpu: 0, processed: 10, dropped: 30, timeSqueeze: 1 }], dropped: 30, droppedDelta: 5, timeSqueeze: 1, intervalMs: 1000 },
    sockets: [
      ...connections(28232, { firstPort: 32768, remoteAddress: '10.0.0.5', remotePort: 80, state: 'TIME_WAIT' }),
      ...connections(25000, { firstPort: 32768, remoteAddress: '10.0.0.6', remotePort: 443, pid: 900 }),
    ],
  });
  // 37482's CLOSE_WAIT stayed the whole window (a leak); 900's were all replaced (churn).
  addCloseWait(s, { pid: 37482, port: 8889, count: 20, persisted: 20 });
  addCloseWait(s, { pid: 900, port: 9000, count: 30, persisted: 0 });
  // inotify: uid 0 at max_user_instances, uid 1000 near it, uid 2000 at max_user_watches, uid 3000 near it.
  const watcher = (pid: number, uid: number, instances: number, watches: number) => proc({ pid, name: `w${pid}`, uid, inotify: { instances, watches, userns: 4026531837 } });
  s.processes.push(watcher(600, 0, 128, 100), watcher(601, 1000, 105, 10), watcher(602, 2000, 1, 65536), watcher(603, 3000, 1, 60000));
  s.userNamespaces = [{ inode: 4026531837, own: true, owner: null, parent: null, maxInotifyInstances: 128, maxInotifyWatches: 65536 }];
  // A container whose own conntrack count nears the host-wide max.
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532999, kind: 'docker', name: 'web', conntrack: conntrackTable({ count: 230000 }) });
  return s;
}

/** The seed's history: `leaky` gained 5 descriptors every 2 s for 2 minutes. */
const seedContext: RuleContext = { history: fdHistory({ pid: 901, name: 'leaky', soft: 1000 }, climb(105, 5, 60), 2000) };

test('every rule file has a test, a doc and an index entry, and its id is its file name', async () => {
  const ids = ruleFileIds();
  assert.ok(ids.length >= 10, `rule files found: ${ids.join(', ')}`);
  assert.deepEqual(RULES.map((r) => r.id), ids, 'RULES lists exactly the rule files, alphabetically');
  for (const id of ids) {
    assert.ok(existsSync(join(rulesDir, `${id}.test.ts`)), `src/rules/${id}.test.ts missing`);
    assert.ok(existsSync(join(docsDir, `${id}.md`)), `docs/findings/${id}.md missing`);
    const mod = (await import(`./${id}.js`)) as { rule?: Rule };
    assert.ok(mod.rule, `src/rules/${id}.ts exports no \`rule\``);
    assert.equal(mod.rule.id, id);
    assert.ok(RULES.includes(mod.rule), `${id} is not the object in RULES`);
    assert.ok(mod.rule.description.length > 10, `${id} has a description`);
  }
});

test('no doc without a rule', () => {
  const docs = readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort();
  assert.deepEqual(docs, ruleFileIds());
});

test('every doc has the sections and documents every evidence key its findings use', () => {
  const keys = new Map<string, Set<string>>();
  for (const f of runRules(seedSnapshot(), DEFAULT_RULE_OPTIONS, undefined, seedContext)) {
    const set = keys.get(f.id) ?? new Set<string>();
    for (const k of Object.keys(f.evidence)) set.add(k);
    keys.set(f.id, set);
  }
  assert.deepEqual([...keys.keys()].sort(), ruleFileIds(), 'the seed snapshot makes every rule fire');
  for (const [id, set] of keys) {
    const doc = readFileSync(join(docsDir, `${id}.md`), 'utf8');
    assert.ok(doc.startsWith(`# ${id}\n`), `${id}.md starts with its id as title`);
    for (const section of ['## What it means', '## Why it happens', '## What clients experience', '## How to fix', '## Evidence']) {
      assert.ok(doc.includes(section), `${id}.md lacks "${section}"`);
    }
    for (const k of set) assert.ok(doc.includes(`\`${k}\``), `${id}.md does not document evidence key \`${k}\``);
  }
});

test('a healthy host yields no warning or critical finding', () => {
  const bad = runRules(healthySnapshot()).filter((f) => f.severity !== 'info');
  assert.deepEqual(bad.map((f) => `${f.severity} ${f.id}: ${f.title}`), []);
});

test('the seed: the whole chain is found and every related ref points at a finding', () => {
  const findings = runRules(seedSnapshot());
  const refs = new Set(findings.map(findingRef));
  assert.equal(refs.size, findings.length, 'refs are unique');
  for (const f of findings) {
    for (const r of f.related ?? []) assert.ok(refs.has(r), `${findingRef(f)} relates to ${r}, which is not a finding`);
  }
  const critical = findings.filter((f) => f.severity === 'critical').map(findingRef);
  for (const want of ['accept-queue-full@[::]:8889', 'close-wait-unaccepted@[::]:8889', 'fd-limit-exhausted@37482', 'listen-overflows']) {
    assert.ok(critical.includes(want), `${want} is critical`);
  }
  // Both ends of the fd -> queue link.
  const byRef = new Map(findings.map((f) => [findingRef(f), f]));
  assert.ok(byRef.get('fd-limit-exhausted@37482')?.related?.includes('accept-queue-full@[::]:8889'));
  assert.ok(byRef.get('accept-queue-full@[::]:8889')?.related?.includes('fd-limit-exhausted@37482'));
});

test('runRules sorts by severity, then id, then subject', () => {
  const findings = runRules(seedSnapshot());
  const order = { critical: 0, warning: 1, info: 2 } as const;
  for (let i = 1; i < findings.length; i++) {
    const a = findings[i - 1]!;
    const b = findings[i]!;
    const key = (f: typeof a) => [order[f.severity], f.id] as const;
    const [sa, ia] = key(a);
    const [sb, ib] = key(b);
    assert.ok(sa < sb || (sa === sb && ia <= ib), `${a.severity} ${a.id} before ${b.severity} ${b.id}`);
  }
  // Within one id, subjects in a stable order: two accept-queue findings for two listeners.
  const two = snapshot({
    listeners: [listener({ address: '::', port: 81, acceptQueue: 600 }), listener({ address: '0.0.0.0', port: 80, acceptQueue: 5000 })],
  });
  assert.deepEqual(
    runRules(two).filter((f) => f.id === 'accept-queue-full').map(findingRef),
    ['accept-queue-full@0.0.0.0:80'],
  );
  const twoFull = snapshot({
    listeners: [listener({ address: '::', port: 81, acceptQueue: 5000 }), listener({ address: '0.0.0.0', port: 80, acceptQueue: 5000 })],
  });
  assert.deepEqual(
    runRules(twoFull).filter((f) => f.id === 'accept-queue-full').map(findingRef),
    ['accept-queue-full@0.0.0.0:80', 'accept-queue-full@[::]:81'],
  );
});

test('rules are pure: same input, same output, input untouched', () => {
  const s = seedSnapshot();
  const before = structuredClone(s);
  const first = runRules(s);
  assert.deepEqual(runRules(s), first);
  assert.deepEqual(s, before);
});

test('options reach the rules', () => {
  const s = snapshot({ processes: [proc({ pid: 5, name: 'x', open: 500, soft: 1000 })] });
  assert.deepEqual(runRules(s).map((f) => f.id), []);
  const strict = { ...DEFAULT_RULE_OPTIONS, fdCritical: 0.9, fdWarning: 0.4 };
  assert.deepEqual(runRules(s, strict).map((f) => f.id), ['fd-limit-near']);
});

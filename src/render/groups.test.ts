import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillOf, groupFindings, groupTitle, hurtOf, podWorkload } from './groups.js';
import { renderDiagnosis } from './terminal.js';
import { renderSummary } from './summary.js';
import { diagnosisToJson } from './json.js';
import { assertGolden } from './golden.js';
import { diagnose } from '../cli/diagnose.js';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { DEFAULT_RULE_OPTIONS, type Finding } from '../rules/types.js';
import { findingRef } from '../rules/support/refs.js';
import type { Diagnosis } from './report.js';
import type { NetNamespace, Snapshot } from '../snapshot/types.js';

const PROGRAMS = ['alpha', 'beta', 'gamma'];

/**
 * 300 full listeners across 30 namespaces owned by 3 programs (namespace i: ten listeners of
 * program i % 3, one process each), every namespace counting listen overflows in the window.
 */
function crowdedHost(): Snapshot {
  const processes = [];
  const listeners = [];
  const base = snapshot({ deltas: {} });
  const namespaces: NetNamespace[] = [base.namespaces[0]];
  for (let i = 0; i < 30; i++) {
    const inode = 4026532100 + i;
    const pid = 2000 + i;
    processes.push(proc({ pid, name: PROGRAMS[i % 3], open: 40, soft: 1024, netns: inode, sockets: { LISTEN: 10 } }));
    for (let k = 0; k < 10; k++) {
      // Queues from 129/128 up: the worst of a group is the fullest.
      listeners.push(listener({ netns: inode, port: 9000 + k, pids: [pid], acceptQueue: 129 + i + k, backlog: 128, inode: 70000 + i * 10 + k }));
    }
    namespaces.push({
      ...base.namespaces[0],
      inode,
      kind: 'netns',
      name: `lt-${i}`,
      pids: [pid],
      listenerCount: 10,
      counters: { values: { 'TcpExt.ListenOverflows': 50 + i, 'TcpExt.ListenDrops': 50 + i }, deltas: { 'TcpExt.ListenOverflows': 5, 'TcpExt.ListenDrops': 5 }, intervalMs: 1000 },
    });
  }
  const s = snapshot({ processes, listeners, values: { 'TcpExt.ListenOverflows': 0, 'TcpExt.ListenDrops': 0 }, deltas: {} });
  s.namespaces = namespaces;
  return s;
}

function crowded(): Diagnosis {
  return diagnose(crowdedHost(), DEFAULT_RULE_OPTIONS, {});
}

test('300 full listeners in 30 namespaces of 3 programs: at most 60 lines at 100 columns, the groups named', () => {
  const d = crowded();
  assert.equal(d.findings.filter((f) => f.id === 'accept-queue-full').length, 300);
  const out = renderDiagnosis(d, { color: false, columns: 100 });
  // Rows on a 100-column terminal: a fix line is never wrapped by sockdoc, the terminal wraps it.
  const rows = out.trimEnd().split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.length / 100)), 0);
  assert.ok(rows <= 60, `${rows} rows:\n${out}`);
  for (const p of PROGRAMS) assert.match(out, new RegExp(`100 listeners of ${p} in 10 namespaces: accept-queue-full`));
  // The worst of alpha's group is the queue with the most waiting (namespace 27, port 9009: 129+27+9 = 165).
  assert.match(out, /worst +Accept queue of 0\.0\.0\.0:9009 in netns lt-27 is full: 165 waiting/);
  // The group whose worst hurts most comes first (gamma: 167 waiting in lt-29), its namespaces worst first.
  assert.match(out, /^\[1\] CRITICAL {2}100 listeners of gamma in 10 namespaces/m);
  assert.match(out, /97 more \(--verbose\); 10 namespaces: netns lt-29, netns lt-26/);
  // The answer's first line names that same listener, and states the wait.
  assert.match(out.split('\n')[2], /^CRITICAL {2}0\.0\.0\.0:9009 in netns lt-29 is not accepting: 167 waiting \(limit 128\)/);
  assertGolden('grouped.txt', out);
});

test('--verbose expands every finding of every group', () => {
  const out = renderDiagnosis(crowded(), { color: false, columns: 100, verbose: true });
  for (let i = 0; i < 30; i++) for (let k = 0; k < 10; k++) assert.ok(out.includes(`Accept queue of 0.0.0.0:${9000 + k} in netns lt-${i} is full`), `lt-${i}:${9000 + k}`);
});

test('JSON keeps all 300 findings and adds groups that hold each finding exactly once', () => {
  const j = diagnosisToJson(crowded());
  assert.equal(j.findings.filter((f) => f.id === 'accept-queue-full').length, 300);
  const refs = j.groups.flatMap((g) => g.refs);
  assert.deepEqual([...refs].sort(), j.findings.map((f) => f.ref).sort());
  const full = j.groups.filter((g) => g.id === 'accept-queue-full');
  // In the report's order: the group whose worst hurts most first (gamma's 167 waiting, then beta's 166, alpha's 165).
  assert.deepEqual(full.map((g) => [g.program, g.count, g.namespaces.length, g.clientsHurt]), [...PROGRAMS].reverse().map((p, i) => [p, 100, 10, 167 - i]));
  for (const g of j.groups) assert.deepEqual(g.worst, g.refs.slice(0, 3));
});

test('the monitoring line stays one line and names the headline group', () => {
  const line = renderSummary(crowded());
  assert.equal(line.split('\n').length, 2); // the line and its newline
  assert.match(line, /^SOCKDOC CRITICAL - 100 listeners of gamma in 10 namespaces: accept-queue-full; worst: Accept queue of 0\.0\.0\.0:9009 in netns lt-29 is full: 167 waiting, limit 128 \(\+230 critical in 3 groups\) \| queue=167;/);
  assertGolden('grouped-summary.txt', line);
});

/** A finding of an id no renderer knows: grouping reads only id, severity and subject. */
function made(id: string, pid: number, name: string, extra: Partial<Finding> = {}): Finding {
  return { id, severity: 'warning', subject: { pid, name }, title: `${name} (pid ${pid}) does something`, evidence: { usedPercent: pid % 7 }, explain: 'Because.', fix: [`kill -HUP ${pid}`], ...extra };
}

test('any finding id groups: same id and program fold, another program or severity stays apart', () => {
  const findings = [made('unix-queue-full-tomorrow', 10, 'php-fpm'), made('unix-queue-full-tomorrow', 11, 'php-fpm'), made('unix-queue-full-tomorrow', 12, 'redis'), made('unix-queue-full-tomorrow', 13, 'php-fpm', { severity: 'critical' })];
  const groups = groupFindings(findings);
  assert.deepEqual(groups.map((g) => [g.program, g.severity, g.findings.map((f) => f.subject.pid)]), [
    ['php-fpm', 'warning', [11, 10]], // worst first: usedPercent 4 before 3
    ['redis', 'warning', [12]],
    ['php-fpm', 'critical', [13]],
  ]);
  assert.equal(groupTitle(groups[0]), '2 processes of php-fpm: unix-queue-full-tomorrow');
  assert.deepEqual(groups[0].findings.map(findingRef), ['unix-queue-full-tomorrow@11', 'unix-queue-full-tomorrow@10']);
});

test('pods of one workload group together, another workload apart', () => {
  const inPod = (pid: number, pod: string): Finding =>
    made('fd-limit-near', pid, 'nginx', { subject: { pid, name: 'nginx', netns: { inode: pid, kind: 'kubernetes', name: pod, pod: { namespace: 'shop', name: pod, uid: null, containers: [] } } } });
  const groups = groupFindings([inPod(1, 'web-7d9f8c6b5-x2x9z'), inPod(2, 'web-7d9f8c6b5-abcde'), inPod(3, 'api-0')]);
  assert.deepEqual(groups.map((g) => [g.workload, g.findings.length]), [['pod shop/web', 2], ['pod shop/api', 1]]);
  assert.equal(groupTitle(groups[0]), '2 processes of nginx in 2 pods of pod shop/web: fd-limit-near');
});

test('podWorkload: Deployment, DaemonSet, StatefulSet and a bare pod', () => {
  assert.equal(podWorkload({ namespace: 'a', name: 'web-7d9f8c6b5-x2x9z' }), 'a/web');
  assert.equal(podWorkload({ namespace: 'a', name: 'fluentd-8xk2p' }), 'a/fluentd');
  assert.equal(podWorkload({ namespace: 'a', name: 'db-12' }), 'a/db');
  assert.equal(podWorkload({ namespace: 'a', name: 'standalone' }), 'a/standalone');
});

test('fillOf reads the evidence convention: keys ending in Percent or Ratio', () => {
  assert.equal(fillOf(made('x', 1, 'a', { evidence: { queuePercent: 120, heldRatio: 0.5 } })), 1.2);
  assert.equal(fillOf(made('x', 1, 'a', { evidence: { open: 5 } })), null);
});

/**
 * A node where one name means different programs and many processes mean one: two python3
 * services of one interpreter (billing.service, reports.service), two instances of one template
 * unit (worker@1, worker@2), and 200 replicas of deployment shop/web (python3 too), every one
 * with full accept queues. Identities as probe/pid-identity.ts reads them (test/fixtures/identity).
 */
function oneNameManyPrograms(): Diagnosis {
  const base = snapshot({ deltas: {} });
  const processes = [];
  const listeners = [];
  const namespaces: NetNamespace[] = [base.namespaces[0]];
  const identities = new Map<number, { exe: string | null; unit: string | null }>();
  const service = (pid: number, name: string, exe: string, unit: string, ports: number[]) => {
    processes.push(proc({ pid, name, open: 40, soft: 1024, sockets: { LISTEN: ports.length } }));
    for (const port of ports) listeners.push(listener({ port, pids: [pid], acceptQueue: 129 + (port % 7), backlog: 128 }));
    identities.set(pid, { exe, unit });
  };
  service(4101, 'python3', '/usr/bin/python3.11', 'billing.service', [8001, 8002]);
  service(4102, 'python3', '/usr/bin/python3.11', 'reports.service', [8101, 8102]);
  service(4103, 'node', '/usr/bin/node', 'worker@.service', [9001]);
  service(4104, 'node', '/usr/bin/node', 'worker@.service', [9002]);
  for (let i = 0; i < 200; i++) {
    const inode = 4026533000 + i;
    const pid = 6000 + i;
    const pod = `web-7d9f8c6b5-${((i * 7919) % 36 ** 5).toString(36).padStart(5, '0')}`;
    processes.push(proc({ pid, name: 'python3', open: 30, soft: 1048576, netns: inode, sockets: { LISTEN: 1 } }));
    listeners.push(listener({ netns: inode, port: 8080, pids: [pid], acceptQueue: 129 + (i % 40), backlog: 128, inode: 90000 + i }));
    identities.set(pid, { exe: '/usr/local/bin/python3.12', unit: null });
    namespaces.push({ ...base.namespaces[0], inode, kind: 'kubernetes', name: `shop/${pod}`, pod: { namespace: 'shop', name: pod, uid: null, containers: ['web'] }, pids: [pid], listenerCount: 1 });
  }
  const s = snapshot({ processes, listeners, deltas: {} });
  s.namespaces = namespaces;
  const d = diagnose(s, DEFAULT_RULE_OPTIONS, {});
  d.snapshot.identities = identities;
  return d;
}

test('one name, many programs: two python3 services stay apart, 200 replicas of a deployment and a template unit\'s instances fold (golden)', () => {
  const d = oneNameManyPrograms();
  const full = d.findings.filter((f) => f.id === 'accept-queue-full');
  assert.equal(full.length, 206);
  const groups = groupFindings(full, d.snapshot.identities);
  assert.deepEqual(
    groups.map((g) => [groupTitle(g), g.exe, g.unit]).sort(),
    [
      ['2 listeners of node: accept-queue-full', '/usr/bin/node', 'worker@.service'],
      ['2 listeners of python3 (billing.service): accept-queue-full', '/usr/bin/python3.11', 'billing.service'],
      ['2 listeners of python3 (reports.service): accept-queue-full', '/usr/bin/python3.11', 'reports.service'],
      ['200 listeners of python3 in 200 pods of pod shop/web: accept-queue-full', '/usr/local/bin/python3.12', null],
    ],
  );
  // Without identities (a snapshot nobody read them for) the name alone decides, as before: the
  // two services and the host's python3 fold (the pods stay apart by their workload).
  assert.equal(groupFindings(full).length, 3);
  const out = renderDiagnosis(d, { color: false, columns: 100 });
  assert.match(out, /2 listeners of python3 \(billing\.service\)/);
  assert.match(out, /2 listeners of python3 \(reports\.service\)/);
  assert.match(out, /200 listeners of python3 in 200 pods of pod shop\/web/);
  const json = diagnosisToJson(d);
  const web = json.groups.find((g) => g.workload === 'pod shop/web' && g.id === 'accept-queue-full')!;
  assert.equal(web.count, 200);
  assert.equal(web.exe, '/usr/local/bin/python3.12');
  assert.deepEqual(json.groups.filter((g) => g.id === 'accept-queue-full' && g.program === 'python3').map((g) => g.unit).sort(), ['billing.service', null, 'reports.service']);
  assertGolden('grouped-identities.txt', out);
});

test('one executable run by root and by another user is two groups: a tenant\'s processes never hide a root service among "the others alike"', () => {
  // As an attacker did: root's python3 service with a full queue beside three full listeners of
  // uid 65534's own python3 (same /usr/bin/python3.11, no unit): root's must be named on its own.
  const full = (pid: number, port: number, path?: string): Finding =>
    made('accept-queue-full', pid, 'python3', { severity: 'critical', subject: { pid, name: 'python3', ...(path ? { path } : { address: '127.0.0.1', port }) }, evidence: { fillRatio: 1 + pid / 1e5 } });
  const findings = [full(20139, 8080), full(20141, 8080), full(20143, 8080), full(14400, 8080), full(20150, 0, '/tmp/u/sock')];
  const identities = new Map([
    [20139, { exe: '/usr/bin/python3.11', unit: null, uid: 65534, user: 'nobody' }],
    [20141, { exe: '/usr/bin/python3.11', unit: null, uid: 65534, user: 'nobody' }],
    [20143, { exe: '/usr/bin/python3.11', unit: null, uid: 65534, user: 'nobody' }],
    [14400, { exe: '/usr/bin/python3.11', unit: null, uid: 0, user: 'root' }],
    [20150, { exe: '/usr/bin/python3.11', unit: null, uid: 65534, user: 'nobody' }],
  ]);
  const groups = groupFindings(findings, identities);
  assert.deepEqual(groups.map((g) => [g.uid, g.findings.map((f) => f.subject.pid)]), [
    [65534, [20143, 20141, 20139]],
    [0, [14400]],
    [65534, [20150]],
  ]);
  assert.match(groupTitle(groups[0]), /3 \w+ of python3 \(uid 65534 nobody\)/);
  assert.ok(groups[1].key.includes('|0|'), groups[1].key);
  // A unix-domain listener is never folded with TCP ones of the same program and user: its fix differs.
  assert.ok(groups[2].key.endsWith('|unix'), groups[2].key);
  // Without identities (a fixture snapshot) the name alone decides, as before, but the family still splits.
  assert.deepEqual(groupFindings(findings).map((g) => g.findings.length), [4, 1]);
});

/**
 * One program's four full listeners: three tiny queues over-full by ratio (2/1, 2/1, 3/2) and one
 * with 81 clients waiting behind a backlog of 80 (101%). What hurts is the 81.
 */
function tinyAndBig(): Diagnosis {
  const listeners = [
    listener({ port: 8001, pids: [10], acceptQueue: 2, backlog: 1 }),
    listener({ port: 8002, pids: [10], acceptQueue: 81, backlog: 80 }),
    listener({ port: 8003, pids: [10], acceptQueue: 2, backlog: 1 }),
    listener({ port: 8004, pids: [10], acceptQueue: 3, backlog: 2 }),
  ];
  return diagnose(snapshot({ processes: [proc({ pid: 10, name: 'web', open: 40, soft: 1024, sockets: { LISTEN: 4 } })], listeners }), DEFAULT_RULE_OPTIONS, {});
}

test('the worst is what hurts: 81 waiting behind a backlog of 80 leads, in every place groups show', () => {
  const d = tinyAndBig();
  const out = renderDiagnosis(d, { color: false, columns: 100 });
  // Terminal: the group's first worst line, the answer line, the fix's subject.
  assert.match(out, /worst +Accept queue of 0\.0\.0\.0:8002 is full: 81 waiting, limit 80\n/);
  assert.match(out.split('\n')[2], /^CRITICAL {2}0\.0\.0\.0:8002 is not accepting: 81 waiting \(limit 80\)/);
  assert.match(out, /copy-paste \(for 10\/web · 0\.0\.0\.0:8002;/);
  // --summary: the text and the perfdata name the same listener.
  const line = renderSummary(d);
  assert.match(line, /worst: Accept queue of 0\.0\.0\.0:8002 is full: 81 waiting, limit 80 .*\| queue=81;64;80;0;81 /);
  // JSON (what the dashboard and watch draw): the group's worst first.
  const g = diagnosisToJson(d).groups.find((x) => x.id === 'accept-queue-full')!;
  assert.equal(g.worst[0], 'accept-queue-full@0.0.0.0:8002');
  assert.deepEqual(g.refs.slice(1).map((r) => r.slice(-4)), ['8004', '8001', '8003']); // then by ratio, then the report's order
});

test('clients dropped in the window count as hurt: of two equal queues the one dropping leads', () => {
  const a: Finding = made('accept-queue-full', 1, 'web', { evidence: { acceptQueue: 10, queuePercent: 200, dropsDelta: null } });
  const b: Finding = made('accept-queue-full', 2, 'web', { evidence: { acceptQueue: 10, queuePercent: 110, dropsDelta: 40 } });
  assert.deepEqual(groupFindings([a, b])[0].findings.map((f) => f.subject.pid), [2, 1]);
  // Findings that count no client (an fd limit) are ordered by their fill alone.
  assert.equal(hurtOf(made('fd-limit-near', 3, 'x')), null);
});

/**
 * A message of one program is answered for that program: nginx's, HAProxy's and systemd's
 * messages (and every program-family message) are checked against that program's processes
 * (or the pid the line names), never answered with another process's trouble; a port in the line
 * narrows a cap to that port's holders; a program that does not run here is said, and the answer
 * is "not answered", not another program's finding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { answerWhy } from './answer.js';
import { FAMILIES, extractHints } from './catalogue.js';
import type { Finding } from '../rules/types.js';

const fd = (pid: number, name: string): Finding => ({ id: 'fd-limit-exhausted', severity: 'critical', subject: { pid, name }, title: `${name} (pid ${pid}) is out of file descriptors`, evidence: {}, explain: '', fix: [] });
const cap = (pid: number, name: string, port: number): Finding => ({ id: 'program-cap-reached', severity: 'critical', subject: { pid, name }, title: `${name} (pid ${pid}) is at its cap on :${port}`, evidence: { ports: String(port) }, explain: '', fix: [] });
const inotify = (uid: number): Finding => ({ id: 'inotify-instances-exhausted', severity: 'critical', subject: { uid }, title: `uid ${uid} is out of inotify instances`, evidence: {}, explain: '', fix: [] });

// A host in trouble elsewhere: a python3 at its fd limit (uid 1000 out of inotify instances too).
function host(extra: Parameters<typeof proc>[0][] = []) {
  return snapshot({
    processes: [proc({ pid: 60, name: 'python3', uid: 1000, open: 1024, soft: 1024 }), proc({ pid: 1, name: 'systemd', uid: 0 }), ...extra.map(proc)],
    listeners: [listener({ port: 9000, pids: [60] }), ...(extra.some((p) => p.name === 'nginx') ? [listener({ port: 80, pids: [50, 51] })] : [])],
  });
}
const others = [fd(60, 'python3'), inotify(1000)];

for (const [line, emitter] of [
  ['2026/12/07 11:00:00 [alert] 51#51: 1024 worker_connections are not enough', 'nginx'],
  ["Proxy http-in reached process FD limit (maxsock=4096). Please check 'ulimit-n' and restart.", 'haproxy'],
  ['accept4() failed (24: Too many open files)', 'nginx'],
] as const) {
  test(`${emitter}'s message "${line.slice(-40)}": never answered with another program's fd exhaustion`, () => {
    const running = host([{ pid: 50, name: emitter }, { pid: 51, name: emitter, ppid: 50 }]);
    const a = answerWhy(line, running, others);
    assert.notEqual(a.exitCode, 2, a.headline);
    assert.doesNotMatch(JSON.stringify(a.conditions), /python3/);
    assert.ok(a.scope && a.scope.pids.includes(51) && !a.scope.pids.includes(60), JSON.stringify(a.scope));
    // Its own fd exhaustion does answer it.
    const own = answerWhy(line, running, [...others, fd(51, emitter)]);
    assert.equal(own.exitCode, 2);
    assert.match(own.headline, new RegExp(`holds now — ${emitter} \\(pid 51\\)`));
    // Not running here: said, not answered (exit 3), and nobody else's trouble.
    const gone = answerWhy(line, host(), others);
    assert.equal(gone.exitCode, 3, gone.headline);
    assert.match(gone.headline, /no (nginx|HAProxy) process runs here now/);
    assert.doesNotMatch(gone.headline, /python3/);
  });
}

test("systemd's \"Failed to allocate directory watch\": the inotify limit of systemd's uids, not another user's", () => {
  const a = answerWhy('Dec 07 11:00:00 vm systemd[1]: Failed to allocate directory watch: Too many open files', host(), others);
  assert.notEqual(a.exitCode, 2, a.headline);
  assert.deepEqual(a.scope?.pids, [1]);
  const own = answerWhy('Dec 07 11:00:00 vm systemd[1]: Failed to allocate directory watch: Too many open files', host(), [...others, inotify(0)]);
  assert.equal(own.exitCode, 2);
  assert.match(own.headline, /uid 0 is out of inotify instances/);
});

test('a refused connection on port 7110 is not answered with a cap on another port; on its own port it is', () => {
  const s = host([{ pid: 50, name: 'nginx' }, { pid: 51, name: 'nginx', ppid: 50 }]);
  s.listeners.push(listener({ port: 7110, pids: [70] }));
  s.processes.push(proc({ pid: 70, name: 'app' }));
  const line = '2026/12/07 11:00:00 [error] 51#51: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 10.1.1.1, server: _, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:7110/", host: "localhost"';
  assert.equal(extractHints(line).port, 7110);
  const a = answerWhy(line, s, [cap(51, 'nginx', 80)]);
  const pc = a.conditions.find((c) => c.id === 'program-cap')!;
  assert.equal(pc.state, 'no', JSON.stringify(pc));
  const b = answerWhy(line, s, [cap(70, 'app', 7110)]);
  assert.equal(b.conditions.find((c) => c.id === 'program-cap')!.state, 'holds');
});

test('the pid the line names narrows to it (and its instance); a pid that is gone or reused is said', () => {
  const s = host([{ pid: 50, name: 'nginx' }, { pid: 51, name: 'nginx', ppid: 50 }, { pid: 52, name: 'nginx', ppid: 50 }]);
  const line = '2026/12/07 11:00:00 [alert] 52#52: accept4() failed (24: Too many open files)';
  assert.equal(extractHints(line).pid, 52);
  const a = answerWhy(line, s, [...others, fd(51, 'nginx')]);
  assert.deepEqual(a.scope?.pids, [52]);
  assert.notEqual(a.exitCode, 2, 'worker 51 is not the one that logged it');
  const reused = answerWhy('2026/12/07 11:00:00 [alert] 60#60: accept4() failed (24: Too many open files)', s, others);
  assert.match(reused.scope?.note ?? '', /pid 60 named in the line is python3 now/);
  assert.notEqual(reused.exitCode, 2);
});

test('every family that names a program has an emitter whose comm matches that program', () => {
  for (const id of ['nginx', 'haproxy', 'php', 'redis', 'postgresql', 'mysql', 'pgbouncer', 'memcached', 'apache']) {
    const f = FAMILIES.find((x) => x.id === id);
    assert.ok(f?.emitter, id);
  }
});

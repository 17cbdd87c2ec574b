import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { checkPort, portAnswer, portExitCode, ssLocal } from './check.js';
import type { Finding } from '../rules/types.js';

test('ss spelling: *:P for a dual-stack wildcard, [::]:P for IPv6 only (and when unknown), brackets for IPv6', () => {
  assert.equal(ssLocal({ family: 6, address: '::', port: 80, v6only: false }), '*:80');
  assert.equal(ssLocal({ family: 6, address: '::', port: 80, v6only: true }), '[::]:80');
  assert.equal(ssLocal({ family: 6, address: '::', port: 80, v6only: null }), '[::]:80');
  assert.equal(ssLocal({ family: 4, address: '0.0.0.0', port: 80, v6only: null }), '0.0.0.0:80');
  assert.equal(ssLocal({ family: 6, address: '::1', port: 80, v6only: true }), '[::1]:80');
});

test('nothing listens anywhere: critical, exit 2', () => {
  const c = checkPort(snapshot({ listeners: [listener({ port: 22 })] }), 8080);
  assert.equal(c.verdict, 'not-listening');
  assert.equal(c.severity, 'critical');
  assert.match(c.headline, /Nothing listens on port 8080 in the 1 network namespace/);
  assert.ok(c.explain.some((e) => /connection refused/.test(e)));
  assert.equal(portExitCode(c, []), 2);
});

test('127.0.0.1 and ::1 only: loopback-only warning, owners with their fd limits', () => {
  const s = snapshot({
    processes: [proc({ pid: 10, name: 'redis-server', open: 900, soft: 1024, hard: 4096 })],
    listeners: [listener({ address: '127.0.0.1', port: 6379, pids: [10] }), listener({ address: '::1', port: 6379, pids: [10], v6only: true })],
  });
  const c = checkPort(s, 6379);
  assert.equal(c.verdict, 'loopback-only');
  assert.equal(c.severity, 'warning');
  assert.deepEqual(c.listeners.map((l) => l.ssLocal), ['127.0.0.1:6379', '[::1]:6379']);
  assert.deepEqual(c.listeners[0].owners, [{ pid: 10, name: 'redis-server', fd: 3, openFds: 900, softLimit: 1024, hardLimit: 4096 }]);
  assert.equal(portExitCode(c, []), 1);
});

test('[::]:P with IPV6_V6ONLY: IPv4 clients refused; dual-stack *:P is fine; unknown v6only is not a verdict', () => {
  const v6 = checkPort(snapshot({ listeners: [listener({ address: '::', port: 80, v6only: true })] }), 80);
  assert.equal(v6.verdict, 'ipv6-only');
  assert.match(v6.headline, /IPv4 clients are refused/);
  const dual = checkPort(snapshot({ listeners: [listener({ address: '::', port: 80, v6only: false })] }), 80);
  assert.equal(dual.verdict, 'listening');
  assert.equal(dual.headline, 'Port 80 is listening: *:80');
  const both = checkPort(snapshot({ listeners: [listener({ address: '::', port: 80, v6only: true }), listener({ address: '0.0.0.0', port: 80 })] }), 80);
  assert.equal(both.verdict, 'listening', 'nginx default: [::]:80 ipv6only plus 0.0.0.0:80');
  const unknown = checkPort(snapshot({ listeners: [listener({ address: '::', port: 80, v6only: null })] }), 80);
  assert.equal(unknown.verdict, 'listening');
  assert.equal(unknown.listeners[0].ipv4, null);
  assert.ok(unknown.explain.some((e) => /IPV6_V6ONLY could not be read/.test(e)));
});

test('listening only inside another namespace: named, warning', () => {
  const s = snapshot({ listeners: [listener({ port: 8080, netns: 4026532777, address: '0.0.0.0' })] });
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532777, kind: 'docker', name: 'api', pids: [] });
  const c = checkPort(s, 8080);
  assert.equal(c.verdict, 'other-namespace-only');
  assert.match(c.headline, /only inside api/);
  assert.equal(c.listeners[0].netns, 'api');
  assert.equal(c.listeners[0].inHostNamespace, false);
  assert.ok(c.fix.some((f) => f.includes('docker run -p 8080:8080')));
});

test('a listening port with a critical finding exits 2', () => {
  const c = checkPort(snapshot({ listeners: [listener({ port: 80, acceptQueue: 600, backlog: 511 })] }), 80);
  assert.equal(c.severity, 'ok');
  const f = { severity: 'critical' } as Finding;
  assert.equal(portExitCode(c, [f]), 2);
});

test('the answer is the worst of the verdict and the findings: a listening port with a full queue is not a green tick', () => {
  const c = checkPort(snapshot({ listeners: [listener({ address: '::', port: 8889, v6only: false, acceptQueue: 129, backlog: 128 })] }), 8889);
  const full = { severity: 'critical', title: 'Accept queue of [::]:8889 is full: 129 waiting, limit 128' } as Finding;
  assert.deepEqual(portAnswer(c, [full]), { severity: 'critical', headline: 'Port 8889 listens (*:8889), but: Accept queue of [::]:8889 is full: 129 waiting, limit 128' });
  assert.deepEqual(portAnswer(c, [{ severity: 'info', title: 'x' } as Finding]), { severity: 'ok', headline: 'Port 8889 is listening: *:8889' }, 'info never overrides');
  const loop = checkPort(snapshot({ listeners: [listener({ address: '127.0.0.1', port: 80 })] }), 80);
  assert.equal(portAnswer(loop, [{ severity: 'warning', title: 'w' } as Finding]).headline, loop.headline, 'an equal finding keeps the verdict');
  assert.match(portAnswer(loop, [full]).headline, /^Port 80 listens on 127\.0\.0\.1:80 only.*; and Accept queue/);
});

test('nothing listens where sockdoc could read; namespaces it could not read are counted apart and named', () => {
  const s = snapshot({ listeners: [listener({ port: 22 })] });
  s.host.asRoot = false;
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532999, kind: 'netns', name: 'blue', pids: [], socketSource: null, partial: true });
  const c = checkPort(s, 8080);
  assert.equal(c.verdict, 'not-listening');
  assert.match(c.headline, /^Nothing listens on port 8080 in the 1 network namespace sockdoc read; 1 more could not be read \(not root\)/);
  assert.ok(c.explain.some((e) => /The sockets of netns blue could not be read \(entering a network namespace needs root/.test(e)), c.explain.join(' '));
  assert.ok(c.fix.includes('sudo sockdoc port 8080   # root reads every network namespace'));
});

test('only inside an ip netns namespace: the fix enters it by name (shell-quoted), no docker advice', () => {
  const s = snapshot({ listeners: [listener({ port: 8080, netns: 4026532777, address: '0.0.0.0', pids: [77] })] });
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532777, kind: 'netns', name: 'lab;$(id)', pids: [77] });
  const c = checkPort(s, 8080);
  assert.equal(c.verdict, 'other-namespace-only');
  assert.equal(c.fix[0], "ip netns exec 'lab;$(id)' ss -ltnp 'sport = :8080'   # the listener inside netns lab;$(id)");
  assert.ok(!c.fix.some((f) => /docker/.test(f)) && !c.explain.some((e) => /docker|container or pod/.test(e)), c.fix.join('\n'));
  assert.ok(!c.fix.some((f) => /\bPID\b/.test(f)), 'no PID placeholder');
});

test('IPv4 on loopback beside an IPv6-only wildcard: other hosts\' IPv4 clients are refused; ::1 beside 0.0.0.0 is said', () => {
  const mixed = checkPort(snapshot({ listeners: [listener({ address: '::', port: 80, v6only: true }), listener({ address: '127.0.0.1', port: 80 })] }), 80);
  assert.equal(mixed.verdict, 'ipv6-only');
  assert.match(mixed.headline, /IPv4 on loopback only .*: IPv4 clients from other hosts are refused/);
  const v6lo = checkPort(snapshot({ listeners: [listener({ address: '0.0.0.0', port: 80 }), listener({ address: '::1', port: 80, v6only: true })] }), 80);
  assert.equal(v6lo.verdict, 'listening');
  assert.ok(v6lo.explain.some((e) => /IPv6 listener is on ::1 only/.test(e)));
});

test('narrowed to a container (--container): the answer speaks of it, and its fix lines run inside it', () => {
  const s = snapshot({ listeners: [listener({ port: 8080, netns: 4026532777, address: '127.0.0.1', pids: [77] })] });
  // What restrictToNetns leaves for --container web: that namespace alone, first.
  s.namespaces = [{ ...s.namespaces[0], inode: 4026532777, kind: 'docker', name: 'web', pids: [77] }];
  const loop = checkPort(s, 8080, { narrowed: true });
  assert.equal(loop.verdict, 'loopback-only');
  assert.match(loop.headline, /reachable from inside web alone$/);
  assert.ok(loop.fix.includes("nsenter -n -t 77 ss -ltnp 'sport = :8080'   # check: 0.0.0.0:8080 or *:8080"), loop.fix.join('\n'));
  const none = checkPort(s, 9, { narrowed: true });
  assert.match(none.headline, /^Nothing listens on port 9 in web: /);
  assert.ok(!none.explain.some((e) => /Only the network namespace sockdoc runs in/.test(e)));
  assert.equal(none.fix[0], "nsenter -n -t 77 ss -ltnp 'sport = :9'   # confirm: nothing listening");
});

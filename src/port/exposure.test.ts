/**
 * `sockdoc port`'s offers are safe and in order: a program that answers anyone (the catalogue's
 * `unauthenticated`) is never offered "bind 0.0.0.0" (directly, or as a forwarder's target); a
 * finding worse than the verdict is fixed first; a forwarder inside the namespace that holds the
 * port is followed without --netns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, proc, program, snapshot } from '../testing/snapshot-builder.js';
import { checkPort } from './check.js';
import type { ForwardReads } from './forwarders.js';
import { fixFindingsFirst, portCheckToJson, renderPortCheck } from '../render/port.js';
import type { Finding } from '../rules/types.js';
import type { Snapshot } from '../snapshot/types.js';

const noReads: ForwardReads = { nat: () => ({ table: null, note: null }), addresses: () => null };

/** Lines a person would paste that bind to every address (a comment saying it is not offered is not one). */
const offersAllAddresses = (fix: readonly string[]) => fix.filter((l) => /0\.0\.0\.0|\[::\]/.test(l) && !/^# not offered/.test(l) && !/^# keep it on loopback/.test(l) && !/not 0\.0\.0\.0|not \[::\]/.test(l));

function loopbackServer(name: string, label: string, unauthenticated: string | undefined): Snapshot {
  const inst = program({ program: name, label, pid: 40, ports: [7000], cap: { directive: 'maxclients', value: 100 }, held: 1 });
  if (unauthenticated) inst.unauthenticated = unauthenticated;
  return snapshot({ processes: [proc({ pid: 40, name })], listeners: [listener({ address: '127.0.0.1', port: 7000, pids: [40] })], programs: [inst] });
}

for (const [name, label] of [['redis', 'Redis'], ['memcached', 'memcached'], ['php-fpm', 'PHP-FPM']] as const) {
  test(`${label} without authentication on 127.0.0.1: "bind 0.0.0.0" is not offered, and why is said`, () => {
    const c = checkPort(loopbackServer(name, label, `${label} answers anyone`), 7000);
    assert.equal(c.verdict, 'loopback-only');
    assert.deepEqual(offersAllAddresses(c.fix), [], c.fix.join('\n'));
    assert.match(c.fix[0], new RegExp(`^# not offered: binding ${label} \\(pid 40\\)`));
    assert.ok(c.explain.some((e) => e.includes(`${label} answers anyone`)), c.explain.join(' '));
    assert.ok(c.fix.every((l) => l.startsWith('#') || !/bind/.test(l)), 'no pasteable line binds');
  });
}

test('a program not known to answer anyone: the bind advice comes after the condition to check first', () => {
  const c = checkPort(loopbackServer('redis', 'Redis', undefined), 7000);
  assert.match(c.fix[0], /^# first make sure the service asks who connects/);
  assert.ok(c.fix.some((l) => /bind the service to 0\.0\.0\.0/.test(l)));
});

test('a forwarder to an open Redis on loopback: its own address is offered, never every address', () => {
  const s = loopbackServer('redis', 'Redis', 'Redis answers anyone');
  // socat on the host's port 7100 -> 127.0.0.1:7000 is reachable: make it a container-like target instead.
  s.processes.push(proc({ pid: 50, name: 'socat', cmdline: 'socat TCP-LISTEN:7100,fork TCP:10.9.0.2:7000' }));
  s.listeners.push(listener({ address: '0.0.0.0', port: 7100, pids: [50] }));
  s.namespaces.push({ ...s.namespaces[0], inode: 777, kind: 'netns', name: 'db', pids: [40] });
  s.listeners[0].netns = 777;
  s.processes[0].netns = 777;
  const reads: ForwardReads = { nat: () => ({ table: null, note: null }), addresses: (inode) => (inode === 777 ? { v4: ['127.0.0.1', '10.9.0.2'], v6: [] } : { v4: ['127.0.0.1'], v6: [] }) };
  const c = checkPort(s, 7100, { forward: { whole: s, reads } });
  assert.equal(c.verdict, 'forwarded-unreachable');
  assert.equal(c.forwarders[0].status, 'loopback-only');
  assert.deepEqual(offersAllAddresses(c.fix), [], c.fix.join('\n'));
  assert.ok(c.fix.some((l) => l.includes('bind 10.9.0.2 only')), c.fix.join('\n'));
});

test('a socat inside the namespace that holds the port is followed without --netns: the failing hop, critical', () => {
  const s = snapshot({ processes: [proc({ pid: 60, name: 'socat', cmdline: 'socat TCP-LISTEN:7311,fork,reuseaddr TCP:127.0.0.1:7312' })], listeners: [] });
  s.namespaces.push({ ...s.namespaces[0], inode: 888, kind: 'netns', name: 'fwd', pids: [60] });
  s.processes[0].netns = 888;
  s.listeners.push(listener({ address: '0.0.0.0', port: 7311, pids: [60], netns: 888 }));
  const c = checkPort(s, 7311, { forward: { whole: s, reads: noReads } });
  assert.equal(c.verdict, 'forwarded-unreachable');
  assert.equal(c.severity, 'critical');
  assert.match(c.headline, /^Port 7311 listens only inside netns fwd, where it is forwarded by socat \(pid 60\) to 127\.0\.0\.1:7312, but nothing listens on port 7312/);
  assert.match(c.fix[0], /ip netns exec fwd ss -ltnp 'sport = :7312'/);
  // The same target listening: the verdict stays the warning it was, with the hop said.
  s.listeners.push(listener({ address: '127.0.0.1', port: 7312, pids: [61], netns: 888 }));
  const ok = checkPort(s, 7311, { forward: { whole: s, reads: noReads } });
  assert.equal(ok.verdict, 'other-namespace-only');
  assert.equal(ok.forwarders[0].status, 'reachable');
});

const capFinding: Finding = {
  id: 'program-cap-reached',
  severity: 'critical',
  subject: { pid: 40, name: 'nginx', port: 7000 },
  title: 'nginx (pid 40) is at its worker_connections 24',
  evidence: {},
  explain: 'At its cap.',
  fix: ['# in /etc/nginx/nginx.conf:12, the events { } block: set `worker_connections 48;`', 'nginx -s reload'],
};

test('a critical finding behind a loopback-only warning: its fix comes first, the bind advice after it', () => {
  const c = checkPort(loopbackServer('nginx', 'nginx', undefined), 7000);
  assert.equal(fixFindingsFirst(c, [capFinding]), true);
  assert.equal(fixFindingsFirst(c, []), false);
  const out = renderPortCheck(c, [capFinding], 2, { color: false, columns: 120 });
  const cap = out.indexOf('worker_connections 48');
  const bind = out.indexOf('bind the service to 0.0.0.0');
  assert.ok(cap > 0 && bind > 0 && cap < bind, out);
  assert.match(out, /then, for the port's verdict \(after the findings above\)/);
  assert.equal(portCheckToJson(c, [capFinding], 2, false, []).fixOrder, 'findings-first');
});

test('diagnose --port: the footer counts the port verdict that set the exit code, never "healthy … exit 1"', async () => {
  const { summaryLine } = await import('../render/terminal.js');
  const { renderSummary } = await import('../render/summary.js');
  const { painter } = await import('../render/format.js');
  const s = loopbackServer('redis', 'Redis', undefined);
  const portCheck = checkPort(s, 7000);
  const info: Finding = { ...capFinding, id: 'netdev-backlog-drops', severity: 'info', subject: {}, title: 'drops since boot' };
  const d = { snapshot: s, findings: [info], filter: { port: 7000 }, exitCode: 1 as const, portCheck };
  const line = summaryLine(d, painter(false));
  assert.doesNotMatch(line, /healthy/);
  assert.match(line, /^port 7000: warning, 1 info — exit 1/);
  assert.match(renderSummary(d), /^SOCKDOC WARNING - Port 7000 listens on 127\.0\.0\.1:7000 only/);
});

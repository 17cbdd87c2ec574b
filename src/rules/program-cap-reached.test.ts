import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthySnapshot, listener, proc, program, snapshot } from '../testing/snapshot-builder.js';
import { DEFAULT_RULE_OPTIONS } from './types.js';
import { rule } from './program-cap-reached.js';
import { rule as queueFull } from './accept-queue-full.js';
import { runRuleCases } from './support/rule-cases.js';

const haproxy = proc({ pid: 700, name: 'haproxy', soft: 8000, hard: 8000, sockets: { LISTEN: 1, ESTABLISHED: 8000 } });
const fe = (acceptQueue: number, backlog = 4096) => listener({ address: '0.0.0.0', port: 6379, pids: [700], acceptQueue, backlog });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'below the cap', snapshot: snapshot({ processes: [haproxy], listeners: [fe(0)], programs: [program({ pid: 700, ports: [6379], cap: { directive: 'maxconn', value: 4000 }, held: 3999 })] }) },
    { name: 'a unix-socket pool is not measured from TCP (held null)', snapshot: snapshot({ programs: [{ ...program({ pid: 5, program: 'php-fpm', ports: [], cap: { directive: 'pm.max_children', value: 5, unixPath: '/run/php/fpm.sock' }, held: 0 }), caps: [{ ...program({ pid: 5, ports: [], cap: { directive: 'pm.max_children', value: 5 }, held: 0 }).caps[0], held: null }] }] }) },
  ],
  invalid: [
    {
      name: '202 clients wait far below the backlog because HAProxy is at maxconn 4000 (issue 22 item 2)',
      snapshot: snapshot({ processes: [haproxy], listeners: [fe(202)], programs: [program({ pid: 700, ports: [6379], cap: { directive: 'maxconn', value: 4000 }, held: 4000, queued: 202 })] }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 700, name: 'haproxy' },
          evidence: { program: 'haproxy', directive: 'maxconn', cap: 4000, held: 4000, queued: 202, atCap: 'queue', capFile: '/etc/haproxy/haproxy.cfg', capLine: 3, proposed: 8000 },
          related: [],
          fixIncludes: ["ss -Htn state established '( sport = :6379 )'", '# in /etc/haproxy/haproxy.cfg:3, the global section: set `maxconn 8000`', 'kill -USR2 700'],
          explainIncludes: ['202 completed connections wait in the accept queue of 0.0.0.0:6379 (backlog 4096)', 'Raising somaxconn or the backlog only lets more wait'],
        },
      ],
    },
    {
      name: 'the cap from the fd limit: linked to the fd finding, the fix raises the limit with it',
      snapshot: snapshot({
        processes: [proc({ pid: 9, name: 'redis-server', open: 1024, soft: 1024, hard: 1024 })],
        listeners: [listener({ address: '127.0.0.1', port: 6379, pids: [9] })],
        programs: [program({ program: 'redis', label: 'Redis', pid: 9, ports: [6379], cap: { directive: 'maxclients', value: 992, origin: 'fd-limit', configured: 10000, atCap: 'refuse', fdCeiling: 992, fromFdLimit: { soft: 1024, how: 'lowered at start' }, setLine: 'maxclients {}' }, held: 992 })],
      }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 9, name: 'redis-server' },
          evidence: { cap: 992, configured: 10000, fdSoft: 1024, capOrigin: 'fd-limit', proposed: 1984 },
          related: ['fd-limit-exhausted@9'],
          fixIncludes: ['maxclients 1984', 'sockdoc limits 9   # raise its fd limit to at least 2016'],
          explainIncludes: ['derived from its fd limit', 'raising maxclients alone does not help'],
        },
      ],
    },
    {
      name: 'nginx: a worker at worker_connections counts every socket it holds; saturates one below',
      snapshot: snapshot({
        processes: [proc({ pid: 20, name: 'nginx' }), proc({ pid: 21, ppid: 20, name: 'nginx', sockets: { LISTEN: 1, ESTABLISHED: 14 } })],
        listeners: [listener({ address: '0.0.0.0', port: 80, pids: [20, 21] })],
        programs: [program({ program: 'nginx', label: 'nginx', pid: 20, pids: [20, 21], ports: [80], cap: { directive: 'worker_connections', value: 16, scope: 'process', counts: 'process-sockets', reserved: 1, saturatesAt: 15, pids: [21], atCap: 'close', where: 'the events { } block', fdCeiling: 1024, file: '/etc/nginx/nginx.conf', line: 8, setLine: 'worker_connections {};' }, held: 15 })].map((i) => ({ ...i, caps: [{ ...i.caps[0], heldPid: 21 }] })),
      }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 21, name: 'nginx' },
          evidence: { directive: 'worker_connections', cap: 16, held: 15, scope: 'process', atCap: 'close', proposed: 32 },
          fixIncludes: ['# in /etc/nginx/nginx.conf:8, the events { } block: set `worker_connections 32;`', '# 32 fits under its fd limit'],
          explainIncludes: ['holds 14 TCP sockets', 'plus 1 for the channel to its master'],
        },
      ],
    },
  ],
});

test('the queue finding names the cap as the reason it is not drained, and links to it', () => {
  const s = snapshot({ processes: [haproxy], listeners: [fe(4097)], programs: [program({ pid: 700, ports: [6379], cap: { directive: 'maxconn', value: 4000 }, held: 4000, queued: 4097 })] });
  const [full] = queueFull.check(s, DEFAULT_RULE_OPTIONS);
  assert.ok(full.related?.includes('program-cap-reached@700'));
  assert.match(full.explain, /HAProxy \(pid 700\) is at its own maxconn 4000 \(4000 connections held\)/);
  const [cap] = rule.check(s, DEFAULT_RULE_OPTIONS);
  assert.deepEqual(cap.related, ['accept-queue-full@0.0.0.0:6379']);
});

test('a cap on other ports of the instance is not behind this listener', () => {
  const s = snapshot({
    processes: [haproxy],
    listeners: [fe(5000), listener({ address: '0.0.0.0', port: 8443, pids: [700] })],
    programs: [program({ pid: 700, ports: [8443], cap: { directive: 'maxconn', value: 50, scope: 'listener' }, held: 50 })],
  });
  const [full] = queueFull.check(s, DEFAULT_RULE_OPTIONS);
  assert.ok(!full.related?.includes('program-cap-reached@700'));
});

test('nginx whose worker_connections is its fd limit already: the fix raises worker_rlimit_nofile too, within fs.nr_open, and says when the master needs CAP_SYS_RESOURCE', () => {
  const s = snapshot({
    processes: [proc({ pid: 20, name: 'nginx', soft: 1024, hard: 4096 }), proc({ pid: 21, ppid: 20, name: 'nginx', soft: 1024, hard: 1024, sockets: { LISTEN: 1, ESTABLISHED: 1022 } })],
    listeners: [listener({ address: '0.0.0.0', port: 80, pids: [20, 21] })],
    tunables: { 'fs.nr_open': 3000 },
    programs: [program({ program: 'nginx', label: 'nginx', pid: 20, pids: [20, 21], ports: [80], cap: { directive: 'worker_connections', value: 1024, scope: 'process', counts: 'process-sockets', reserved: 1, saturatesAt: 1023, pids: [21], atCap: 'close', where: 'the events { } block', fdCeiling: 1024, file: '/etc/nginx/nginx.conf', line: 8, setLine: 'worker_connections {};' }, held: 1024 })],
  });
  const [f] = rule.check(s, DEFAULT_RULE_OPTIONS);
  assert.ok(f.fix.includes('# in /etc/nginx/nginx.conf:8, the events { } block: set `worker_connections 2048;`'), f.fix.join('\n'));
  assert.ok(f.fix.some((l) => l.includes('main context: set `worker_rlimit_nofile 3000;`')), 'capped at fs.nr_open');
  assert.ok(!f.fix.some((l) => l.includes('CAP_SYS_RESOURCE')), '3000 is below the master\'s hard limit 4096');
});

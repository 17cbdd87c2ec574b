import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connections, healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './ephemeral-ports-exhausted.js';
import { runRuleCases } from './support/rule-cases.js';
import { DEFAULT_RULE_OPTIONS } from './types.js';

const range500 = { 'net.ipv4.ip_local_port_range': [40000, 40499] as [number, number], 'net.ipv4.tcp_tw_reuse': 0 };
const client = proc({ pid: 4242, name: 'client' });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    {
      name: '500 connections spread over two destinations fit a 500-port range: a port serves many destinations',
      snapshot: snapshot({
        tunables: range500,
        sockets: [
          ...connections(300, { firstPort: 40000, remoteAddress: '10.0.0.5', remotePort: 5432, pid: 4242 }),
          ...connections(300, { firstPort: 40000, remoteAddress: '10.0.0.6', remotePort: 5432, pid: 4242 }),
        ],
      }),
    },
    {
      name: 'incoming connections on a listener inside the range are not ours',
      snapshot: snapshot({
        tunables: range500,
        listeners: [listener({ port: 40001, pids: [1] })],
        sockets: connections(500, { firstPort: 40000, remoteAddress: '10.0.0.5', remotePort: 5432 }).map((s) => ({ ...s, localPort: 40001, remotePort: 50000 + s.localPort - 40000 })),
      }),
    },
    {
      name: 'TIME_WAIT to loopback with tcp_tw_reuse=2 is recycled by connect(): near, not exhausted',
      snapshot: snapshot({
        tunables: { ...range500, 'net.ipv4.tcp_tw_reuse': 2 },
        sockets: connections(500, { firstPort: 40000, remoteAddress: '127.0.0.1', remotePort: 8080, state: 'TIME_WAIT' }),
      }),
    },
  ],
  invalid: [
    {
      name: 'the issue: 500 TIME_WAIT fill a 500-port range to one destination',
      snapshot: snapshot({
        tunables: range500,
        sockets: connections(500, { firstPort: 40000, remoteAddress: '10.0.0.5', remotePort: 80, state: 'TIME_WAIT' }),
      }),
      findings: [
        {
          severity: 'critical',
          subject: { address: '10.0.0.5', port: 80 },
          evidence: { inUse: 500, usable: 500, timeWait: 500, established: 0, ownerPids: null, portRange: '40000-40499', tcpTwReuse: 0, sourceAddress: '127.0.0.1' },
          explainIncludes: ['EADDRNOTAVAIL', '500 in TIME_WAIT belong to no process', '4-tuple', 'keep-alive'],
          fixIncludes: ['ip_local_port_range', 'tcp_tw_reuse=1', 'keep-alive', 'more destination addresses'],
        },
      ],
    },
    {
      name: 'reserved ports and listeners shrink the range; owners named',
      snapshot: snapshot({
        processes: [client],
        tunables: { ...range500, 'net.ipv4.ip_local_reserved_ports': [[40400, 40499]] },
        listeners: [listener({ port: 40399, pids: [1] })],
        sockets: connections(399, { firstPort: 40000, remoteAddress: '::1', remotePort: 9000, pid: 4242 }),
      }),
      findings: [
        {
          severity: 'critical',
          subject: { address: '::1', port: 9000, pid: 4242, name: 'client' },
          evidence: { inUse: 399, usable: 399, reservedInRange: 100, boundInRange: 1, established: 399, ownerPids: '4242' },
          explainIncludes: ['client (pid 4242) holds 399', 'less 100 reserved', 'less 1 taken by listeners', 'held by open connections'],
        },
      ],
    },
  ],
});

test('v4-mapped and plain IPv4 connections to one destination share its ports', () => {
  const s = snapshot({
    tunables: range500,
    sockets: [
      ...connections(250, { firstPort: 40000, remoteAddress: '10.0.0.5', remotePort: 80 }),
      ...connections(250, { firstPort: 40250, remoteAddress: '::ffff:10.0.0.5', localAddress: '::ffff:127.0.0.1', remotePort: 80 }),
    ],
  });
  const found = rule.check(s, DEFAULT_RULE_OPTIONS);
  assert.equal(found.length, 1);
  assert.equal(found[0].evidence.inUse, 500);
});

import { healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './accept-queue-full.js';
import { runRuleCases } from './support/rule-cases.js';

const server = proc({ pid: 37482, name: 'server', open: 40, soft: 524288, sockets: { LISTEN: 1 } });
const seedTunables = { 'net.core.somaxconn': 128 };
const subject = { address: '::', port: 8889, pid: 37482, name: 'server' };

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    {
      name: 'queue = backlog is not full yet (the queue holds backlog + 1)',
      snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 128, backlog: 128 })] }),
    },
    {
      name: 'backlog unknown and queue below somaxconn: cannot tell',
      snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 300, backlog: null })], tunables: { 'net.core.somaxconn': 4096 } }),
    },
    {
      name: 'backlog and somaxconn both unknown',
      snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 5000, backlog: null })], tunables: { 'net.core.somaxconn': null } }),
    },
  ],
  invalid: [
    {
      name: 'the seed: Recv-Q 129, Send-Q 128',
      snapshot: snapshot({
        processes: [server],
        listeners: [listener({ address: '::', port: 8889, pids: [37482], acceptQueue: 129, backlog: 128, synRecv: 9, establishedUnaccepted: 129 })],
        tunables: seedTunables,
        deltas: { 'TcpExt.ListenOverflows': 213, 'TcpExt.ListenDrops': 213 },
      }),
      findings: [
        {
          severity: 'critical',
          subject,
          evidence: {
            acceptQueue: 129,
            backlog: 128,
            limit: 128,
            limitBasis: 'backlog',
            somaxconn: 128,
            queuePercent: 100.8,
            synRecv: 9,
            establishedUnaccepted: 129,
            closeWaitUnaccepted: 0,
            ownerPids: '37482',
          },
          related: ['backlog-clamped@[::]:8889', 'listen-overflows'],
          fixIncludes: ["ss -ltn 'sport = :8889'", 'strace -f -e trace=accept,accept4 -p 37482', 'top -H -p 37482'],
          explainIncludes: ['backlog + 1', 'tcp_abort_on_overflow = 0', 'accept()'],
        },
      ],
    },
    {
      name: 'owner out of fds, CLOSE_WAIT piling up: the chain is linked',
      snapshot: snapshot({
        processes: [proc({ pid: 37482, name: 'server', open: 1024, soft: 1024, hard: 1024 })],
        listeners: [listener({ address: '::', port: 8889, pids: [37482], acceptQueue: 129, backlog: 128, closeWaitUnaccepted: 129 })],
        tunables: { ...seedTunables, 'net.ipv4.tcp_abort_on_overflow': 1 },
      }),
      findings: [
        {
          severity: 'critical',
          subject,
          evidence: { closeWaitUnaccepted: 129 },
          related: ['fd-limit-exhausted@37482', 'backlog-clamped@[::]:8889', 'close-wait-unaccepted@[::]:8889'],
          fixIncludes: ['sockdoc limits 37482'],
          explainIncludes: ['accept() fails with EMFILE', 'connection reset by peer'],
        },
      ],
    },
    {
      name: 'backlog unknown but queue beyond somaxconn: proof enough',
      snapshot: snapshot({
        listeners: [listener({ address: '10.0.0.1', port: 80, acceptQueue: 129, backlog: null })],
        tunables: seedTunables,
      }),
      findings: [
        {
          severity: 'critical',
          subject: { address: '10.0.0.1', port: 80 },
          evidence: { backlog: null, limit: 128, limitBasis: 'somaxconn', ownerPids: null },
          related: [],
          explainIncludes: ['no process holding this socket', 'somaxconn was not lowered'],
        },
      ],
    },
  ],
});

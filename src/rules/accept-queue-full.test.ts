import { healthySnapshot, listener, proc, snapshot, unixListener } from '../testing/snapshot-builder.js';
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
      name: 'a unix listener at its backlog (512 of 511 would be full; 511 is not)',
      snapshot: snapshot({ listeners: [unixListener({ path: '/run/php/php-fpm.sock', acceptQueue: 511, backlog: 511 })] }),
    },
    {
      name: 'a unix listener read from /proc/net/unix (no backlog) below somaxconn: cannot tell',
      snapshot: snapshot({ listeners: [unixListener({ path: '/run/php/php-fpm.sock', acceptQueue: 600, backlog: null })], tunables: { 'net.core.somaxconn': 4096 } }),
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
      {
      name: 'php-fpm behind nginx: its unix socket is full, nginx workers wait in it',
      snapshot: snapshot({
        processes: [
          proc({ pid: 900, name: 'php-fpm8.2', cmdline: 'php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)', open: 20, soft: 1024 }),
          proc({ pid: 812, name: 'nginx', open: 300, soft: 1024 }),
        ],
        listeners: [unixListener({ path: '/run/php/php-fpm.sock', pids: [900], acceptQueue: 512, backlog: 511, queuedFrom: [{ pid: 812, connections: 500 }], queuedOrphans: 12 })],
        // TCP drops counted in the namespace say nothing about a unix socket: no listen-overflows link.
        deltas: { 'TcpExt.ListenOverflows': 40, 'TcpExt.ListenDrops': 40 },
      }),
      findings: [
        {
          severity: 'critical',
          subject: { path: '/run/php/php-fpm.sock', pid: 900, name: 'php-fpm8.2' },
          evidence: { acceptQueue: 512, backlog: 511, limit: 511, limitBasis: 'backlog', socketType: 'stream', queuedFromPids: '812:500', queuedOrphans: 12, ownerPids: '900' },
          related: [],
          fixIncludes: ['ss -xlp src /run/php/php-fpm.sock', 'strace -f -e trace=accept,accept4 -p 900', 'listen.backlog = 2044'],
          explainIncludes: ['unix-domain stream socket /run/php/php-fpm.sock', 'nginx (pid 812) ×500', '12 clients that already gave up', 'EAGAIN ("Resource temporarily unavailable"', 'php-fpm'],
        },
      ],
    },
    {
      name: 'an abstract seqpacket listener clamped to somaxconn, in no namespace sockdoc could name',
      snapshot: snapshot({
        listeners: [unixListener({ path: '@app-control', type: 'seqpacket', acceptQueue: 129, backlog: 128 })],
        tunables: seedTunables,
      }),
      findings: [
        {
          severity: 'critical',
          subject: { path: '@app-control' },
          evidence: { socketType: 'seqpacket', queuedFromPids: null, limit: 128 },
          related: ['backlog-clamped@unix:@app-control'],
          fixIncludes: ["ss -xlp src @app-control"],
          explainIncludes: ['unix-domain seqpacket socket @app-control'],
        },
      ],
    },
    {
      name: 'a unix listener read from /proc/net/unix: its counted queue beyond somaxconn is proof enough',
      snapshot: snapshot({ listeners: [unixListener({ path: '/run/app.sock', pids: [77], acceptQueue: 129, backlog: null })], tunables: seedTunables }),
      findings: [
        {
          severity: 'critical',
          subject: { path: '/run/app.sock', pid: 77 },
          evidence: { limit: 128, limitBasis: 'somaxconn', backlog: null },
          explainIncludes: ['net.core.somaxconn = 128, the most any backlog can be'],
        },
      ],
    },
  ],
});

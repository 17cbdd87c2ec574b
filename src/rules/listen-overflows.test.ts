import { healthySnapshot, listener, proc, snapshot, unixListener } from '../testing/snapshot-builder.js';
import { rule } from './listen-overflows.js';
import { runRuleCases } from './support/rule-cases.js';

const seedListener = () =>
  listener({ address: '::', port: 8889, pids: [37482], acceptQueue: 129, backlog: 128, closeWaitUnaccepted: 3 });
const server = proc({ pid: 37482, name: 'server' });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'counters absent altogether', snapshot: snapshot({ values: {}, deltas: null }) },
    {
      name: 'zero since boot, zero in the window',
      snapshot: snapshot({ values: { 'TcpExt.ListenOverflows': 0, 'TcpExt.ListenDrops': 0 }, deltas: { 'TcpExt.ListenOverflows': 0 } }),
    },
  ],
  invalid: [
    {
      name: 'the seed: drops during the window, abort_on_overflow 0, the full listener named',
      snapshot: snapshot({
        processes: [server],
        listeners: [seedListener(), listener({ port: 22, acceptQueue: 0, backlog: 128 })],
        tunables: { 'net.core.somaxconn': 128 },
        values: { 'TcpExt.ListenOverflows': 5000, 'TcpExt.ListenDrops': 5010 },
        deltas: { 'TcpExt.ListenOverflows': 213, 'TcpExt.ListenDrops': 213 },
        intervalMs: 2000,
      }),
      findings: [
        {
          severity: 'critical',
          subject: {},
          evidence: {
            listenOverflowsDelta: 213,
            listenDropsDelta: 213,
            listenOverflowsTotal: 5000,
            listenDropsTotal: 5010,
            intervalMs: 2000,
            abortOnOverflow: 0,
            fullListeners: 1,
            likelyCulprits: '[::]:8889',
          },
          related: ['accept-queue-full@[::]:8889', 'close-wait-unaccepted@[::]:8889'],
          fixIncludes: ["ss -ltnH | awk '$2 > $3'", 'nstat -z TcpExtListenOverflows TcpExtListenDrops', 'strace -f -e trace=accept,accept4 -p 37482'],
          explainIncludes: ['2 s', 'silently drops the final ACK', 'connect() already succeeded', 'server (pid 37482)', 'whole network namespace'],
        },
      ],
    },
    {
      name: 'abort_on_overflow 1: clients get a reset',
      snapshot: snapshot({
        tunables: { 'net.ipv4.tcp_abort_on_overflow': 1 },
        deltas: { 'TcpExt.ListenDrops': 4 },
      }),
      findings: [
        {
          severity: 'critical',
          subject: {},
          evidence: { listenOverflowsDelta: 0, listenDropsDelta: 4, abortOnOverflow: 1, fullListeners: 0, likelyCulprits: null },
          related: [],
          explainIncludes: ['connection reset by peer', 'No listener is full right now'],
        },
      ],
    },
    {
      name: 'no full listener: a filling one is the suspect',
      snapshot: snapshot({
        listeners: [listener({ port: 80, acceptQueue: 450, backlog: 511 })],
        deltas: { 'TcpExt.ListenOverflows': 1 },
      }),
      findings: [
        {
          severity: 'critical',
          subject: {},
          evidence: { fullListeners: 0, likelyCulprits: '0.0.0.0:80' },
          related: ['accept-queue-filling@0.0.0.0:80'],
        },
      ],
    },
    {
      name: 'SYN drops counted too: linked to syn-queue-pressure',
      snapshot: snapshot({
        tunables: { 'net.ipv4.tcp_syncookies': 0 },
        deltas: { 'TcpExt.ListenDrops': 7, 'TcpExt.TCPReqQFullDrop': 7 },
      }),
      findings: [{ severity: 'critical', subject: {}, evidence: { listenDropsDelta: 7 }, related: ['syn-queue-pressure'] }],
    },
    {
      name: 'only since boot, nothing in the window: no finding (history stays in the counters line)',
      snapshot: snapshot({ values: { 'TcpExt.ListenOverflows': 17, 'TcpExt.ListenDrops': 17 }, deltas: { 'TcpExt.ListenOverflows': 0 } }),
      findings: [],
    },
    {
      name: 'one read only (deltas null): no finding, whatever the totals',
      snapshot: snapshot({ values: { 'TcpExt.ListenDrops': 3 }, deltas: null }),
      findings: [],
    },
    {
      name: 'a full unix listener is no culprit of TCP drops: only TCP listeners are named',
      snapshot: snapshot({
        listeners: [unixListener({ path: '/run/php/php-fpm.sock', acceptQueue: 512, backlog: 511 })],
        deltas: { 'TcpExt.ListenOverflows': 3, 'TcpExt.ListenDrops': 3 },
      }),
      findings: [{ severity: 'critical', subject: {}, evidence: { fullListeners: 0, likelyCulprits: null }, related: [] }],
    },
    {
      name: 'per-listener drops: the one that dropped in the window is named with its count, the one with old drops is history',
      snapshot: snapshot({
        processes: [server, proc({ pid: 600, name: 'nginx' })],
        listeners: [
          listener({ address: '127.0.0.1', port: 8889, pids: [37482], acceptQueue: 3, backlog: 2, drops: 140, dropsDelta: 108 }),
          listener({ address: '0.0.0.0', port: 80, pids: [600], acceptQueue: 0, backlog: 511, drops: 12, dropsDelta: 0 }),
          listener({ address: '0.0.0.0', port: 22, acceptQueue: 0, backlog: 128, drops: 0, dropsDelta: 0 }),
        ],
        values: { 'TcpExt.ListenOverflows': 152, 'TcpExt.ListenDrops': 152 },
        deltas: { 'TcpExt.ListenOverflows': 108, 'TcpExt.ListenDrops': 108 },
      }),
      findings: [
        {
          severity: 'critical',
          subject: {},
          evidence: {
            attribution: 'per-listener',
            droppingListeners: '127.0.0.1:8889=108',
            droppedBeforeListeners: '0.0.0.0:80=12',
            likelyCulprits: '127.0.0.1:8889',
            fullListeners: 1,
          },
          related: ['accept-queue-full@127.0.0.1:8889'],
          fixIncludes: ['ss -ltmnH', 'strace -f -e trace=accept,accept4 -p 37482'],
          explainIncludes: ['127.0.0.1:8889 (+108)', 'History, not now: 0.0.0.0:80 (12)', 'server (pid 37482)'],
        },
      ],
    },
    {
      name: 'per-listener drops name a listener whose queue is not full (a burst that drained)',
      snapshot: snapshot({
        listeners: [
          listener({ address: '::', port: 443, acceptQueue: 0, backlog: 4096, drops: 9, dropsDelta: 9 }),
          listener({ address: '::', port: 8443, acceptQueue: 4097, backlog: 4096, drops: 0, dropsDelta: 0 }),
        ],
        deltas: { 'TcpExt.ListenOverflows': 9, 'TcpExt.ListenDrops': 9 },
      }),
      findings: [{ severity: 'critical', subject: {}, evidence: { attribution: 'per-listener', droppingListeners: '[::]:443=9', likelyCulprits: '[::]:443', fullListeners: 1 }, related: [] }],
    },
    {
      name: 'counters rose but no open listener counted a drop: it closed since',
      snapshot: snapshot({ listeners: [listener({ port: 80, drops: 0, dropsDelta: 0 })], deltas: { 'TcpExt.ListenOverflows': 4, 'TcpExt.ListenDrops': 4 } }),
      findings: [{ severity: 'critical', subject: {}, evidence: { attribution: 'per-listener', droppingListeners: null, likelyCulprits: null }, explainIncludes: ['closed since'] }],
    },
    {
      name: 'per-listener counts known from one read only: the namespace guess, with the totals',
      snapshot: snapshot({
        listeners: [listener({ port: 80, acceptQueue: 600, backlog: 511, drops: 30, dropsDelta: null })],
        deltas: { 'TcpExt.ListenOverflows': 4 },
      }),
      findings: [{ severity: 'critical', subject: {}, evidence: { attribution: 'namespace', droppingListeners: null, droppedBeforeListeners: '0.0.0.0:80=30', likelyCulprits: '0.0.0.0:80' }, explainIncludes: ['one read', 'Listeners with drops since they were opened: 0.0.0.0:80 (30)'] }],
    },
    {
      name: 'a listener dropped in the window while the namespace counters could not be compared',
      snapshot: snapshot({ listeners: [listener({ port: 80, drops: 5, dropsDelta: 5 })], values: {}, deltas: null }),
      findings: [{ severity: 'critical', subject: {}, evidence: { attribution: 'per-listener', droppingListeners: '0.0.0.0:80=5', listenDropsDelta: null }, explainIncludes: ['could not be compared'] }],
    },
    {
      name: 'per-listener drops unknown: the guess says so',
      snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 600, backlog: 511, drops: null })], deltas: { 'TcpExt.ListenOverflows': 4 } }),
      findings: [{ severity: 'critical', subject: {}, evidence: { attribution: 'namespace', likelyCulprits: '0.0.0.0:80' }, explainIncludes: ['which listener dropped is unknown here'] }],
    },
    {
      name: 'tcp_abort_on_overflow unknown: both behaviours described',
      snapshot: snapshot({ tunables: { 'net.ipv4.tcp_abort_on_overflow': null }, deltas: { 'TcpExt.ListenOverflows': 2 } }),
      findings: [{ severity: 'critical', subject: {}, evidence: { abortOnOverflow: null }, explainIncludes: ['is unknown', 'if 1'] }],
    },
  ],
});

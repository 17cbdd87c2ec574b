import { healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './syn-queue-pressure.js';
import { runRuleCases } from './support/rule-cases.js';

const web = proc({ pid: 812, name: 'nginx' });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    {
      name: 'cookies on: tcp_max_syn_backlog bounds nothing, backlog 4096 is far',
      snapshot: snapshot({
        listeners: [listener({ port: 80, synRecv: 900, backlog: 4096 })],
        tunables: { 'net.ipv4.tcp_max_syn_backlog': 128 },
      }),
    },
    {
      name: 'tcp_syncookies = 2: SyncookiesSent counts every SYN, not pressure',
      snapshot: snapshot({ tunables: { 'net.ipv4.tcp_syncookies': 2 }, deltas: { 'TcpExt.SyncookiesSent': 500 } }),
    },
    {
      name: 'one read only: counters since boot are history',
      snapshot: snapshot({ values: { 'TcpExt.SyncookiesSent': 10, 'TcpExt.TCPReqQFullDrop': 3 }, deltas: null }),
    },
    {
      name: 'backlog and somaxconn unknown, cookies on: no limit to compare with',
      snapshot: snapshot({ listeners: [listener({ port: 80, synRecv: 5000, backlog: null })], tunables: { 'net.core.somaxconn': null } }),
    },
  ],
  invalid: [
    {
      name: '80% of the backlog half-open',
      snapshot: snapshot({ processes: [web], listeners: [listener({ port: 80, pids: [812], synRecv: 103, backlog: 128 })] }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 80, pid: 812, name: 'nginx' },
          evidence: {
            synRecv: 103,
            synLimit: 128,
            synLimitBasis: 'backlog',
            synPercent: 80.5,
            backlog: 128,
            tcpMaxSynBacklog: 1024,
            syncookies: 1,
            acceptQueueFull: false,
          },
          related: [],
          fixIncludes: ["ss -Htn state syn-recv '( sport = :80 )'", "dmesg | grep -i 'SYN flooding'"],
          explainIncludes: ['SYN cookies'],
        },
      ],
    },
    {
      name: 'syncookies off: the last quarter of tcp_max_syn_backlog is the limit',
      snapshot: snapshot({
        listeners: [listener({ port: 80, synRecv: 77, backlog: 4096 })],
        tunables: { 'net.ipv4.tcp_syncookies': 0, 'net.ipv4.tcp_max_syn_backlog': 128 },
      }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 80 },
          evidence: { synLimit: 96, synLimitBasis: 'tcp_max_syn_backlog', syncookies: 0 },
          fixIncludes: ['sysctl -w net.ipv4.tcp_syncookies=1'],
          explainIncludes: ['new SYNs are dropped'],
        },
      ],
    },
    {
      name: 'the accept queue is full: SYN_RECV are dropped final ACKs, linked',
      snapshot: snapshot({
        listeners: [listener({ address: '::', port: 8889, synRecv: 110, acceptQueue: 129, backlog: 128 })],
        tunables: { 'net.core.somaxconn': 128 },
      }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '::', port: 8889 },
          evidence: { synRecv: 110, acceptQueue: 129, acceptQueueFull: true },
          related: ['accept-queue-full@[::]:8889'],
          explainIncludes: ['Fix the accept queue first'],
        },
      ],
    },
    {
      name: 'backlog unknown: somaxconn bounds it',
      snapshot: snapshot({ listeners: [listener({ port: 80, synRecv: 120, backlog: null })], tunables: { 'net.core.somaxconn': 128 } }),
      findings: [{ severity: 'warning', subject: { address: '0.0.0.0', port: 80 }, evidence: { synLimit: 128, synLimitBasis: 'somaxconn', backlog: null } }],
    },
    {
      name: 'cookies sent during the window: warning for the namespace',
      snapshot: snapshot({ deltas: { 'TcpExt.SyncookiesSent': 50, 'TcpExt.TCPReqQFullDoCookies': 50 }, intervalMs: 5000 }),
      findings: [
        {
          severity: 'warning',
          subject: {},
          evidence: { syncookiesSentDelta: 50, reqQFullDoCookiesDelta: 50, reqQFullDropDelta: 0, syncookies: 1, intervalMs: 5000 },
          related: [],
          explainIncludes: ['5 s', 'SYN cookies'],
        },
      ],
    },
    {
      name: 'SYNs dropped with syncookies off: critical, both forms linked, and listen-overflows',
      snapshot: snapshot({
        listeners: [listener({ port: 80, synRecv: 100, backlog: 4096 })],
        tunables: { 'net.ipv4.tcp_syncookies': 0, 'net.ipv4.tcp_max_syn_backlog': 128 },
        deltas: { 'TcpExt.TCPReqQFullDrop': 7, 'TcpExt.ListenDrops': 7 },
      }),
      findings: [
        { severity: 'warning', subject: { address: '0.0.0.0', port: 80 }, evidence: { synLimit: 96 }, related: ['syn-queue-pressure'] },
        {
          severity: 'critical',
          subject: {},
          evidence: { reqQFullDropDelta: 7, syncookies: 0 },
          related: ['syn-queue-pressure@0.0.0.0:80', 'listen-overflows'],
          fixIncludes: ['sysctl -w net.ipv4.tcp_syncookies=1'],
          explainIncludes: ['dropped'],
        },
      ],
    },
    {
      name: 'drops counted but syncookies turned on since: warning',
      snapshot: snapshot({ deltas: { 'TcpExt.TCPReqQFullDrop': 2 } }),
      findings: [{ severity: 'warning', subject: {}, evidence: { reqQFullDropDelta: 2, syncookies: 1 } }],
    },
  ],
});

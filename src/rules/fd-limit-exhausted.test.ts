import type { LimitOrigin } from '../provenance/types.js';
import { healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './fd-limit-exhausted.js';
import { runRuleCases } from './support/rule-cases.js';

const server = (open: number | null, soft: number | null, hard: number | null = soft) =>
  proc({ pid: 37482, name: 'server', open, soft, hard });

const systemdOrigin: LimitOrigin = {
  pid: 37482,
  name: 'server',
  soft: 1024,
  hard: 1024,
  chain: [],
  source: {
    layer: 'systemd',
    pid: 1,
    unit: 'supervisord.service',
    file: '/etc/systemd/system/supervisord.service',
    setting: 'LimitNOFILE',
    value: '1024',
    reason: 'supervisord inherits the limit of its unit and passes it to its programs.',
  },
  contradictions: ['/etc/security/limits.conf sets nofile 65535 for user app, but pam_limits does not apply to services.'],
  fix: ['mkdir -p /etc/systemd/system/supervisord.service.d', 'systemctl daemon-reload && systemctl restart supervisord'],
};

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'open count unknown (not root)', snapshot: snapshot({ processes: [server(null, 1024)] }) },
    { name: 'soft limit unknown', snapshot: snapshot({ processes: [server(1024, null)] }) },
    { name: 'just below 95%: near, not exhausted', snapshot: snapshot({ processes: [server(949, 1000)] }) },
  ],
  invalid: [
    {
      name: 'the seed: every descriptor used, soft = hard',
      snapshot: snapshot({ processes: [server(1024, 1024)] }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 37482, name: 'server' },
          evidence: { open: 1024, soft: 1024, hard: 1024, usedPercent: 100, canRaiseSoft: false, limitLayer: null, limitFile: null },
          related: [],
          fixIncludes: ['cat /proc/37482/limits', 'prlimit --pid 37482 --nofile=65536:65536', 'sockdoc limits 37482'],
          explainIncludes: ['EMFILE', 'too many open files'],
        },
      ],
    },
    {
      name: 'exactly 95% counts as exhausted',
      snapshot: snapshot({ processes: [server(950, 1000, 4096)] }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 37482, name: 'server' },
          evidence: { open: 950, soft: 1000, hard: 4096, usedPercent: 95, canRaiseSoft: true },
          fixIncludes: ['prlimit --pid 37482 --nofile=4096:4096'],
          explainIncludes: ['The hard limit is 4096', 'raise the soft limit'],
        },
      ],
    },
    {
      name: 'soft = hard = fs.nr_open: prlimit target capped at fs.nr_open',
      snapshot: snapshot({ processes: [server(1048576, 1048576)], tunables: { 'fs.nr_open': 1048576 } }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 37482, name: 'server' },
          evidence: { canRaiseSoft: false },
          fixIncludes: ['--nofile=1048576:1048576'],
        },
      ],
    },
    {
      name: 'provenance known: fix at the layer that set it, source in explain',
      snapshot: snapshot({ processes: [server(1024, 1024)], limitOrigins: [systemdOrigin] }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 37482, name: 'server' },
          evidence: {
            limitLayer: 'systemd',
            limitFile: '/etc/systemd/system/supervisord.service',
            limitSetting: 'LimitNOFILE',
          },
          fixIncludes: ['systemctl daemon-reload && systemctl restart supervisord'],
          explainIncludes: ['set by systemd, unit supervisord.service: LimitNOFILE=1024 in /etc/systemd/system/supervisord.service', 'pam_limits does not apply'],
        },
      ],
    },
    {
      name: 'owns a full listener with unaccepted CLOSE_WAIT: linked both ways',
      snapshot: snapshot({
        processes: [proc({ pid: 37482, name: 'server', open: 1024, soft: 1024, hard: 1024, sockets: { LISTEN: 1, CLOSE_WAIT: 12 } })],
        listeners: [listener({ address: '::', port: 8889, pids: [37482], acceptQueue: 129, backlog: 128, closeWaitUnaccepted: 129 })],
        tunables: { 'net.core.somaxconn': 128 },
      }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 37482, name: 'server' },
          evidence: { closeWait: 12 },
          related: ['accept-queue-full@[::]:8889', 'close-wait-unaccepted@[::]:8889', 'close-wait-leak@37482'],
          explainIncludes: ['It owns the full listener [::]:8889'],
        },
      ],
    },
    {
      name: 'threshold from options',
      options: { fdCritical: 0.5 },
      snapshot: snapshot({ processes: [server(600, 1024)] }),
      findings: [{ severity: 'critical', subject: { pid: 37482, name: 'server' }, evidence: { usedPercent: 58.6 } }],
    },
    {
      name: 'soft limit 0: any count is exhaustion, no percentage',
      snapshot: snapshot({ processes: [server(3, 0, 0)] }),
      findings: [{ severity: 'critical', subject: { pid: 37482, name: 'server' }, evidence: { usedPercent: null } }],
    },
    {
      name: 'an eventpoll leak: what the fds are comes first, the leak is named and shown before any bigger limit',
      snapshot: snapshot({ processes: [proc({ pid: 4242, name: 'worker', open: 4096, soft: 4096, hard: 4096, fdKinds: { eventpoll: 4088, file: 5, device: 3 } })] }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 4242, name: 'worker' },
          evidence: { topKind: 'eventpoll', topKindCount: 4088, fdVerdict: 'leak', fdKinds: 'eventpoll:4088,file:5,device:3', growingKind: null },
          fixIncludes: ["ls -l /proc/4242/fd | grep -c 'anon_inode:\\[eventpoll\\]'", 'a bigger fd limit only delays the next exhaustion', 'prlimit --pid 4242'],
          explainIncludes: ['4,088 of 4,096 are epoll instances (eventpoll)', 'a leak, not load'],
        },
      ],
    },
    {
      name: 'a Java Selector leak: eventpoll and eventfd together, and the heap histogram that counts the selectors',
      snapshot: snapshot({
        processes: [proc({ pid: 77, name: 'java', cmdline: '/usr/bin/java -jar app.jar', open: 4100, soft: 4096, fdKinds: { eventpoll: 2040, eventfd: 2040, tcp: 12, file: 8 } })],
      }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 77, name: 'java' },
          evidence: { topKind: 'eventpoll', fdVerdict: 'leak' },
          fixIncludes: ['jmap -histo 77', 'EPollSelectorImpl'],
          explainIncludes: ['2,040 eventpoll + 2,040 eventfd of 4,100', 'Selector.open()'],
        },
      ],
    },
    {
      name: 'mostly live TCP connections: load, not a leak (no leak lines, the limit is the fix)',
      snapshot: snapshot({
        processes: [proc({ pid: 88, name: 'nginx', open: 1020, soft: 1024, hard: 1024, sockets: { ESTABLISHED: 1000, LISTEN: 2 }, fdKinds: { tcp: 1002, file: 12, pipe: 2, eventpoll: 1, device: 3 } })],
      }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 88, name: 'nginx' },
          evidence: { topKind: 'tcp', fdVerdict: 'load' },
          explainIncludes: ['1,002 of 1,020 are TCP sockets (1,000 ESTABLISHED)', 'not a leak'],
        },
      ],
    },
    {
      name: 'mostly TCP, most of it CLOSE_WAIT: a leak of connections',
      snapshot: snapshot({
        processes: [proc({ pid: 89, name: 'app', open: 1024, soft: 1024, sockets: { ESTABLISHED: 100, CLOSE_WAIT: 900 }, fdKinds: { tcp: 1000, file: 24 } })],
      }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 89, name: 'app' },
          evidence: { fdVerdict: 'leak', topKind: 'tcp' },
          fixIncludes: ["ss -tnp state close-wait | grep -c 'pid=89,'"],
          explainIncludes: ['900 of them in CLOSE_WAIT', 'a leak of connections'],
        },
      ],
    },
    // Each fd kind judged by itself: a leak-prone kind far past a handful leaks beside live sockets.
    ...([
      ['pipe', 91, { tcp: 101 }, { ESTABLISHED: 99, LISTEN: 2 }],
      ['eventfd', 70, { tcp: 130 }, { ESTABLISHED: 128, LISTEN: 2 }],
      ['eventpoll', 60, { unix: 140 }, {}],
      ['timerfd', 120, { tcp: 300, file: 20 }, { ESTABLISHED: 298, LISTEN: 2 }],
    ] as const).map(([kind, n, rest, sockets], i) => {
      const open = n + Object.values(rest).reduce((a: number, b: number) => a + b, 0);
      return {
        name: `a mixed leak: ${n} ${kind} beside ${JSON.stringify(rest)} is a leak of ${kind}, not load`,
        snapshot: snapshot({ processes: [proc({ pid: 300 + i, name: 'app', open, soft: open, hard: open, sockets, fdKinds: { [kind]: n, ...rest } })] }),
        findings: [{ severity: 'critical' as const, subject: { pid: 300 + i, name: 'app' }, evidence: { fdVerdict: 'leak', leakKinds: kind }, explainIncludes: [`${n} ${kind} of ${open}`, 'a mixed leak, not load'] }],
      };
    }),
    {
      name: 'a handful of pipes beside many live sockets: still load',
      snapshot: snapshot({ processes: [proc({ pid: 320, name: 'app', open: 1024, soft: 1024, hard: 1024, sockets: { ESTABLISHED: 990, LISTEN: 2 }, fdKinds: { tcp: 992, pipe: 30, eventpoll: 2 } })] }),
      findings: [{ severity: 'critical', subject: { pid: 320, name: 'app' }, evidence: { fdVerdict: 'load' }, explainIncludes: ['not a leak'] }],
    },
  ],
});

import { healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './accept-wait-long.js';
import { runRuleCases } from './support/rule-cases.js';

// The public HAProxy report: 202 clients hung unaccepted on :6379 against a backlog of 4096.
const haproxyLike = (waits: number[], spec: Parameters<typeof listener>[0] = { port: 6379 }) =>
  listener({ address: '0.0.0.0', pids: [700], acceptQueue: waits.length, backlog: 4096, waitsMs: waits, ...spec });
const waits202 = (maxMs: number) => Array.from({ length: 202 }, (_, i) => Math.round((maxMs * (i + 1)) / 202));

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'waits unknown (sockets from /proc/net/tcp)', snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 50, establishedUnaccepted: 50, acceptWait: null })] }) },
    { name: 'a busy queue of quick accepts: 300 waiting, none for 1 s', snapshot: snapshot({ listeners: [haproxyLike(Array.from({ length: 300 }, () => 40), { port: 80 })] }) },
    { name: 'queued but not measured (every one closed before its lookup)', snapshot: snapshot({ listeners: [listener({ port: 80, establishedUnaccepted: 5, acceptWait: { measured: 0, unmeasured: 5, maxMs: 0, medianMs: 0, waitsMs: [] } })] }) },
    { name: 'below a raised threshold', snapshot: snapshot({ listeners: [haproxyLike([4000, 10])] }), options: { acceptWaitMs: 5000 } },
  ],
  invalid: [
    {
      name: 'the HAProxy report: 202 clients wait up to 4.1 s far below a backlog of 4096; the owner idle',
      snapshot: snapshot({ processes: [proc({ pid: 700, name: 'haproxy', state: 'S', threads: { S: 4 } })], listeners: [haproxyLike(waits202(4100))] }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 6379, pid: 700, name: 'haproxy' },
          evidence: { maxWaitMs: 4100, waitingOverThreshold: 153, thresholdMs: 1000, establishedUnaccepted: 202, measured: 202, acceptQueue: 202, backlog: 4096, ownerState: 'threads-idle', threadsTotal: 4, threadsRunning: 0 },
          related: [],
          fixIncludes: ["ss -tinp state established '( sport = :6379 )'", 'strace -f -e trace=accept,accept4 -p 700', 'top -H -p 700'],
          explainIncludes: ['the longest for 4.1 s', 'far from full (202 of 4096)', 'not busy, yet not accepting', 'handshake completed'],
        },
      ],
    },
    {
      name: 'a stopped owner (State: T): critical past 10 s, kill -CONT',
      snapshot: snapshot({ processes: [proc({ pid: 700, name: 'redis-server', state: 'T' })], listeners: [haproxyLike([12_000, 11_000, 500])] }),
      findings: [
        {
          severity: 'critical',
          subject: { address: '0.0.0.0', port: 6379, pid: 700, name: 'redis-server' },
          evidence: { maxWaitMs: 12_000, medianWaitMs: 11_000, waitingOverThreshold: 2, ownerState: 'stopped', criticalFromMs: 10_000 },
          fixIncludes: ['kill -CONT 700'],
          explainIncludes: ['is stopped (State: T', 'runs no code'],
        },
      ],
    },
    {
      name: 'every thread running: busy',
      snapshot: snapshot({
        processes: [proc({ pid: 700, name: 'app', threads: { R: 8 } })],
        listeners: [listener({ port: 8080, pids: [700], acceptQueue: 2, backlog: 128, waitsMs: [2500, 2400] })],
      }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 8080, pid: 700, name: 'app' },
          evidence: { ownerState: 'threads-busy', threadsRunning: 8, threadsTotal: 8 },
          explainIncludes: ['All 8 threads of app (pid 700) are running (R)'],
        },
      ],
    },
    {
      // One finding per problem: a full queue's clients wait too, and accept-queue-full says so.
      name: 'a full queue whose clients wait: accept-queue-full\'s, not this one',
      snapshot: snapshot({
        processes: [proc({ pid: 700, name: 'app', threads: { R: 8 } })],
        listeners: [listener({ port: 8080, pids: [700], acceptQueue: 129, backlog: 128, waitsMs: [2500, 2400] })],
      }),
      findings: [],
    },
    {
      name: 'out of fds: the fd finding is the cause',
      snapshot: snapshot({ processes: [proc({ pid: 700, name: 'server', open: 64, soft: 64 })], listeners: [haproxyLike([3000], { port: 8889 })] }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 8889, pid: 700, name: 'server' },
          evidence: { ownerState: 'out-of-fds' },
          related: ['fd-limit-exhausted@700'],
          fixIncludes: ['sockdoc limits 700'],
          explainIncludes: ['EMFILE'],
        },
      ],
    },
    {
      name: 'a lowered threshold; part of the queue not measured; in a container namespace',
      snapshot: (() => {
        const s = snapshot({ listeners: [listener({ port: 80, netns: 4026532999, pids: [], establishedUnaccepted: 4, waitsMs: [600, 550] })] });
        s.namespaces.push({ ...s.namespaces[0], inode: 4026532999, kind: 'docker', name: 'web', pids: [4242] });
        return s;
      })(),
      options: { acceptWaitMs: 500 },
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 80, netns: { inode: 4026532999, kind: 'docker', name: 'web' } },
          evidence: { maxWaitMs: 600, waitingOverThreshold: 2, thresholdMs: 500, measured: 2, establishedUnaccepted: 4, ownerPids: null, ownerState: null },
          fixIncludes: ["nsenter -n -t 4242 ss -tinp state established '( sport = :80 )'"],
          explainIncludes: ['(2 of 4 measured)', 'an unknown process'],
        },
      ],
    },
  ],
});

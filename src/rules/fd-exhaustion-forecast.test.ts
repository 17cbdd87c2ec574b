import { climb, fdHistory } from '../testing/history-builder.js';
import { healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './fd-exhaustion-forecast.js';
import { runRuleCases } from './support/rule-cases.js';

const app = (open: number, soft = 1024, hard: number | null = 4096, sockets = {}) =>
  proc({ pid: 4242, name: 'app', open, soft, hard, sockets });
const who = { pid: 4242, name: 'app', soft: 1024 };

// 2 s samples. A leak of 1 fd per sample (0.5/s) from 100: after 60 samples (118 s) at 159, 865 left = 1730 s.
const fastLeak = fdHistory(who, climb(100, 1, 60), 2000);
// One per 20 s sample (0.05/s) for 10 min from 200: at 230, 794 left = 15880 s (4 h 25 min), within 60 × 10 min.
const slowLeak = fdHistory(who, climb(200, 1, 31), 20_000);
// The same fast leak, told by kind: 40 sockets and 20 files steady, eventfds make all the growth.
const eventfdLeak = fdHistory(who, climb(100, 1, 60), 2000, (open) => ({ tcp: 40, file: 20, eventfd: open - 60 }));

runRuleCases(rule, {
  valid: [
    { name: 'no history (a one-shot diagnosis)', snapshot: snapshot({ processes: [app(159)] }) },
    { name: 'healthy host with history', snapshot: healthySnapshot(), context: { history: fastLeak } },
    { name: 'too few samples', snapshot: snapshot({ processes: [app(103)] }), context: { history: fdHistory(who, climb(100, 1, 4), 2000) } },
    { name: 'flat', snapshot: snapshot({ processes: [app(100)] }), context: { history: fdHistory(who, climb(100, 0, 60), 2000) } },
    {
      name: 'another program now holds the pid',
      snapshot: snapshot({ processes: [proc({ pid: 4242, name: 'other', open: 159, soft: 1024 })] }),
      context: { history: fastLeak },
    },
    {
      name: 'already exhausted: fd-limit-exhausted says it',
      snapshot: snapshot({ processes: [app(159, 160)] }),
      context: { history: fdHistory({ ...who, soft: 160 }, climb(100, 1, 60), 2000) },
    },
    { name: 'soft limit unknown', snapshot: snapshot({ processes: [proc({ pid: 4242, name: 'app', open: 159, soft: null })] }), context: { history: fastLeak } },
  ],
  invalid: [
    {
      name: 'the kind that grows is named, and the fix shows it first',
      snapshot: snapshot({ processes: [proc({ pid: 4242, name: 'app', open: 159, soft: 1024, hard: 4096, fdKinds: { tcp: 40, file: 20, eventfd: 99 } })] }),
      context: { history: eventfdLeak },
      findings: [
        {
          severity: 'critical',
          subject: { pid: 4242, name: 'app' },
          evidence: { growingKind: 'eventfd', growingKindDelta: 59, topKind: 'eventfd', fdVerdict: 'leak' },
          fixIncludes: ["ls -l /proc/4242/fd | grep -c 'anon_inode:\\[eventfd\\]'"],
          explainIncludes: ['(eventfd +59 over the window)', 'a leak, not load'],
        },
      ],
    },
    {
      name: 'a fast leak: critical, under an hour',
      snapshot: snapshot({ processes: [app(159, 1024, 4096, { CLOSE_WAIT: 40 })] }),
      context: { history: fastLeak },
      findings: [
        {
          severity: 'critical',
          subject: { pid: 4242, name: 'app' },
          evidence: { open: 159, soft: 1024, perMinute: 30, secondsToLimit: 1730, windowSeconds: 118, samples: 60, restarted: false, closeWait: 40 },
          related: ['close-wait-leak@4242'],
          fixIncludes: ['ls -l /proc/4242/fd', 'sockdoc sockets --pid 4242', 'prlimit --pid 4242 --nofile=4096:4096', 'sockdoc limits 4242'],
          explainIncludes: ['+30/min', 'reaches its soft RLIMIT_NOFILE of 1024 in ~29 min', 'EMFILE'],
        },
      ],
    },
    {
      name: 'a slow leak: warning, hours away',
      snapshot: snapshot({ processes: [app(230, 1024, 1024)] }),
      context: { history: slowLeak },
      findings: [
        {
          severity: 'warning',
          subject: { pid: 4242, name: 'app' },
          evidence: { open: 230, perMinute: 3, secondsToLimit: 15880, windowSeconds: 600, samples: 31 },
          related: [],
          fixIncludes: ['prlimit --pid 4242 --nofile=65536:65536', 'CAP_SYS_RESOURCE'],
          explainIncludes: ['in ~4 h 25 min'],
        },
      ],
    },
    {
      name: 'near the limit already: linked to fd-limit-near',
      snapshot: snapshot({ processes: [app(159, 190)], listeners: [listener({ port: 80, pids: [4242] })] }),
      context: { history: fdHistory({ ...who, soft: 190 }, climb(100, 1, 60), 2000) },
      findings: [
        {
          severity: 'critical',
          subject: { pid: 4242, name: 'app' },
          evidence: { secondsToLimit: 62, usedPercent: 83.7 },
          related: ['fd-limit-near@4242'],
        },
      ],
    },
  ],
});

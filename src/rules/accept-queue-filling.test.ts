import { healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './accept-queue-filling.js';
import { runRuleCases } from './support/rule-cases.js';

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'just below 80%', snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 408, backlog: 511 })] }) },
    { name: 'full is reported by accept-queue-full only', snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 512, backlog: 511 })] }) },
    { name: 'listen(fd, 0) with an empty queue', snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 0, backlog: 0 })] }) },
    {
      name: 'backlog unknown, queue below 80% of somaxconn',
      snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 500, backlog: null })] }),
    },
  ],
  invalid: [
    {
      name: 'nginx at 80% of 511, owner near its fd limit',
      snapshot: snapshot({
        processes: [proc({ pid: 812, name: 'nginx', open: 900, soft: 1024, hard: 1024 })],
        listeners: [listener({ port: 80, pids: [812], acceptQueue: 409, backlog: 511 })],
      }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 80, pid: 812, name: 'nginx' },
          evidence: { acceptQueue: 409, backlog: 511, limit: 511, limitBasis: 'backlog', queuePercent: 80 },
          related: ['fd-limit-near@812'],
          fixIncludes: ["ss -ltn 'sport = :80'", 'strace -f -e trace=accept,accept4 -p 812'],
          explainIncludes: ['80% of the queue', 'near its file descriptor limit'],
        },
      ],
    },
    {
      name: 'backlog = somaxconn: linked to backlog-clamped',
      snapshot: snapshot({
        listeners: [listener({ address: '::', port: 8889, acceptQueue: 110, backlog: 128 })],
        tunables: { 'net.core.somaxconn': 128 },
      }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '::', port: 8889 },
          evidence: { queuePercent: 85.9 },
          related: ['backlog-clamped@[::]:8889'],
        },
      ],
    },
    {
      name: 'threshold from options',
      options: { queueWarning: 0.1 },
      snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 52, backlog: 511 })] }),
      findings: [{ severity: 'warning', subject: { address: '0.0.0.0', port: 80 }, evidence: { queuePercent: 10.2 } }],
    },
    {
      name: 'backlog unknown, queue at 80% of somaxconn',
      snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 3300, backlog: null })] }),
      findings: [{ severity: 'warning', subject: { address: '0.0.0.0', port: 80 }, evidence: { limit: 4096, limitBasis: 'somaxconn' } }],
    },
  ],
});

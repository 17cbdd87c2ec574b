import { healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './fd-limit-near.js';
import { runRuleCases } from './support/rule-cases.js';

const app = (open: number | null, soft: number | null, hard: number | null = 524288) =>
  proc({ pid: 4242, name: 'node', open, soft, hard });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'just below 80%', snapshot: snapshot({ processes: [app(799, 1000)] }) },
    { name: 'exhausted is reported by fd-limit-exhausted only, not both', snapshot: snapshot({ processes: [app(1000, 1000)] }) },
    { name: 'open count unknown', snapshot: snapshot({ processes: [app(null, 1000)] }) },
    { name: 'soft limit unknown', snapshot: snapshot({ processes: [app(900, null)] }) },
  ],
  invalid: [
    {
      name: 'exactly 80%, soft below hard',
      snapshot: snapshot({ processes: [app(800, 1000)] }),
      findings: [
        {
          severity: 'warning',
          subject: { pid: 4242, name: 'node' },
          evidence: { open: 800, soft: 1000, hard: 524288, usedPercent: 80, canRaiseSoft: true, limitLayer: null },
          related: [],
          fixIncludes: ['prlimit --pid 4242 --nofile=524288:524288', 'sockdoc limits 4242'],
          explainIncludes: ['80% of its soft RLIMIT_NOFILE', 'raise the soft limit up to it'],
        },
      ],
    },
    {
      name: 'hard limit unknown: nothing said about raising soft',
      snapshot: snapshot({ processes: [app(900, 1000, null)] }),
      findings: [{ severity: 'warning', subject: { pid: 4242, name: 'node' }, evidence: { hard: null, canRaiseSoft: false } }],
    },
    {
      name: 'owns a filling listener: linked',
      snapshot: snapshot({
        processes: [app(850, 1000)],
        listeners: [listener({ address: '127.0.0.1', port: 3000, pids: [4242], acceptQueue: 450, backlog: 511 })],
      }),
      findings: [
        {
          severity: 'warning',
          subject: { pid: 4242, name: 'node' },
          evidence: { usedPercent: 85 },
          related: ['accept-queue-filling@127.0.0.1:3000'],
        },
      ],
    },
  ],
});

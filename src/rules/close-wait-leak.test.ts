import { healthySnapshot, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './close-wait-leak.js';
import { CLOSE_WAIT_LEAK_MIN } from './support/levels.js';
import { runRuleCases } from './support/rule-cases.js';
import { addCloseWait } from './support/close-wait-sockets.js';
import type { Snapshot } from '../snapshot/types.js';

const notRoot = (s: Snapshot): Snapshot => ((s.host.asRoot = false), s);

const app = (closeWait: number, open: number | null = 200, soft: number | null = 65536) =>
  proc({ pid: 5150, name: 'java', open, soft, sockets: { ESTABLISHED: 40, CLOSE_WAIT: closeWait } });

runRuleCases(rule, {
  valid: [
    {
      name: 'window: 300 in CLOSE_WAIT but all replaced (churn, not a leak)',
      snapshot: addCloseWait(snapshot({ processes: [app(300)] }), { pid: 5150, port: 8080, count: 300, persisted: 0 }),
    },
    { name: 'unowned, below the minimum', snapshot: addCloseWait(snapshot(), { port: 8080, count: CLOSE_WAIT_LEAK_MIN - 1, persisted: null }) },
    { name: 'healthy host (nginx with 2 CLOSE_WAIT in passing)', snapshot: healthySnapshot() },
    { name: 'one below the minimum', snapshot: snapshot({ processes: [app(CLOSE_WAIT_LEAK_MIN - 1)] }) },
    { name: 'no CLOSE_WAIT at all', snapshot: snapshot({ processes: [proc({ pid: 1, sockets: { ESTABLISHED: 3 } })] }) },
  ],
  invalid: [
    {
      name: 'window: the CLOSE_WAIT stayed the whole window: a leak, said with the count that stayed',
      snapshot: addCloseWait(snapshot({ processes: [app(300)] }), { pid: 5150, port: 8080, count: 300, persisted: 280 }),
      findings: [
        {
          severity: 'warning',
          subject: { pid: 5150, name: 'java' },
          evidence: { closeWait: 300, persisted: 280, windowMs: 1000 },
          explainIncludes: ['280 of them stayed in CLOSE_WAIT for the whole 1.0 s window'],
          fixIncludes: ['sub(/:[0-9]+$/, "", $4)'],
        },
      ],
    },
    {
      name: 'not root: 300 CLOSE_WAIT of an invisible owner are reported by port',
      snapshot: notRoot(addCloseWait(snapshot(), { port: 8080, count: 300, persisted: null })),
      findings: [
        {
          severity: 'warning',
          subject: { address: '10.0.0.5', port: 8080 },
          evidence: { closeWait: 300, persisted: null, ownerVisible: false },
          explainIncludes: ['Run sockdoc as root'],
          fixIncludes: ["sudo ss -tnp state close-wait '( sport = :8080 )'"],
        },
      ],
    },
    {
      name: 'at the minimum, fds plentiful: warning',
      snapshot: snapshot({ processes: [app(CLOSE_WAIT_LEAK_MIN)] }),
      findings: [
        {
          severity: 'warning',
          subject: { pid: 5150, name: 'java' },
          evidence: { closeWait: CLOSE_WAIT_LEAK_MIN, minimum: CLOSE_WAIT_LEAK_MIN, open: 200, soft: 65536, fdUsedPercent: 0.3 },
          related: [],
          fixIncludes: ["ss -tnp state close-wait | grep -c 'pid=5150,'", 'restarting java'],
          explainIncludes: ['has not called close()', 'never times CLOSE_WAIT out'],
        },
      ],
    },
    {
      name: 'leaking into the fd limit: critical, linked to fd-limit-near',
      snapshot: snapshot({ processes: [app(700, 850, 1000)] }),
      findings: [
        {
          severity: 'critical',
          subject: { pid: 5150, name: 'java' },
          evidence: { closeWait: 700, fdUsedPercent: 85 },
          related: ['fd-limit-near@5150'],
          explainIncludes: ['850 of 1000'],
        },
      ],
    },
    {
      name: 'at the fd limit: linked to fd-limit-exhausted',
      snapshot: snapshot({ processes: [app(990, 1024, 1024)] }),
      findings: [{ severity: 'critical', subject: { pid: 5150, name: 'java' }, evidence: { closeWait: 990 }, related: ['fd-limit-exhausted@5150'] }],
    },
    {
      name: 'fd count unknown: warning, null percentage',
      snapshot: snapshot({ processes: [app(50, null)] }),
      findings: [{ severity: 'warning', subject: { pid: 5150, name: 'java' }, evidence: { open: null, fdUsedPercent: null } }],
    },
  ],
});

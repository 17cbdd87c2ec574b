import { proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './close-wait-churn.js';
import { addCloseWait } from './support/close-wait-sockets.js';
import { runRuleCases } from './support/rule-cases.js';

const app = (closeWait: number) => proc({ pid: 5150, name: 'java', open: 400, soft: 65536, sockets: { ESTABLISHED: 40, CLOSE_WAIT: closeWait } });
const at = (count: number, persisted: number | null) => addCloseWait(snapshot({ processes: [app(count)] }), { pid: 5150, port: 8080, count, persisted });

runRuleCases(rule, {
  valid: [
    { name: 'one read: churn cannot be told', snapshot: at(300, null) },
    { name: 'they stayed the whole window: a leak, not churn', snapshot: at(300, 250) },
    { name: 'too few to matter', snapshot: at(9, 0) },
  ],
  invalid: [
    {
      name: '300 in CLOSE_WAIT, all replaced within the window: churn, with the rate of new ones',
      snapshot: at(300, 0),
      findings: [
        {
          severity: 'info',
          subject: { pid: 5150, name: 'java' },
          evidence: { closeWait: 300, persisted: 0, new: 300, newPerSecond: 300, windowMs: 1000 },
          explainIncludes: ['This is not a leak', '300 new ones per second'],
          fixIncludes: ['top -H -p 5150'],
        },
      ],
    },
    {
      name: 'a few stayed, fewer than the leak minimum: still churn',
      snapshot: at(120, 9),
      findings: [{ severity: 'info', subject: { pid: 5150, name: 'java' }, evidence: { persisted: 9, new: 111 } }],
    },
  ],
});

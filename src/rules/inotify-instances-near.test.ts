import type { UserNamespace } from '../snapshot/types.js';
import { healthySnapshot, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './inotify-instances-near.js';
import { runRuleCases } from './support/rule-cases.js';

const HOST: UserNamespace = { inode: 4026531837, own: true, owner: null, parent: null, maxInotifyInstances: 128, maxInotifyWatches: 8192 };
const at = (...instances: number[]) => {
  const s = snapshot({ processes: instances.map((n, i) => proc({ pid: 100 + i, name: `w${i}`, uid: 1000, user: null, inotify: { instances: n, watches: n, userns: HOST.inode } })) });
  s.userNamespaces = [HOST];
  return s;
};

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'under 80%', snapshot: at(50, 52) },
    { name: 'at the limit: exhausted says it, not near', snapshot: at(100, 28) },
  ],
  invalid: [
    {
      name: '80% of the limit: a warning with the holders and the sysctl',
      snapshot: at(60, 43),
      findings: [
        {
          severity: 'warning',
          subject: { uid: 1000, pid: 100, name: 'w0' },
          evidence: { used: 103, limit: 128, usedPercent: 80.5, holders: '100:60,101:43' },
          fixIncludes: ['sysctl -w fs.inotify.max_user_instances=1024'],
          explainIncludes: ['At 128 inotify_init1() fails with EMFILE'],
        },
      ],
    },
    {
      name: 'the threshold is an option',
      options: { inotifyWarning: 0.5 },
      snapshot: at(40, 30),
      findings: [{ severity: 'warning', subject: { uid: 1000, pid: 100, name: 'w0' }, evidence: { used: 70 } }],
    },
  ],
});

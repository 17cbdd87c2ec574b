import type { UserNamespace } from '../snapshot/types.js';
import { healthySnapshot, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './inotify-watches-near.js';
import { runRuleCases } from './support/rule-cases.js';

const HOST: UserNamespace = { inode: 4026531837, own: true, owner: null, parent: null, maxInotifyInstances: 128, maxInotifyWatches: 10000 };
const watching = (w: number) => {
  const s = snapshot({ processes: [proc({ pid: 300, name: 'code', uid: 1000, user: null, inotify: { instances: 3, watches: w, userns: HOST.inode } })] });
  s.userNamespaces = [HOST];
  return s;
};

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'under 80%', snapshot: watching(7999) },
    { name: 'at the limit: exhausted says it', snapshot: watching(10000) },
  ],
  invalid: [
    {
      name: '80% of max_user_watches: a warning',
      snapshot: watching(8000),
      findings: [{ severity: 'warning', subject: { uid: 1000, pid: 300, name: 'code' }, evidence: { used: 8000, limit: 10000, usedPercent: 80 }, fixIncludes: ['sysctl -w fs.inotify.max_user_watches=524288'] }],
    },
  ],
});

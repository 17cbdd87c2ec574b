import type { UserNamespace } from '../snapshot/types.js';
import { healthySnapshot, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './inotify-watches-exhausted.js';
import { runRuleCases } from './support/rule-cases.js';

const HOST: UserNamespace = { inode: 4026531837, own: true, owner: null, parent: null, maxInotifyInstances: 128, maxInotifyWatches: 8192 };
const watching = (...watches: Array<number | null>) => {
  const s = snapshot({ processes: watches.map((w, i) => proc({ pid: 200 + i, name: i === 0 ? 'node' : `p${i}`, uid: 1000, user: 'dev', inotify: { instances: 1, watches: w, userns: HOST.inode } })) });
  s.userNamespaces = [HOST];
  return s;
};

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'below the limit', snapshot: watching(4000, 100) },
    { name: 'a holder whose watches could not be read: the total is unknown, nothing claimed', snapshot: watching(8000, null) },
  ],
  invalid: [
    {
      name: "webpack's watcher at max_user_watches: ENOSPC, the watches per instance, the sysctl",
      snapshot: watching(8100, 92),
      findings: [
        {
          severity: 'critical',
          subject: { uid: 1000, user: 'dev', pid: 200, name: 'node' },
          evidence: { used: 8192, limit: 8192, sysctl: 'fs.inotify.max_user_watches', holders: '200:8100,201:92', suggested: 524288, instances: 2, watches: 8192 },
          fixIncludes: ["grep -c '^inotify' /proc/200/fdinfo/*", 'sysctl -w fs.inotify.max_user_watches=524288', '/etc/sysctl.d/90-inotify.conf', 'not ulimit -n'],
          explainIncludes: ['ENOSPC', 'System limit for number of file watchers reached', 'uid 1000 (dev) holds 8192 inotify watches, its limit'],
        },
      ],
    },
  ],
});

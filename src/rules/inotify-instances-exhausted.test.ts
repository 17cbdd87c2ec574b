import type { Snapshot, UserNamespace } from '../snapshot/types.js';
import { healthySnapshot, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './inotify-instances-exhausted.js';
import { runRuleCases } from './support/rule-cases.js';

const HOST: UserNamespace = { inode: 4026531837, own: true, owner: null, parent: null, maxInotifyInstances: 128, maxInotifyWatches: 65536 };

function withUserns(s: Snapshot, ...ns: UserNamespace[]): Snapshot {
  s.userNamespaces = [HOST, ...ns];
  return s;
}

/** A holder of `instances` inotify instances with `watches` watches, in user namespace `userns`. */
const holder = (pid: number, name: string, uid: number, instances: number, watches: number | null = instances * 10, userns = HOST.inode) =>
  proc({ pid, name, uid, euid: uid, user: uid === 0 ? 'root' : null, inotify: { instances, watches, userns } });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host (no user namespaces read)', snapshot: healthySnapshot() },
    { name: 'below the limit', snapshot: withUserns(snapshot({ processes: [holder(10, 'kubelet', 0, 40), holder(11, 'promtail', 0, 60)] })) },
    {
      name: 'the limit unknown (a capture without it): nothing is claimed',
      snapshot: (() => {
        const s = snapshot({ processes: [holder(10, 'kubelet', 0, 500)] });
        s.userNamespaces = [{ ...HOST, maxInotifyInstances: null }];
        return s;
      })(),
    },
    {
      name: 'the same count spread over two uids: each below its own limit',
      snapshot: withUserns(snapshot({ processes: [holder(10, 'a', 1000, 100), holder(11, 'b', 1001, 100)] })),
    },
  ],
  invalid: [
    {
      name: 'a uid at max_user_instances on the host: named with its holders, the sysctl fix, and not RLIMIT_NOFILE',
      snapshot: withUserns(snapshot({ processes: [holder(812, 'kubelet', 0, 70), holder(99, 'promtail', 0, 50), holder(7, 'tail', 0, 8), holder(8, 'other', 1000, 90)] })),
      findings: [
        {
          severity: 'critical',
          subject: { uid: 0, user: 'root', pid: 812, name: 'kubelet' },
          evidence: { uid: 0, userns: null, used: 128, limit: 128, usedPercent: 100, sysctl: 'fs.inotify.max_user_instances', holders: '812:70,99:50,7:8', suggested: 1024 },
          related: [],
          fixIncludes: ["-lname 'anon_inode:inotify'", 'sysctl -w fs.inotify.max_user_instances=1024', "echo 'fs.inotify.max_user_instances = 1024' > /etc/sysctl.d/90-inotify.conf", 'not ulimit -n, LimitNOFILE= or prlimit'],
          explainIncludes: ['uid 0 (root) holds 128 inotify instances, its limit', 'EMFILE', 'kubelet (pid 812) 70, promtail (pid 99) 50, tail (pid 7) 8', 'RLIMIT_NOFILE (ulimit -n, LimitNOFILE=, prlimit) is not the lever'],
        },
      ],
    },
    {
      name: 'one process holds most of them: the watcher leak is said, and the command that shows it',
      snapshot: withUserns(snapshot({ processes: [holder(500, 'node', 1000, 120), holder(501, 'code', 1000, 8)] })),
      findings: [
        {
          severity: 'critical',
          subject: { uid: 1000, pid: 500, name: 'node' },
          evidence: { used: 128, holders: '500:120,501:8' },
          fixIncludes: ["ls -l /proc/500/fd | grep -c 'anon_inode:inotify'"],
          explainIncludes: ['node (pid 500) alone holds 120', 'never closes them'],
        },
      ],
    },
    {
      name: 'a user namespace whose limit was lowered inside it: judged there, fixed there, and charged to its owner on the host',
      snapshot: (() => {
        const child: UserNamespace = { inode: 4026532587, own: false, owner: 54321, parent: HOST.inode, maxInotifyInstances: 8, maxInotifyWatches: 65536 };
        return withUserns(snapshot({ processes: [holder(7001, 'python3', 54321, 8, 0, child.inode)] }), child);
      })(),
      findings: [
        {
          severity: 'critical',
          subject: { uid: 54321, userns: 4026532587, pid: 7001, name: 'python3' },
          evidence: { uid: 54321, userns: 4026532587, used: 8, limit: 8, sysctl: 'user.max_inotify_instances' },
          fixIncludes: ['nsenter --user --target 7001 sysctl -w user.max_inotify_instances=1024'],
          explainIncludes: ['uid 54321 in user namespace 4026532587 (created by uid 54321) holds 8', 'lowered inside it'],
        },
      ],
    },
    {
      name: "a rootless container's watchers count against its owner on the host, with the owner's own ones",
      snapshot: (() => {
        const child: UserNamespace = { inode: 4026532999, own: false, owner: 1000, parent: HOST.inode, maxInotifyInstances: 2147483647, maxInotifyWatches: 2147483647 };
        // Inside, its processes run as uid 100000 on the host (a subordinate uid); the kernel charges the owner, uid 1000.
        return withUserns(snapshot({ processes: [holder(300, 'promtail', 100000, 100, 100, child.inode), holder(301, 'code', 1000, 28)] }), child);
      })(),
      findings: [
        {
          severity: 'critical',
          subject: { uid: 1000, pid: 300, name: 'promtail' },
          evidence: { uid: 1000, userns: null, used: 128, holders: '300:100,301:28' },
        },
      ],
    },
  ],
});

/**
 * inotify use per uid against fs.inotify.max_user_instances / max_user_watches, shared by the
 * four inotify rules. The kernel charges each instance (inotify_init1) and each watch
 * (inotify_add_watch) to the creator's euid in its user namespace, then to that namespace's owner
 * in each parent (kernel/ucount.c inc_ucount), each level against its own limit; over a limit
 * inotify_init1 fails with EMFILE ("too many open files": RLIMIT_NOFILE is not involved) and
 * inotify_add_watch with ENOSPC ("no space left on device"; Node: "System limit for number of file
 * watchers reached"). The limit is per user, not per process: every process and container of the
 * uid shares it, so one leaking watcher starves kubelet, `tail -f` and `kubectl logs -f` alike.
 */
import type { ProcessInfo, Snapshot, UserNamespace } from '../../snapshot/types.js';
import type { Finding, FindingSubject, RuleOptions } from '../types.js';
import { plural } from './text.js';
import { percent } from './levels.js';

/** What one uid holds in one user namespace, and the limit there. */
export interface InotifyLevel {
  userns: UserNamespace;
  uid: number;
  instances: number;
  /** null when some holder's watches could not be read. */
  watches: number | null;
  /** The processes holding them, most instances first (directly, or in a user namespace this uid owns). */
  holders: Array<{ pid: number; name: string; instances: number; watches: number | null; userns: number }>;
}

/** Every (user namespace, uid) charged with inotify instances, as the kernel charges them. */
export function inotifyLevels(snapshot: Snapshot): InotifyLevel[] {
  const namespaces = snapshot.userNamespaces ?? [];
  const own = namespaces.find((n) => n.own);
  if (!own) return [];
  const byInode = new Map(namespaces.map((n) => [n.inode, n]));
  const levels = new Map<string, InotifyLevel>();
  const charge = (ns: UserNamespace, uid: number, p: ProcessInfo, holderNs: number) => {
    const key = `${ns.inode}|${uid}`;
    let l = levels.get(key);
    if (!l) levels.set(key, (l = { userns: ns, uid, instances: 0, watches: 0, holders: [] }));
    const use = p.inotify as NonNullable<ProcessInfo['inotify']>;
    l.instances += use.instances;
    l.watches = l.watches === null || use.watches === null ? null : l.watches + use.watches;
    l.holders.push({ pid: p.pid, name: p.name, instances: use.instances, watches: use.watches, userns: holderNs });
  };
  for (const p of snapshot.processes) {
    if (!p.inotify) continue;
    let ns = (p.inotify.userns !== null ? byInode.get(p.inotify.userns) : undefined) ?? own;
    const holderNs = ns.inode;
    let uid = p.euid ?? p.uid;
    // Bounded: a user namespace chain is at most 32 deep (kernel/user_namespace.c).
    for (let depth = 0; depth < 33; depth++) {
      charge(ns, uid, p, holderNs);
      if (ns.own || ns.owner === null || ns.parent === null) break;
      const parent = byInode.get(ns.parent);
      if (!parent) break;
      uid = ns.owner;
      ns = parent;
    }
  }
  for (const l of levels.values()) l.holders.sort((a, b) => b.instances - a.instances || a.pid - b.pid);
  return [...levels.values()].sort((a, b) => Number(b.userns.own) - Number(a.userns.own) || a.userns.inode - b.userns.inode || a.uid - b.uid);
}

export type InotifyWhat = 'instances' | 'watches';
export type InotifyId = `inotify-${InotifyWhat}-exhausted` | `inotify-${InotifyWhat}-near`;

/** The id a level raises for `what`, or null. Exhausted at the limit: the next charge fails (atomic_long_inc_below). */
export function inotifyFindingId(l: InotifyLevel, what: InotifyWhat, options: RuleOptions): InotifyId | null {
  const used = what === 'instances' ? l.instances : l.watches;
  const max = what === 'instances' ? l.userns.maxInotifyInstances : l.userns.maxInotifyWatches;
  if (used === null || max === null || used === 0) return null;
  if (used >= max) return `inotify-${what}-exhausted`;
  if (used >= (options.inotifyWarning ?? 0.8) * max) return `inotify-${what}-near`;
  return null;
}

function userName(snapshot: Snapshot, uid: number): string | null {
  return snapshot.processes.find((p) => p.uid === uid && p.user !== null)?.user ?? null;
}

/** The sysctl that sets the limit: fs.inotify.* in sockdoc's (the initial) namespace, user.* inside another. */
function sysctlName(ns: UserNamespace, what: InotifyWhat): string {
  if (ns.own) return what === 'instances' ? 'fs.inotify.max_user_instances' : 'fs.inotify.max_user_watches';
  return what === 'instances' ? 'user.max_inotify_instances' : 'user.max_inotify_watches';
}

/**
 * A value to set: instances at least 1024 (four times the old 128 default is still a few MB of
 * kernel memory), watches at least 524288 (each costs about 1 KiB of unswappable memory, fs/notify/
 * inotify/inotify_user.c); and at least twice what is used now.
 */
export function suggestedLimit(what: InotifyWhat, used: number, max: number): number {
  const floor = what === 'instances' ? 1024 : 524288;
  return Math.min(2147483647, Math.max(floor, max * 2, used * 2));
}

/** The four inotify findings of one id. */
export function inotifyFindings(id: InotifyId, snapshot: Snapshot, options: RuleOptions): Finding[] {
  const what: InotifyWhat = id.startsWith('inotify-instances') ? 'instances' : 'watches';
  return inotifyLevels(snapshot)
    .filter((l) => inotifyFindingId(l, what, options) === id)
    .map((l) => inotifyFinding(id, what, l, snapshot));
}

function inotifyFinding(id: InotifyId, what: InotifyWhat, l: InotifyLevel, snapshot: Snapshot): Finding {
  const exhausted = id.endsWith('exhausted');
  const used = (what === 'instances' ? l.instances : l.watches) as number;
  const max = (what === 'instances' ? l.userns.maxInotifyInstances : l.userns.maxInotifyWatches) as number;
  const user = userName(snapshot, l.uid);
  const who = `uid ${l.uid}${user ? ` (${user})` : ''}${l.userns.own ? '' : ` in user namespace ${l.userns.inode}${l.userns.owner !== null ? ` (created by uid ${l.userns.owner})` : ''}`}`;
  const sysctl = sysctlName(l.userns, what);
  const unit = what === 'instances' ? 'inotify instances' : 'inotify watches';
  const top = l.holders.slice(0, 5);
  const holdersText = top.map((h) => `${h.name} (pid ${h.pid}) ${what === 'instances' ? h.instances : (h.watches ?? '?')}`).join(', ') + (l.holders.length > 5 ? `, and ${plural(l.holders.length - 5, 'more process', 'more processes')}` : '');
  const failing =
    what === 'instances'
      ? 'inotify_init1() fails with EMFILE: programs log "too many open files" (Go: "failed to create fsnotify watcher: too many open files", Java: "User limit of inotify instances reached or too many open files", tail: "inotify cannot be used, reverting to polling", systemd: "Failed to allocate directory watch: Too many open files") although their own fd limit is nowhere near'
      : 'inotify_add_watch() fails with ENOSPC: programs log "no space left on device" (Node: "ENOSPC: System limit for number of file watchers reached", Java: "User limit of inotify watches reached", tail: "inotify resources exhausted") although the disk has space';
  const parts = [
    `${who} holds ${used} ${unit}${exhausted ? ', its limit' : ''}: ${sysctl} = ${max} (${percent(used, max)}%).`,
    exhausted ? `The next one ${what === 'instances' ? 'a process of this uid creates' : 'any process of this uid adds'}: ${failing}.` : `At ${max} ${failing}.`,
    `The limit is per user, not per process: every process and container of this uid shares it. Holders: ${holdersText}.`,
    'RLIMIT_NOFILE (ulimit -n, LimitNOFILE=, prlimit) is not the lever: it limits fds per process; this counts inotify objects per user.',
  ];
  if (!l.userns.own) {
    parts.push(
      l.userns.maxInotifyInstances !== null && l.userns.maxInotifyInstances < 2147483647
        ? `This user namespace's own limit was lowered inside it (a new one starts unlimited, bound by its parents').`
        : 'Use here also counts against the owner of this user namespace in its parent.',
    );
  }
  const leaker = l.holders[0];
  if (leaker && what === 'instances' && leaker.instances >= Math.max(16, 0.5 * used)) {
    parts.push(`${leaker.name} (pid ${leaker.pid}) alone holds ${leaker.instances}: a program needs one or a few; that many means it creates watchers and never closes them.`);
  }
  const value = suggestedLimit(what, used, max);
  const fix = [
    `for p in /proc/[0-9]*; do n=$(find "$p/fd" -lname 'anon_inode:inotify' 2>/dev/null | wc -l); [ "$n" -gt 0 ] && echo "$n $(stat -c %u "$p") ${'$'}{p#/proc/} $(cat "$p/comm")"; done | sort -rn | head   # instances, uid, pid, program: who holds them`,
  ];
  if (what === 'watches' && leaker) fix.push(`grep -c '^inotify' /proc/${leaker.pid}/fdinfo/* 2>/dev/null | sort -t: -k2 -rn | head   # watches per instance of ${leaker.name} (pid ${leaker.pid})`);
  if (l.userns.own) {
    fix.push(
      `sysctl -w ${sysctl}=${value}   # now; host-wide, for every uid${what === 'watches' ? ' (about 1 KiB of kernel memory per watch, used only as watches are added)' : ''}`,
      `echo '${sysctl} = ${value}' > /etc/sysctl.d/90-inotify.conf   # keeps it after reboot`,
    );
  } else {
    const pid = l.holders.find((h) => h.userns === l.userns.inode)?.pid ?? leaker?.pid;
    fix.push(`nsenter --user --target ${pid} sysctl -w ${sysctl}=${value}   # inside the user namespace, where its limit was set: whoever creates it (a container runtime, unshare) should not lower it`);
  }
  fix.push(`# not ulimit -n, LimitNOFILE= or prlimit: RLIMIT_NOFILE does not count inotify instances per user`);
  if (leaker && leaker.instances >= Math.max(16, 0.5 * used) && what === 'instances') {
    fix.push(`ls -l /proc/${leaker.pid}/fd | grep -c 'anon_inode:inotify'   # ${leaker.name} (pid ${leaker.pid}); again in a minute: a count that only grows is a watcher leak, which any limit only delays`);
  }
  const subject: FindingSubject = { uid: l.uid };
  if (user) subject.user = user;
  if (!l.userns.own) subject.userns = l.userns.inode;
  if (leaker) {
    subject.pid = leaker.pid;
    subject.name = leaker.name;
  }
  return {
    id,
    severity: exhausted ? 'critical' : 'warning',
    subject,
    title: `${who} ${exhausted ? 'is out of' : 'is near its limit of'} ${unit}: ${used} of ${max} (${sysctl})`,
    evidence: {
      uid: l.uid,
      user,
      userns: l.userns.own ? null : l.userns.inode,
      used,
      limit: max,
      usedPercent: percent(used, max),
      sysctl,
      instances: l.instances,
      watches: l.watches,
      holders: l.holders.map((h) => `${h.pid}:${what === 'instances' ? h.instances : (h.watches ?? '?')}`).join(','),
      suggested: value,
    },
    explain: parts.join(' '),
    fix,
    related: undefined,
  };
}

/**
 * The kernel conditions behind the messages `sockdoc why` knows, and how each is checked on a
 * snapshot: mostly through the findings the rules already raise (the same thresholds as a
 * diagnosis), plus direct reads where no finding exists (nothing listening on the port a message
 * names, no unix listener at its path, the host's file table, who is closest to a limit).
 */
import type { Finding } from '../rules/types.js';
import type { Snapshot } from '../snapshot/types.js';
import { checkPort } from '../port/check.js';
import { inotifyLevels } from '../rules/support/inotify.js';
import type { ConditionId, Hints } from './types.js';

export interface Condition {
  id: ConditionId;
  /** The condition, in the words of the kernel: what must be true for the error to happen. */
  title: string;
  /** Findings that say it holds (critical ones: it holds; warnings: near). */
  findings: string[];
}

export const CONDITIONS: Readonly<Record<ConditionId, Condition>> = {
  emfile: { id: 'emfile', title: 'a process at its soft RLIMIT_NOFILE (EMFILE: per process)', findings: ['fd-limit-exhausted', 'fd-limit-near', 'fd-exhaustion-forecast'] },
  'inotify-instances': {
    id: 'inotify-instances',
    title: 'a uid at fs.inotify.max_user_instances (EMFILE from inotify_init1: per user and user namespace)',
    findings: ['inotify-instances-exhausted', 'inotify-instances-near'],
  },
  'inotify-watches': {
    id: 'inotify-watches',
    title: 'a uid at fs.inotify.max_user_watches (ENOSPC from inotify_add_watch: per user and user namespace)',
    findings: ['inotify-watches-exhausted', 'inotify-watches-near'],
  },
  enfile: { id: 'enfile', title: 'the host at fs.file-max (ENFILE: system-wide)', findings: ['system-file-table-near'] },
  'unix-queue-full': {
    id: 'unix-queue-full',
    title: "a unix-domain listener's accept queue full (EAGAIN to a non-blocking connect)",
    findings: ['accept-queue-full', 'accept-queue-filling'],
  },
  'tcp-queue-full': {
    id: 'tcp-queue-full',
    title: 'a TCP accept or SYN queue full: handshakes dropped, clients time out',
    findings: ['accept-queue-full', 'accept-queue-filling', 'listen-overflows', 'syn-queue-pressure'],
  },
  'abort-on-overflow': {
    id: 'abort-on-overflow',
    title: 'a full TCP accept queue with net.ipv4.tcp_abort_on_overflow = 1: connections reset',
    findings: ['accept-queue-full'],
  },
  'nothing-listening': { id: 'nothing-listening', title: 'nothing listening where the client connects (ECONNREFUSED: a RST to the SYN, or no unix listener)', findings: [] },
  eaddrnotavail: {
    id: 'eaddrnotavail',
    title: 'the local ports to one destination used up (EADDRNOTAVAIL: ip_local_port_range, TIME_WAIT)',
    findings: ['ephemeral-ports-exhausted', 'ephemeral-ports-near'],
  },
  'program-cap': {
    id: 'program-cap',
    title: "a server at its own connection cap (worker_connections, maxconn, pm.max_children, maxclients, ...)",
    findings: ['program-cap-reached', 'program-cap-near'],
  },
  'tcp-memory': { id: 'tcp-memory', title: 'TCP out of memory or orphans (tcp_mem, tcp_max_orphans): the kernel resets connections', findings: ['tcp-memory-pressure', 'tcp-orphans'] },
  'conntrack-full': { id: 'conntrack-full', title: 'the conntrack table full (nf_conntrack_max): new flows dropped', findings: ['conntrack-table-full', 'conntrack-table-near'] },
  'softnet-drops': { id: 'softnet-drops', title: 'packets dropped before TCP (netdev_max_backlog)', findings: ['netdev-backlog-drops'] },
};

/** How a condition stands on the host: holds (a critical finding, or a direct check), near (a warning), no, or unknown. */
export interface ConditionResult {
  id: ConditionId;
  title: string;
  state: 'holds' | 'near' | 'no' | 'unknown';
  /** For whom: one line each (a finding's title, or what a direct check found). */
  detail: string[];
  /** Refs of the findings that say so. */
  refs: string[];
  /** The pid most concerned, for the next command. */
  pid?: number;
}

/**
 * Whose causes are checked: the processes of the program that logged the message (its emitter, or
 * the pid the line names), their uids; `none` when that program does not run here (said as "not
 * checked", never answered with another program's trouble).
 */
export interface CheckScope {
  pids: ReadonlySet<number>;
  uids: ReadonlySet<number>;
  /** "nginx (pids 812, 813)". */
  label: string;
  /** Why nothing is in scope (the program does not run here); null when something is. */
  none: string | null;
}

/** How a message narrows its checks: the emitter's scope, whether it is about a peer, an accept() line. */
export interface CheckContext {
  scope: CheckScope | null;
  peer: boolean;
  /** The line is about accepting on the port it names (that port's holders are the emitter). */
  accept: boolean;
}

const NO_CONTEXT: CheckContext = { scope: null, peer: false, accept: false };

/** Pids holding a listener on `port` (any namespace read) or at unix path `path`. */
function holders(snapshot: Snapshot, hints: Hints, by: 'port' | 'path'): Set<number> {
  const out = new Set<number>();
  for (const l of snapshot.listeners) {
    const hit = by === 'port' ? l.family !== 'unix' && l.port === hints.port : l.family === 'unix' && l.address === hints.path;
    if (hit) for (const p of l.pids) out.add(p);
  }
  return out;
}

/** Whether a finding concerns one of `pids`: its process, or a listener one of them holds; host-wide ones do. */
function concerns(f: Finding, snapshot: Snapshot, pids: ReadonlySet<number>, uids: ReadonlySet<number> | null): boolean {
  const s = f.subject;
  if (s.pid !== undefined) return pids.has(s.pid);
  if (s.uid !== undefined) return uids === null || uids.has(s.uid);
  if (s.port !== undefined || s.path !== undefined) {
    const inode = s.netns?.inode;
    return snapshot.listeners.some((l) => (s.path !== undefined ? l.address === s.path : l.port === s.port && (s.address === undefined || l.address === s.address)) && (inode === undefined || l.netns === inode) && l.pids.some((p) => pids.has(p)));
  }
  return true;
}

/** Whether a finding is about what the message names (its port or unix path), when it names one. */
function about(f: Finding, hints: Hints, id: ConditionId): boolean {
  const s = f.subject;
  if (id === 'unix-queue-full') return s.path !== undefined && (hints.path === undefined || s.path === hints.path);
  if (id === 'tcp-queue-full' || id === 'abort-on-overflow') {
    if (s.path !== undefined) return false;
    return hints.port === undefined || s.port === undefined || s.port === hints.port;
  }
  return true;
}

/** Closest to a limit when nothing holds: what a person wants to know next (among `pids` when narrowed). */
function closest(id: ConditionId, snapshot: Snapshot, hints: Hints, pids: ReadonlySet<number> | null = null): string | null {
  if (id === 'unix-queue-full') {
    const unix = snapshot.listeners.filter((l) => l.family === 'unix');
    if (hints.path !== undefined) {
      const l = unix.find((x) => x.address === hints.path);
      return l
        ? `${hints.path}: ${l.acceptQueue} of ${l.backlog ?? '?'} queued now`
        : `no unix listener at ${hints.path} in any namespace read (on another host or in a mount namespace sockdoc does not name? its queue may also have drained)`;
    }
    const top = unix.filter((l) => l.backlog).sort((a, b) => b.acceptQueue / (b.backlog as number) - a.acceptQueue / (a.backlog as number))[0];
    return top ? `fullest: ${top.address} ${top.acceptQueue} of ${top.backlog}` : 'no unix-domain listener seen';
  }
  if (id === 'emfile') {
    const top = snapshot.processes
      .filter((p) => p.fds.open !== null && p.fds.soft && (pids === null || pids.has(p.pid)))
      .sort((a, b) => (b.fds.open as number) / (b.fds.soft as number) - (a.fds.open as number) / (a.fds.soft as number))[0];
    return top ? `closest: ${top.name} (pid ${top.pid}) ${top.fds.open} of ${top.fds.soft}` : null;
  }
  if (id === 'inotify-instances' || id === 'inotify-watches') {
    const key = id === 'inotify-instances' ? 'instances' : 'watches';
    const levels = inotifyLevels(snapshot).filter((l) => (key === 'instances' ? l.userns.maxInotifyInstances : l.userns.maxInotifyWatches) !== null);
    const ratio = (l: (typeof levels)[number]) => ((key === 'instances' ? l.instances : (l.watches ?? 0)) / ((key === 'instances' ? l.userns.maxInotifyInstances : l.userns.maxInotifyWatches) as number));
    const top = levels.sort((a, b) => ratio(b) - ratio(a))[0];
    const own = snapshot.userNamespaces?.find((n) => n.own);
    if (!top) return own ? `no process holds an inotify instance (limit ${key === 'instances' ? own.maxInotifyInstances : own.maxInotifyWatches})` : null;
    return `closest: uid ${top.uid} ${key === 'instances' ? top.instances : top.watches} of ${key === 'instances' ? top.userns.maxInotifyInstances : top.userns.maxInotifyWatches}`;
  }
  if (id === 'enfile') {
    const nr = snapshot.tunables['fs.file-nr'];
    const max = snapshot.tunables['fs.file-max'] ?? nr?.[2] ?? null;
    return nr && max ? `${nr[0]} files open host-wide, fs.file-max ${max}` : null;
  }
  return null;
}

/** Conditions about one process or its listeners: the emitter's own, unless the message is about a peer. */
const PER_PROCESS: ReadonlySet<ConditionId> = new Set(['emfile', 'program-cap', 'tcp-queue-full', 'abort-on-overflow', 'unix-queue-full']);
const PER_UID: ReadonlySet<ConditionId> = new Set(['inotify-instances', 'inotify-watches']);

/**
 * The processes whose findings answer condition `id` for this message, or null for any: a port or
 * path in the line narrows a cap to that listener's holders (a refused connection to :7110 is not
 * nginx's cap on :80); otherwise the emitter's own processes, for the conditions about them.
 */
function narrowed(id: ConditionId, snapshot: Snapshot, hints: Hints, ctx: CheckContext): { pids: ReadonlySet<number> | null; why: string | null } {
  if (id === 'program-cap' && hints.port !== undefined) return { pids: holders(snapshot, hints, 'port'), why: `nothing holds port ${hints.port} in the namespaces read: no program's cap applies to it` };
  if (id === 'program-cap' && hints.path !== undefined) return { pids: holders(snapshot, hints, 'path'), why: `nothing listens at ${hints.path}: no program's cap applies to it` };
  if (id === 'emfile' && ctx.accept && hints.port !== undefined) {
    const h = holders(snapshot, hints, 'port');
    if (h.size) return { pids: ctx.scope && !ctx.scope.none ? new Set([...h].filter((p) => ctx.scope!.pids.has(p))) : h, why: `no process of ${ctx.scope?.label ?? 'the program'} holds port ${hints.port}` };
  }
  if (!ctx.scope || ctx.peer || !PER_PROCESS.has(id)) return { pids: null, why: null };
  if ((id === 'tcp-queue-full' || id === 'abort-on-overflow') && hints.port !== undefined) return { pids: null, why: null };
  if (id === 'unix-queue-full' && hints.path !== undefined) return { pids: null, why: null };
  return { pids: ctx.scope.pids, why: ctx.scope.none };
}

/** Checks one condition against the diagnosis of a host, narrowed to the message's program when it has one. */
export function checkCondition(id: ConditionId, snapshot: Snapshot, findings: readonly Finding[], hints: Hints, ctx: CheckContext = NO_CONTEXT): ConditionResult {
  const c = CONDITIONS[id];
  const base = { id, title: c.title };
  if (id === 'nothing-listening') return nothingListening(base, snapshot, hints);
  const { pids, why } = narrowed(id, snapshot, hints, ctx);
  // The emitter does not run here: its own causes are not checked (never another program's answer).
  if (pids !== null && pids.size === 0 && ctx.scope?.none && why === ctx.scope.none) return { ...base, state: 'unknown', detail: [ctx.scope.none], refs: [] };
  if (pids !== null && pids.size === 0) return { ...base, state: 'no', detail: why ? [why] : [], refs: [] };
  // Per uid (inotify): the emitter's uids; when it does not run (tail is gone), every uid, said.
  const uids = PER_UID.has(id) && ctx.scope && !ctx.scope.none ? ctx.scope.uids : null;
  let hits = findings.filter((f) => c.findings.includes(f.id) && about(f, hints, id) && (pids === null || concerns(f, snapshot, pids, null)) && (uids === null || f.subject.uid === undefined || uids.has(f.subject.uid)));
  if (id === 'abort-on-overflow') {
    hits = hits.filter((f) => {
      const ns = snapshot.namespaces.find((n) => n.inode === (f.subject.netns?.inode ?? snapshot.namespaces[0]?.inode));
      return (ns?.tunables['net.ipv4.tcp_abort_on_overflow'] ?? 0) !== 0;
    });
  }
  const crit = hits.filter((f) => f.severity === 'critical');
  const warn = hits.filter((f) => f.severity === 'warning');
  const shown = crit.length ? crit : warn;
  if (shown.length) {
    const pid = shown.find((f) => f.subject.pid !== undefined)?.subject.pid;
    return { ...base, state: crit.length ? 'holds' : 'near', detail: shown.slice(0, 5).map((f) => f.title), refs: shown.map((f) => `${f.id}`), ...(pid !== undefined ? { pid } : {}) };
  }
  const near = closest(id, snapshot, hints, pids);
  const onlyFor = pids !== null && ctx.scope && pids === ctx.scope.pids ? [`checked for ${ctx.scope.label} only`] : uids !== null && ctx.scope ? [`checked for the uids of ${ctx.scope.label} only`] : [];
  return { ...base, state: 'no', detail: [...(near ? [near] : []), ...onlyFor], refs: [] };
}

function nothingListening(base: { id: ConditionId; title: string }, snapshot: Snapshot, hints: Hints): ConditionResult {
  if (hints.path !== undefined) {
    const l = snapshot.listeners.find((x) => x.family === 'unix' && x.address === hints.path);
    const any = (snapshot.unixSockets ?? []).some((u) => u.name === hints.path);
    if (l) return { ...base, state: 'no', detail: [`${hints.path} listens (${l.acceptQueue} of ${l.backlog ?? '?'} queued)`], refs: [] };
    return { ...base, state: 'holds', detail: [`no unix listener at ${hints.path} in any namespace read${any ? ' (a socket of that name exists but does not listen)' : ''}: connect() gets ECONNREFUSED (a socket file left behind) or ENOENT`], refs: [] };
  }
  if (hints.port === undefined) return { ...base, state: 'unknown', detail: ['the message names no port here: `sockdoc port P` checks one'], refs: [] };
  const check = checkPort(snapshot, hints.port);
  if (check.verdict === 'listening') return { ...base, state: 'no', detail: [check.headline], refs: [] };
  return { ...base, state: check.severity === 'critical' ? 'holds' : 'near', detail: [check.headline], refs: [] };
}

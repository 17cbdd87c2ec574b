/**
 * How findings name their subjects and point at each other. `related` entries are
 * "<id>@<pid>" for process findings, "<id>@<address:port>" for listener findings ("<id>@unix:<path>"
 * for a unix-domain listener) and
 * bare "<id>" for host/namespace findings (listen-overflows, system-file-table-near,
 * the counter form of syn-queue-pressure), so a renderer can resolve them.
 * A listener or namespace finding outside the host namespace appends "@netns:<inode>": thirty pods
 * may all listen on 0.0.0.0:8080, and (namespace, address, port) is what identifies a listener.
 */
import { namespaceOf } from '../../snapshot/namespaces.js';
import { netnsLabel } from '../../snapshot/netns-names.js';
import type { Listener, NetnsInode, NetnsRef, ProcessInfo, Snapshot } from '../../snapshot/types.js';
import type { Finding, FindingSubject } from '../types.js';

/**
 * The identity of namespace `inode` as findings carry it; undefined when unknown. Subjects carry it
 * only outside the host namespace: an absent subject.netns means the host.
 */
export function netnsRefOf(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null): NetnsRef | undefined {
  const ns = namespaceOf(snapshot, inode);
  if (!ns) return undefined;
  const ref: NetnsRef = { inode: ns.inode, kind: ns.kind, name: ns.name };
  if (ns.container) ref.container = { ...ns.container };
  if (ns.pod) ref.pod = { ...ns.pod, containers: [...ns.pod.containers] };
  return ref;
}

/** "@netns:<inode>" for a namespace other than the host, else "". */
function netnsSuffix(ref: NetnsRef | undefined): string {
  return ref && ref.kind !== 'host' ? `@netns:${ref.inode}` : '';
}

/** " in docker container web (4dacd5c37193)" for a namespace other than the host, else "": for titles. */
export function inNetns(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null): string {
  const ref = netnsRefOf(snapshot, inode);
  return ref && ref.kind !== 'host' ? ` in ${netnsLabel(ref)}` : '';
}

/**
 * "python3 (pid 30705)", and " in docker container web (7d67eaab97b9)" / " in pod shop/web-… (container
 * web)" outside the host namespace: how a title names a process (two containers may both run
 * python3.11 on 8080; the name tells which).
 */
export function processTitle(snapshot: Pick<Snapshot, 'namespaces'>, p: Pick<ProcessInfo, 'pid' | 'name' | 'netns'>): string {
  return `${p.name} (pid ${p.pid})${p.netns === null ? '' : inNetns(snapshot, p.netns)}`;
}

/**
 * "127.0.0.1:80", "[::]:8889": brackets keep the port readable after an IPv6 address (RFC 3986);
 * a unix-domain listener is its path or @name.
 */
export function listenerLabel(l: Pick<Listener, 'address' | 'port'> & { family?: Listener['family'] }): string {
  if (l.family === 'unix') return l.address;
  return l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

/**
 * The process with this pid, if the snapshot saw it. The snapshot lists processes by pid ascending
 * (probe/processes.ts): a binary search, so naming every holder of a socket 15,000 forked workers
 * share is not 15,000 scans of 15,000 processes; a list out of order (a hand-made snapshot) is
 * still searched whole when the search misses.
 */
export function processByPid(snapshot: Pick<Snapshot, 'processes'>, pid: number): ProcessInfo | undefined {
  const ps = snapshot.processes;
  let lo = 0;
  let hi = ps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = ps[mid].pid;
    if (at === pid) return ps[mid];
    if (at < pid) lo = mid + 1;
    else hi = mid - 1;
  }
  return ps.find((p) => p.pid === pid);
}

/**
 * The first `n` of `items` and a sentence for the rest ("" when none): a finding about a socket
 * thousands of forked processes hold says what it says of each for a few, and counts the others.
 */
export function firstFew<T>(items: readonly T[], n: number, rest: (count: number) => string): { shown: T[]; more: string } {
  return { shown: items.slice(0, n), more: items.length > n ? rest(items.length - n) : '' };
}

/** "nginx, php-fpm": the distinct names of these processes, in order, at most `n` (then "and N more"). */
export function distinctNames(processes: readonly Pick<ProcessInfo, 'name'>[], n = 3): string {
  const names = [...new Set(processes.map((p) => p.name))];
  return names.length > n ? `${names.slice(0, n).join(', ')} and ${names.length - n} more` : names.join(', ');
}

/** Processes that hold the listening socket (vanished pids are left out). */
export function ownersOf(snapshot: Snapshot, l: Listener): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const pid of l.pids) {
    const p = processByPid(snapshot, pid);
    if (p) out.push(p);
  }
  return out;
}

/** Listeners this process holds. */
export function listenersOf(snapshot: Snapshot, pid: number): Listener[] {
  return snapshot.listeners.filter((l) => l.pids.includes(pid));
}

export function processSubject(p: ProcessInfo, snapshot?: Pick<Snapshot, 'namespaces'>): FindingSubject {
  const subject: FindingSubject = { pid: p.pid, name: p.name };
  const netns = snapshot && p.netns !== null ? netnsRefOf(snapshot, p.netns) : undefined;
  if (netns && netns.kind !== 'host') subject.netns = netns;
  return subject;
}

/** A finding about a whole namespace (its counters): the namespace, nothing else. */
export function netnsSubject(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null): FindingSubject {
  const netns = netnsRefOf(snapshot, inode);
  return netns && netns.kind !== 'host' ? { netns } : {};
}

/** The reference of a namespace finding: "<id>" for the host, "<id>@netns:<inode>" otherwise. */
export function netnsRef(id: string, snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null): string {
  return `${id}${netnsSuffix(netnsRefOf(snapshot, inode))}`;
}

/** address + port (a unix listener: its path), plus pid/name of the first owner when there is one. */
export function listenerSubject(snapshot: Snapshot, l: Listener): FindingSubject {
  const subject: FindingSubject = l.family === 'unix' ? { path: l.address } : { address: l.address, port: l.port };
  const netns = netnsRefOf(snapshot, l.netns);
  if (netns && netns.kind !== 'host') subject.netns = netns;
  const pid = l.pids[0];
  if (pid !== undefined) {
    subject.pid = pid;
    const p = processByPid(snapshot, pid);
    if (p) subject.name = p.name;
  }
  return subject;
}

export function processRef(id: string, pid: number): string {
  return `${id}@${pid}`;
}

/** "unix:" + path: a unix listener's reference, apart from any TCP one. */
function listenerRefLabel(l: Pick<Listener, 'address' | 'port'> & { family?: Listener['family'] }): string {
  return l.family === 'unix' ? `unix:${l.address}` : listenerLabel(l);
}

export function listenerRef(id: string, l: Pick<Listener, 'address' | 'port' | 'netns' | 'family'>, snapshot: Pick<Snapshot, 'namespaces'>): string {
  return `${id}@${listenerRefLabel(l)}${netnsSuffix(netnsRefOf(snapshot, l.netns))}`;
}

/** The reference other findings use for this one (see the module comment). */
export function findingRef(f: Finding): string {
  const { address, port, pid, netns, path, uid, userns } = f.subject;
  if (path !== undefined) return `${f.id}@unix:${path}${netnsSuffix(netns)}`;
  if (uid !== undefined) return `${f.id}@uid:${uid}${userns !== undefined ? `@userns:${userns}` : ''}`;
  if (address !== undefined && port !== undefined) return `${f.id}@${listenerLabel({ address, port })}${netnsSuffix(netns)}`;
  if (pid !== undefined) return processRef(f.id, pid);
  return `${f.id}${netnsSuffix(netns)}`;
}

/** "server (pid 37482)", or "pid 37482" when the process was not seen. */
export function describePid(snapshot: Snapshot, pid: number): string {
  const p = processByPid(snapshot, pid);
  return p ? `${p.name} (pid ${pid})` : `pid ${pid}`;
}

/** "a (pid 1), b (pid 2)", or a sentence saying no holder was seen. */
export function describeOwners(snapshot: Snapshot, l: Listener): string {
  if (l.pids.length === 0) {
    // Not root on the live host: the owner is another user's process, whose fds sockdoc cannot read.
    return snapshot.host.root === '/' && !snapshot.host.asRoot ? 'a process sockdoc cannot see (owner not visible: run as root)' : 'an unknown process';
  }
  const named = l.pids.slice(0, OWNERS_NAMED).map((pid) => describePid(snapshot, pid));
  const rest = l.pids.length - named.length;
  if (rest > 0) named.push(`${rest} more ${rest === 1 ? 'process' : 'processes'}${restByName(snapshot, l.pids.slice(OWNERS_NAMED))}`);
  return named.join(', ');
}

/**
 * How many holders describeOwners names one by one: a listener that thousands of forked workers
 * inherited is named by its first holders and a count, so a finding's text (and the JSON) stays
 * bounded whatever a program forks.
 */
export const OWNERS_NAMED = 6;

/** " (sleep ×14,994)", " (php-fpm ×40, nginx ×2, …)": the names of the holders not named one by one, most first. */
function restByName(snapshot: Snapshot, pids: readonly number[]): string {
  const byName = new Map<string, number>();
  for (const pid of pids) {
    const name = processByPid(snapshot, pid)?.name ?? 'unseen';
    byName.set(name, (byName.get(name) ?? 0) + 1);
  }
  const top = [...byName].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = top.slice(0, 3).map(([name, n]) => `${name} ×${n.toLocaleString('en-US')}`);
  return ` (${shown.join(', ')}${top.length > 3 ? ', …' : ''})`;
}

/** Drops duplicates, keeps order; undefined when empty so `related` stays absent. */
export function uniqueRefs(refs: string[]): string[] | undefined {
  const out = [...new Set(refs)];
  return out.length ? out : undefined;
}

/**
 * How findings name their subjects and point at each other. `related` entries are
 * "<id>@<pid>" for process findings, "<id>@<address:port>" for listener findings and
 * bare "<id>" for host/namespace findings (listen-overflows, system-file-table-near,
 * the counter form of syn-queue-pressure), so a renderer can resolve them.
 */
import type { Listener, ProcessInfo, Snapshot } from '../../snapshot/types.js';
import type { Finding, FindingSubject } from '../types.js';

/** "127.0.0.1:80", "[::]:8889": brackets keep the port readable after an IPv6 address (RFC 3986). */
export function listenerLabel(l: Pick<Listener, 'address' | 'port'>): string {
  return l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

/** The process with this pid, if the snapshot saw it. */
export function processByPid(snapshot: Snapshot, pid: number): ProcessInfo | undefined {
  return snapshot.processes.find((p) => p.pid === pid);
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

export function processSubject(p: ProcessInfo): FindingSubject {
  return { pid: p.pid, name: p.name };
}

/** address + port, plus pid/name of the first owner when there is one. */
export function listenerSubject(snapshot: Snapshot, l: Listener): FindingSubject {
  const subject: FindingSubject = { address: l.address, port: l.port };
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

export function listenerRef(id: string, l: Pick<Listener, 'address' | 'port'>): string {
  return `${id}@${listenerLabel(l)}`;
}

/** The reference other findings use for this one (see the module comment). */
export function findingRef(f: Finding): string {
  const { address, port, pid } = f.subject;
  if (address !== undefined && port !== undefined) return listenerRef(f.id, { address, port });
  if (pid !== undefined) return processRef(f.id, pid);
  return f.id;
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
  return l.pids.map((pid) => describePid(snapshot, pid)).join(', ');
}

/** Drops duplicates, keeps order; undefined when empty so `related` stays absent. */
export function uniqueRefs(refs: string[]): string[] | undefined {
  const out = [...new Set(refs)];
  return out.length ? out : undefined;
}

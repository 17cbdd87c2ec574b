/**
 * What a filtered report (`--pid N`, `--port P`) shows besides its findings: the listeners and
 * processes the filter is about. Findings are filtered upstream (cli/diagnose.ts), since the exit
 * code depends on them; these tables only follow.
 */
import type { Listener, ProcessInfo, Snapshot } from '../snapshot/types.js';
import type { Finding } from '../rules/types.js';
import type { DiagnosisFilter } from './report.js';

/**
 * The findings a filtered report keeps. A filter must not hide the cause: `--port 8889` keeps
 * what is wrong with the processes listening on 8889 (out of fds is why its queue is full), and
 * `--pid N` keeps what is wrong with N's listeners (a full queue is N's problem). Host-wide
 * findings (no pid, no port) that fail now stay: they can be the cause of anything; but with --pid, a
 * finding about another namespace's counters does not (a container's drops are not N's), an info
 * one (history since boot, nothing failing now) does not, and a per-user one (inotify) stays only
 * for the users of the filtered processes.
 *
 * A finding is about the filter when its port is a filtered port (or a port the filtered pid
 * listens on), or when it names no port and its pid is the filtered pid (or an owner of a
 * filtered port's listener). With both --pid and --port, both must hold.
 */
export function filterFindings(findings: Finding[], snapshot: Snapshot, filter: DiagnosisFilter): Finding[] {
  if (filter.pid === undefined && filter.port === undefined) return findings;
  const listeners = filterListeners(snapshot, filter);
  // With --port alone the port counts even when nobody listens there (unowned CLOSE_WAIT on it).
  const ports = new Set(filter.pid === undefined ? [filter.port!] : listeners.map((l) => l.port));
  const pids = new Set(filter.port === undefined ? [filter.pid!] : listeners.flatMap((l) => l.pids));
  // --pid: a finding about a whole namespace (its counters) is kept only for the process's own
  // namespace; one about another container cannot be this process's cause.
  const pidNetns = filter.pid === undefined ? undefined : snapshot.processes.find((p) => p.pid === filter.pid)?.netns;
  // Per-user findings (inotify: per uid) belong to the filtered processes' users only.
  const uids = new Set(snapshot.processes.filter((p) => pids.has(p.pid)).map((p) => p.uid));
  return findings.filter((f) => {
    const s = f.subject;
    // A unix listener nobody holds (owner not visible) is about no pid and no port: not host-wide.
    if (s.path !== undefined && s.pid === undefined) return false;
    if (s.pid === undefined && s.port === undefined && s.uid !== undefined) return uids.has(s.uid);
    // Host-wide history (an info finding: counted since boot, nothing failing now) is not the
    // filtered process's or port's cause: only what fails now host-wide is kept.
    if (s.pid === undefined && s.port === undefined && f.severity === 'info') return false;
    if (s.pid === undefined && s.port === undefined) return s.netns === undefined || pidNetns === undefined || pidNetns === null || s.netns.inode === pidNetns;
    // --pid alone: the process's own findings (whatever port they name) and its listeners' ports.
    if (filter.port === undefined) return s.pid === filter.pid || (s.port !== undefined && ports.has(s.port));
    if (s.port !== undefined) return ports.has(s.port);
    return s.pid !== undefined && pids.has(s.pid);
  });
}

/** Listeners on the port, and/or held by the pid (both when both are given). */
export function filterListeners(snapshot: Snapshot, filter: DiagnosisFilter): Listener[] {
  return snapshot.listeners.filter(
    (l) => (filter.port === undefined || l.port === filter.port) && (filter.pid === undefined || l.pids.includes(filter.pid)),
  );
}

/**
 * The pid itself, and/or the processes holding a listener on the port. A process is about a port
 * when it listens there: that is whose accept() the queue waits on.
 */
export function filterProcesses(snapshot: Snapshot, filter: DiagnosisFilter): ProcessInfo[] {
  if (filter.pid === undefined && filter.port === undefined) return snapshot.processes;
  const onPort = new Set<number>();
  if (filter.port !== undefined) {
    for (const l of snapshot.listeners) if (l.port === filter.port) for (const pid of l.pids) onPort.add(pid);
  }
  return snapshot.processes.filter(
    (p) => (filter.pid === undefined || p.pid === filter.pid) && (filter.port === undefined || onPort.has(p.pid)),
  );
}

/** "pid 37482, port 8889", or null when unfiltered. */
export function describeFilter(filter: DiagnosisFilter): string | null {
  const parts: string[] = [];
  if (filter.pid !== undefined) parts.push(`pid ${filter.pid}`);
  if (filter.port !== undefined) parts.push(`port ${filter.port}`);
  return parts.length ? parts.join(', ') : null;
}

/**
 * What a filtered report (`--pid N`, `--port P`) shows besides its findings: the listeners and
 * processes the filter is about. Findings are filtered upstream (cli/diagnose.ts), since the exit
 * code depends on them; these tables only follow.
 */
import type { Listener, ProcessInfo, Snapshot } from '../snapshot/types.js';
import type { DiagnosisFilter } from './report.js';

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

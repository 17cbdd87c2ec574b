/**
 * Test helper: puts `count` CLOSE_WAIT sockets on a synthetic snapshot, held by `pid` (or by no
 * visible process), `persisted` of them already present at the start of a 1 s window
 * (`persisted: null` = one read, no window). Imported by tests only.
 */
import type { Snapshot } from '../../snapshot/types.js';

export function addCloseWait(s: Snapshot, spec: { pid?: number; port: number; count: number; persisted: number | null; firstInode?: number }): Snapshot {
  const ns = s.namespaces[0];
  const start = spec.persisted === null ? null : new Set(ns.closeWaitAtStart?.inodes ?? []);
  const base = spec.firstInode ?? 900000 + spec.port * 1000;
  for (let i = 0; i < spec.count; i++) {
    const inode = base + i;
    s.sockets.push({
      family: 4, state: 'CLOSE_WAIT', localAddress: '10.0.0.5', localPort: spec.port, remoteAddress: `192.0.2.${1 + (i % 3)}`,
      remotePort: 40000 + i, txQueue: 0, rxQueue: 1, uid: 1000, inode, netns: 0,
    });
    if (spec.pid !== undefined) s.owners.set(inode, [{ pid: spec.pid, fd: 100 + i }]);
    if (start && i < spec.persisted!) start.add(inode);
  }
  ns.closeWaitAtStart = start && { inodes: start, windowMs: ns.counters.intervalMs || 1000 };
  return s;
}

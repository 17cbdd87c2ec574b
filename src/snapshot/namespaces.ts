/**
 * Looking up a snapshot's network namespaces. A listener, socket or process carries only the
 * namespace inode; rules judge it against that namespace's own sysctls and counters.
 */
import type { Counters, NetNamespace, NetnsInode, Snapshot, Tunables } from './types.js';

/** The namespace with this inode, or the snapshot's first (host) namespace when it is not known. */
export function namespaceOf(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null): NetNamespace | undefined {
  if (inode !== null) {
    const found = snapshot.namespaces.find((n) => n.inode === inode);
    if (found) return found;
  }
  return snapshot.namespaces[0];
}

/** The tunables a socket in namespace `inode` is subject to (the snapshot's own when unknown). */
export function tunablesOf(snapshot: Pick<Snapshot, 'namespaces' | 'tunables'>, inode: NetnsInode | null): Tunables {
  return namespaceOf(snapshot, inode)?.tunables ?? snapshot.tunables;
}

/** The TcpExt/Tcp counters of namespace `inode` (the snapshot's own when unknown). */
export function countersOf(snapshot: Pick<Snapshot, 'namespaces' | 'counters'>, inode: NetnsInode | null): Counters {
  return namespaceOf(snapshot, inode)?.counters ?? snapshot.counters;
}

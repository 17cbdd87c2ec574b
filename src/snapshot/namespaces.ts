/**
 * Looking up a snapshot's network namespaces. A listener, socket or process carries only the
 * namespace inode; rules judge it against that namespace's own sysctls and counters.
 */
import type { Counters, NetNamespace, NetnsInode, Snapshot, Tunables } from './types.js';

/**
 * Each namespaces array's index by inode, made on first use: rules ask once per listener, socket or
 * finding, and a scan per question made 2,000 namespaces with a listener each cost O(N^2). An index
 * is checked on each use (the array entry at that position is still that namespace; the length is
 * unchanged), and made again when the array was changed since.
 */
const INDEX = new WeakMap<readonly NetNamespace[], { length: number; at: Map<NetnsInode, number> }>();

function indexOf(namespaces: readonly NetNamespace[]): Map<NetnsInode, number> {
  let index = INDEX.get(namespaces);
  if (!index || index.length !== namespaces.length) {
    const at = new Map<NetnsInode, number>();
    namespaces.forEach((n, i) => {
      if (!at.has(n.inode)) at.set(n.inode, i);
    });
    index = { length: namespaces.length, at };
    INDEX.set(namespaces, index);
  }
  return index.at;
}

/** The namespace with this inode, or the snapshot's first (host) namespace when it is not known. */
export function namespaceOf(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null): NetNamespace | undefined {
  const list = snapshot.namespaces;
  if (inode !== null) {
    const i = indexOf(list).get(inode);
    const hit = i === undefined ? undefined : list[i];
    if (hit?.inode === inode) return hit;
    // Changed in place since the index was made (same length): scan, and index it again.
    const found = list.find((n) => n.inode === inode);
    if (found) {
      INDEX.delete(list);
      return found;
    }
  }
  return list[0];
}

/** The tunables a socket in namespace `inode` is subject to (the snapshot's own when unknown). */
export function tunablesOf(snapshot: Pick<Snapshot, 'namespaces' | 'tunables'>, inode: NetnsInode | null): Tunables {
  return namespaceOf(snapshot, inode)?.tunables ?? snapshot.tunables;
}

/** The TcpExt/Tcp counters of namespace `inode` (the snapshot's own when unknown). */
export function countersOf(snapshot: Pick<Snapshot, 'namespaces' | 'counters'>, inode: NetnsInode | null): Counters {
  return namespaceOf(snapshot, inode)?.counters ?? snapshot.counters;
}

/**
 * The sampling window, one model for every command. A window compares two reads of each network
 * namespace: its TcpExt/Tcp counters (how many handshakes were dropped *during* the window) and
 * the inodes of its owned CLOSE_WAIT sockets (one still there at the end was not closed for the
 * whole window: a leak; a new one is churn, support/close-wait.ts), and each listener's own drops
 * (one whose drops rose drops now; the rest is history, snapshot/listener-drops.ts).
 *
 * The end of the window is always a snapshot. Its start is a `WindowStart`, made in one of two
 * ways, both per namespace and keyed by the namespace inode:
 * - a light read of every namespace at the start (snapshot/window-read.ts): `sockdoc --interval`,
 *   and `sockdoc capture`, which stores it for the replay (probe/capture-window.ts);
 * - the previous snapshot (`windowStartOf`): `watch`, serve's scrapes and its dashboard.
 * `applyWindow` then judges the end against the start, the same way for all of them, so a
 * CLOSE_WAIT leak in a container is a leak in diagnose, serve, watch and a replay alike.
 */
import { conntrackSince, increase, softnetSince } from './net-pressure.js';
import { socketTableOf, tcpStateNumber, type HasSockets, type SocketTable } from './socket-table.js';
import type { NetnsInode, NetnsPoint, Snapshot, WindowStart } from './types.js';
import { dropsReadingOf, setDropsDelta, type DropsReading } from './listener-drops.js';

export type { NetnsPoint, WindowStart };

const CLOSE_WAIT = tcpStateNumber('CLOSE_WAIT');

/**
 * Inodes of the owned CLOSE_WAIT sockets of `table` (of namespace `netns` only, when given). Inode
 * 0 is a connection still in an accept queue: no program holds it (close-wait-unaccepted).
 */
export function closeWaitInodes(table: SocketTable, netns?: NetnsInode): Set<number> {
  const out = new Set<number>();
  const { state, inode } = table;
  for (let i = 0; i < table.length; i++) {
    if (state[i] === CLOSE_WAIT && inode[i] !== 0 && (netns === undefined || table.netns[i] === netns)) out.add(inode[i]);
  }
  return out;
}

/** The window start a later snapshot is judged against: every namespace of `snapshot` as it was read. */
export function windowStartOf(snapshot: Pick<Snapshot, 'namespaces' | 'conntrack' | 'softnet'> & Partial<Pick<Snapshot, 'listeners'>> & HasSockets): WindowStart {
  const byNetns = new Map<NetnsInode, NetnsPoint>();
  const t = socketTableOf(snapshot);
  const closeWait = new Map<NetnsInode, Set<number>>();
  for (const ns of snapshot.namespaces) closeWait.set(ns.inode, new Set());
  for (let i = 0; i < t.length; i++) {
    if (t.state[i] !== CLOSE_WAIT || t.inode[i] === 0) continue;
    closeWait.get(t.netns[i])?.add(t.inode[i]);
  }
  // Namespaces read by sock_diag get an entry even without a listener: one that appears later is new.
  const drops = dropsReadingOf(snapshot.listeners ?? [], snapshot.namespaces);
  for (const ns of snapshot.namespaces) {
    // A namespace whose sockets were not read has no CLOSE_WAIT to compare: unknown, not none.
    const point: NetnsPoint = {
      counters: Object.keys(ns.counters.values).length ? ns.counters.values : null,
      closeWait: ns.socketSource === null ? null : (closeWait.get(ns.inode) ?? null),
    };
    if (ns.conntrack !== undefined) point.conntrack = ns.conntrack;
    const d = drops.get(ns.inode);
    if (d) point.listenerDrops = d;
    if (ns.empty) point.empty = true;
    byNetns.set(ns.inode, point);
  }
  const start: WindowStart = { byNetns };
  if (snapshot.conntrack !== undefined) start.conntrack = snapshot.conntrack;
  if (snapshot.softnet !== undefined) start.softnet = snapshot.softnet;
  return start;
}

/**
 * Judges `snapshot` (the end of the window) against `start`, `ms` earlier: each namespace's counter
 * deltas and CLOSE_WAIT start, its conntrack stat deltas, its listeners' drops since the start
 * (Listener.dropsDelta), and the host-wide softnet drops. A
 * namespace absent from the start (a container started meanwhile) or unread there stays a one-read
 * namespace (deltas null, no CLOSE_WAIT start). The first namespace's counters are the snapshot's.
 * Mutates and returns `snapshot`.
 */
export function applyWindow<T extends Pick<Snapshot, 'namespaces' | 'counters' | 'conntrack' | 'softnet'> & Partial<Pick<Snapshot, 'listeners'>>>(snapshot: T, start: WindowStart, ms: number): T {
  if (!(ms > 0)) return snapshot;
  const drops: DropsReading = new Map();
  for (const ns of snapshot.namespaces) {
    const p = start.byNetns.get(ns.inode);
    const values = ns.counters.values;
    const read = p?.counters && Object.keys(values).length > 0;
    ns.counters = read ? { values, deltas: increase(p!.counters!, values), intervalMs: ms } : { values, deltas: null, intervalMs: 0 };
    ns.closeWaitAtStart = p?.closeWait && ns.socketSource !== null ? { inodes: p.closeWait, windowMs: ms } : null;
    if (p && p.conntrack !== undefined && ns.conntrack !== undefined) ns.conntrack = conntrackSince(p.conntrack, ns.conntrack, ms);
    if (p?.listenerDrops) drops.set(ns.inode, new Map(p.listenerDrops));
  }
  if (snapshot.listeners) setDropsDelta(snapshot.listeners, drops);
  const first = snapshot.namespaces[0];
  if (first) snapshot.counters = first.counters;
  if (snapshot.conntrack !== undefined) snapshot.conntrack = conntrackSince(start.conntrack, snapshot.conntrack, ms);
  if (start.softnet !== undefined && snapshot.softnet !== undefined) snapshot.softnet = softnetSince(start.softnet, snapshot.softnet, ms);
  return snapshot;
}

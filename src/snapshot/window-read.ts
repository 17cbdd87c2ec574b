/**
 * The start of a live sampling window: every namespace the snapshot will read, read now, light —
 * its TcpExt/Tcp counters, its owned CLOSE_WAIT inodes and each listener's drops (snapshot/window.ts
 * compares them with the snapshot at the window's end). The namespace sockdoc runs in is read here
 * (a sock_diag dump the kernel filters to CLOSE_WAIT, and one of its listeners with
 * INET_DIAG_SKMEMINFO); every other one from inside, on the addon's threads, by the same reader the
 * snapshot uses at the end (probe/netns-read.ts), its dump filtered to the same two states.
 * A namespace sockdoc cannot enter is read from /proc/PID/net of one of its processes, as at the end.
 */
import { readCounters } from '../probe/netstat.js';
import { readCloseWaitInodes } from '../probe/close-wait-inodes.js';
import { readLiveNetns, type NetnsData, type NetnsTarget } from '../probe/netns-read.js';
import { ADDON_PATH, dumpFlags, TCP_TABLE_PLAIN } from '../probe/native.js';
import { readListenerDrops } from '../probe/listener-drops.js';
import { NO_VALUE, tcpStateNumber, type SocketTable } from './socket-table.js';
import { closeWaitInodes } from './window.js';
import type { NetnsInode, NetnsPoint, WindowStart } from './types.js';

/** sock_diag's states field is a mask of 1 << state (include/net/tcp_states.h TCP_CLOSE_WAIT = 8). */
const CLOSE_WAIT_MASK = 1 << tcpStateNumber('CLOSE_WAIT');
const LISTEN = tcpStateNumber('LISTEN');

/** Listener inode -> drops of a table's listeners; null when its source did not say (a /proc read). */
export function listenerDropsOf(table: SocketTable): Map<number, number> | null {
  const { drops, state, inode } = table;
  if (!drops) return null;
  const out = new Map<number, number>();
  for (let i = 0; i < table.length; i++) if (state[i] === LISTEN && drops[i] !== NO_VALUE) out.set(inode[i], drops[i]);
  return out;
}

/**
 * Reads the window start of namespace `own` (through ROOT/proc/net; null: not asked, a scoped read
 * without it) and of `targets` (from inside). Live root only.
 */
export async function readWindowStart(
  root: string,
  own: NetnsInode | null,
  targets: readonly NetnsTarget[],
  addonPath = ADDON_PATH,
  skipEmpty = true,
  /** The targets' reads already made (a first read made whole: snapshot/window-end.ts); `targets` are then not read. */
  read: readonly NetnsData[] | null = null,
): Promise<WindowStart> {
  const byNetns = new Map<NetnsInode, NetnsPoint>();
  // No waits looked up at the start: only the listeners' drops are compared. With
  // SOCKDOC_LISTENER_EXTRAS=off (the benchmark's "without"), not even those.
  const plain = dumpFlags() === TCP_TABLE_PLAIN;
  // Their counters only from inside: the sysctls and unix sockets are not compared.
  const others = read
    ? Promise.resolve(read)
    : plain
      ? readLiveNetns(targets, addonPath, {}, CLOSE_WAIT_MASK, TCP_TABLE_PLAIN, 'counters', skipEmpty)
      : readLiveNetns(targets, addonPath, {}, CLOSE_WAIT_MASK | (1 << LISTEN), 0, 'counters', skipEmpty);
  others.catch(() => undefined); // awaited below
  if (own !== null) {
    const counters = readCounters(root);
    byNetns.set(own, {
      counters: counters.reports.some((r) => r.status === 'ok') ? counters.values : null,
      closeWait: readCloseWaitInodes(root),
      listenerDrops: plain ? null : readListenerDrops(addonPath),
    });
  }
  for (const d of await others) {
    // An empty one (no socket: probe/netns-read.ts) has no CLOSE_WAIT and no listener: any at the end is new; its counters were not read.
    if (d.empty) byNetns.set(d.inode, { counters: null, closeWait: new Set(), listenerDrops: plain ? null : new Map(), empty: true });
    else byNetns.set(d.inode, { counters: d.counters, closeWait: d.socketSource === null ? null : closeWaitInodes(d.table), listenerDrops: listenerDropsOf(d.table) });
  }
  return { byNetns };
}

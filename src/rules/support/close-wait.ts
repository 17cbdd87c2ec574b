/**
 * CLOSE_WAIT judged over the sampling window, by socket inode: a socket that was in CLOSE_WAIT at
 * the start of the window and still is at its end was not closed for the whole window (a leak);
 * one that is new was closed by its peer during the window, and if the program's count stays
 * high while every socket is replaced, the program does close them, late (churn, e.g. a server
 * starved of CPU). Without a window (one read, a capture) nobody can tell the two apart.
 */
import type { ProcessInfo, Snapshot } from '../../snapshot/types.js';
import { CLOSE_WAIT_LEAK_MIN, closeWaitCount } from './levels.js';
import { socketTableOf, tcpStateNumber } from '../../snapshot/socket-table.js';

const CLOSE_WAIT = tcpStateNumber('CLOSE_WAIT');

export interface CloseWaitCount {
  /** Owned CLOSE_WAIT sockets at the end of the window. */
  total: number;
  /** Of those, present at the start too; null without a window (or when its start was not read). */
  persisted: number | null;
  /** The window they were judged over, ms (their namespace's); 0 when `persisted` is null. */
  windowMs: number;
}

/** Sockets in CLOSE_WAIT whose owner sockdoc cannot see (another user's process, not root), by local port. */
export interface UnownedCloseWait extends CloseWaitCount {
  netns: number;
  port: number;
  /** The local address most of them use. */
  address: string;
}

export interface CloseWaitWindow {
  byPid: Map<number, CloseWaitCount>;
  unowned: UnownedCloseWait[];
}

/** A namespace's window: the CLOSE_WAIT inodes at its start (null: none read) and its length. */
interface NetnsWindow {
  start: ReadonlySet<number> | null;
  ms: number;
}

/**
 * Each namespace's CLOSE_WAIT window, by inode (snapshot/window.ts fills it per namespace: a
 * container's window is read inside the container). A socket of a namespace the snapshot does not
 * list is judged with the first namespace's, as namespaceOf does.
 */
function windowsOf(snapshot: Snapshot): (netns: number) => NetnsWindow {
  const byNetns = new Map<number, NetnsWindow>();
  for (const ns of snapshot.namespaces) {
    const start = ns.closeWaitAtStart ?? null;
    byNetns.set(ns.inode, start === null ? { start: null, ms: 0 } : { start: start.inodes, ms: start.windowMs });
  }
  const first = snapshot.namespaces[0] ? byNetns.get(snapshot.namespaces[0].inode)! : { start: null, ms: 0 };
  return (netns) => byNetns.get(netns) ?? first;
}

/** Adds one socket to a count: `stayed` 1/0, or null when its namespace had no window. */
function count(c: CloseWaitCount, stayed: number | null, ms: number): void {
  c.total++;
  if (c.persisted === null) return;
  if (stayed === null) {
    // One socket without a window makes the whole count one-read: never "churn" for what was not seen.
    c.persisted = null;
    c.windowMs = 0;
    return;
  }
  c.persisted += stayed;
  c.windowMs = c.windowMs === 0 ? ms : Math.min(c.windowMs, ms);
}

/** One pass over the sockets: owned CLOSE_WAIT counted per holding pid, unowned per (netns, port). */
export function closeWaitWindow(snapshot: Snapshot): CloseWaitWindow {
  const windowOf = windowsOf(snapshot);
  const byPid = new Map<number, CloseWaitCount>();
  const unowned = new Map<string, UnownedCloseWait & { addresses: Map<string, number> }>();
  const t = socketTableOf(snapshot);
  for (let i = 0; i < t.length; i++) {
    if (t.state[i] !== CLOSE_WAIT || t.inode[i] === 0) continue; // inode 0: still in an accept queue (close-wait-unaccepted)
    const s = { inode: t.inode[i], netns: t.netns[i], localPort: t.localPort[i], localAddress: t.addresses[t.localAddress[i]] };
    const w = windowOf(s.netns);
    const stayed = w.start === null ? null : w.start.has(s.inode) ? 1 : 0;
    const holders = snapshot.owners.get(s.inode);
    if (holders && holders.length) {
      let last = -1;
      for (const h of holders) {
        if (h.pid === last) continue;
        last = h.pid;
        let c = byPid.get(h.pid);
        if (!c) byPid.set(h.pid, (c = { total: 0, persisted: 0, windowMs: 0 }));
        count(c, stayed, w.ms);
      }
      continue;
    }
    const key = `${s.netns}/${s.localPort}`;
    let u = unowned.get(key);
    if (!u) unowned.set(key, (u = { netns: s.netns, port: s.localPort, address: s.localAddress, total: 0, persisted: 0, windowMs: 0, addresses: new Map() }));
    count(u, stayed, w.ms);
    u.addresses.set(s.localAddress, (u.addresses.get(s.localAddress) ?? 0) + 1);
  }
  const list = [...unowned.values()].map(({ addresses, ...u }) => {
    const [address] = [...addresses].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    return { ...u, address };
  });
  list.sort((a, b) => a.port - b.port || a.netns - b.netns);
  return { byPid, unowned: list };
}

/** Leak or churn: a leak when at least `min` sockets stayed the whole window (or no window to tell). */
export function isLeak(c: Pick<CloseWaitCount, 'total' | 'persisted'>, min: number): boolean {
  return c.total >= min && (c.persisted === null || c.persisted >= min);
}

/** "1.0 s" for the titles and sentences. */
export function windowText(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** close-wait-leak fires for this process: what other rules test before linking to it. */
export function leaksCloseWait(snapshot: Snapshot, p: ProcessInfo): boolean {
  const total = closeWaitCount(p);
  if (total < CLOSE_WAIT_LEAK_MIN) return false;
  const windowOf = windowsOf(snapshot);
  // No window in the process's own namespace: one read, a leak as far as anyone can tell.
  if (windowOf(p.netns ?? Number.NaN).start === null) return true;
  let persisted: number | null = 0;
  const t = socketTableOf(snapshot);
  for (let i = 0; i < t.length && persisted !== null; i++) {
    const inode = t.inode[i];
    if (t.state[i] !== CLOSE_WAIT || inode === 0 || !snapshot.owners.get(inode)?.some((o) => o.pid === p.pid)) continue;
    const start = windowOf(t.netns[i]).start;
    if (start === null) persisted = null;
    else if (start.has(inode)) persisted++;
  }
  return isLeak({ total, persisted }, CLOSE_WAIT_LEAK_MIN);
}

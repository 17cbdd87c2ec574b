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
  /** Of those, present at the start too; null without a window. */
  persisted: number | null;
}

/** Sockets in CLOSE_WAIT whose owner sockdoc cannot see (another user's process, not root), by local port. */
export interface UnownedCloseWait extends CloseWaitCount {
  netns: number;
  port: number;
  /** The local address most of them use. */
  address: string;
}

export interface CloseWaitWindow {
  /** Window length in ms; 0 = one read, `persisted` is then null everywhere. */
  windowMs: number;
  byPid: Map<number, CloseWaitCount>;
  unowned: UnownedCloseWait[];
}

/** One pass over the sockets: owned CLOSE_WAIT counted per holding pid, unowned per (netns, port). */
export function closeWaitWindow(snapshot: Snapshot): CloseWaitWindow {
  const start = snapshot.closeWaitAtStart ?? null;
  const byPid = new Map<number, CloseWaitCount>();
  const unowned = new Map<string, UnownedCloseWait & { addresses: Map<string, number> }>();
  const t = socketTableOf(snapshot);
  for (let i = 0; i < t.length; i++) {
    if (t.state[i] !== CLOSE_WAIT || t.inode[i] === 0) continue; // inode 0: still in an accept queue (close-wait-unaccepted)
    const s = { inode: t.inode[i], netns: t.netns[i], localPort: t.localPort[i], localAddress: t.addresses[t.localAddress[i]] };
    const stayed = start === null ? null : start.has(s.inode) ? 1 : 0;
    const holders = snapshot.owners.get(s.inode);
    if (holders && holders.length) {
      let last = -1;
      for (const h of holders) {
        if (h.pid === last) continue;
        last = h.pid;
        const c = byPid.get(h.pid) ?? { total: 0, persisted: stayed === null ? null : 0 };
        c.total++;
        if (stayed !== null) c.persisted = (c.persisted ?? 0) + stayed;
        byPid.set(h.pid, c);
      }
      continue;
    }
    const key = `${s.netns}/${s.localPort}`;
    const u = unowned.get(key) ?? { netns: s.netns, port: s.localPort, address: s.localAddress, total: 0, persisted: stayed === null ? null : 0, addresses: new Map() };
    u.total++;
    if (stayed !== null) u.persisted = (u.persisted ?? 0) + stayed;
    u.addresses.set(s.localAddress, (u.addresses.get(s.localAddress) ?? 0) + 1);
    unowned.set(key, u);
  }
  const list = [...unowned.values()].map(({ addresses, ...u }) => {
    const [address] = [...addresses].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    return { ...u, address };
  });
  list.sort((a, b) => a.port - b.port || a.netns - b.netns);
  return { windowMs: start === null ? 0 : snapshot.counters.intervalMs, byPid, unowned: list };
}

/** Leak or churn: a leak when at least `min` sockets stayed the whole window (or no window to tell). */
export function isLeak(c: CloseWaitCount, min: number): boolean {
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
  const start = snapshot.closeWaitAtStart ?? null;
  if (start === null) return true;
  let persisted = 0;
  const t = socketTableOf(snapshot);
  for (let i = 0; i < t.length; i++) {
    const inode = t.inode[i];
    if (t.state[i] === CLOSE_WAIT && inode !== 0 && start.has(inode) && snapshot.owners.get(inode)?.some((o) => o.pid === p.pid)) persisted++;
  }
  return isLeak({ total, persisted }, CLOSE_WAIT_LEAK_MIN);
}

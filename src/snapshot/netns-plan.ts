/**
 * What is known of the network namespaces before any of them is read: which process is in which
 * (the ns/net link of every pid, one readlink each), the `ip netns` names, sockdoc's own namespace
 * and the host's. The snapshot reads the namespaces this plan lists; the start of a sampling
 * window (window-read.ts) reads the same ones.
 */
import { listPids } from '../probe/pids.js';
import { discoverPidNetns, listNamedNetns, readPidNetns } from '../probe/netns.js';
import { under } from '../probe/read-file.js';
import type { NetnsTarget } from '../probe/netns-read.js';

/** What is known of the namespaces before the read: who is where, and which one is the host. */
export interface NetnsPlan {
  /** The namespace whose files are ROOT/proc/net and ROOT/proc/sys (sockdoc's own); 0 when unknown. */
  own: number;
  /** The namespace of pid 1 (or the lowest visible pid); equal to `own` when unknown. */
  host: number;
  byPid: Map<number, number>;
  /** Namespaces other than `own`, to read from inside (or from a process's /proc/PID/net). */
  targets: NetnsTarget[];
  named: Map<number, string[]>;
  notes: string[];
  partial: boolean;
}

/**
 * The host's namespace: pid 1's; else kthreadd's (pid 2: kernel threads live in the initial network
 * namespace, init_nsproxy); else, when neither answers (not root: another user's ns link is refused),
 * sockdoc's own, where it normally runs. Never "the lowest visible pid": as a plain user that is
 * one of your own processes, maybe inside a container.
 */
function hostNetns(root: string, own: number | null): number | null {
  return readPidNetns(root, 1).inode ?? readPidNetns(root, 2).inode ?? own;
}

/**
 * Every network namespace to read: those of the processes (all, or `pids`), plus unheld `ip netns`
 * ones when the whole host is read. Grouped by the inode of /proc/PID/ns/net.
 */
export function planNetns(root: string, live: boolean, pids: number[] | undefined): NetnsPlan {
  const notes: string[] = [];
  let listed: number[] = [];
  try {
    listed = pids ? [...new Set(pids)].sort((a, b) => a - b) : listPids(root);
  } catch {
    listed = []; // the process scan reports it
  }
  const disc = discoverPidNetns(root, listed);
  const host = hostNetns(root, disc.own);
  // A capture made before namespaces were recorded has no links at all: one namespace, inode 0.
  const own = disc.own ?? (live ? 0 : (host ?? 0));
  const named = new Map<number, string[]>();
  const namedPaths = new Map<number, string>();
  for (const n of listNamedNetns(root)) {
    const list = named.get(n.inode);
    if (list) list.push(n.name);
    else named.set(n.inode, [n.name]);
    if (!namedPaths.has(n.inode)) namedPaths.set(n.inode, n.path);
  }
  const members = new Map<number, number[]>();
  for (const [pid, inode] of disc.byPid) {
    if (inode === own) continue;
    const list = members.get(inode);
    if (list) list.push(pid);
    else members.set(inode, [pid]);
  }
  if (!pids) for (const inode of named.keys()) if (inode !== own && !members.has(inode)) members.set(inode, []);
  const targets: NetnsTarget[] = [...members].map(([inode, list]) => ({
    inode,
    pids: list.sort((a, b) => a - b),
    namedPath: namedPaths.get(inode) ?? null,
    label: named.get(inode)?.length ? `netns ${named.get(inode)?.[0]}` : `netns ${inode}`,
  }));
  let partial = false;
  if (disc.denied.length) {
    const asRoot = process.geteuid?.() === 0;
    notes.push(
      `The network namespace of ${disc.denied.length === 1 ? '1 process' : `${disc.denied.length} processes`} could not be read (first: ${under(root, 'proc', String(disc.denied[0]), 'ns', 'net')}` +
        `${asRoot ? '; ptrace access check: a process holding privileges sockdoc lacks' : '; not root: only your own processes answer'}): sockets in a namespace that only they use are not seen.`,
    );
    partial = true;
  }
  return { own, host: host ?? own, byPid: disc.byPid, targets, named, notes, partial };
}


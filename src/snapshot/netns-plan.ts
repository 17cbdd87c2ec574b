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
import { readPidStat } from '../probe/pid-stat.js';
import { readPidCmdline } from '../probe/pid-cmdline.js';
import { readPidStatus } from '../probe/pid-status.js';
import { nameNetns, type NamingProcess } from './netns-names.js';
import { shellQuote } from '../safety/shell-quote.js';
import { hasNetnsQuery, matchNetns, type NetnsCandidate, type NetnsQuery } from './select-netns.js';

/** What is known of the namespaces before the read: who is where, and which one is the host. */
export interface NetnsPlan {
  /** The namespace whose files are ROOT/proc/net and ROOT/proc/sys (sockdoc's own); 0 when unknown. */
  own: number;
  /** The namespace of pid 1 (or the lowest visible pid); equal to `own` when unknown. */
  host: number;
  /** Every pid listed (or asked for), ascending. */
  pids: number[];
  byPid: Map<number, number>;
  /** Namespaces other than `own`, to read from inside (or from a process's /proc/PID/net). */
  targets: NetnsTarget[];
  named: Map<number, string[]>;
  /** Pids whose ns link was refused: their namespace is unknown. */
  denied: number[];
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
  return { own, host: host ?? own, pids: listed, byPid: disc.byPid, targets, named, denied: disc.denied, notes, partial };
}


/** What the snapshot is asked about: namespaces by name, or the namespace of one process. */
export interface NetnsScope extends NetnsQuery {
  /** `--pid N`: N's namespace (N is a process: a thread id was mapped to it by the CLI). */
  pid?: number;
}

/** A query that names no namespace (or a --pid whose namespace is unknown): the whole host is read. */
export class NetnsScopeError extends Error {
  override name = 'NetnsScopeError';
}

/**
 * The comm of every planned process, and dockerd's command line (its --data-root says where the
 * container names are) and owner: what naming reads, one small file per process, no fd and no socket.
 */
export function namingProcesses(root: string, pids: Iterable<number>): NamingProcess[] {
  const out: NamingProcess[] = [];
  for (const pid of pids) {
    try {
      const name = readPidStat(root, pid).name;
      // dockerd's owner decides whether its data root may name containers (container-trust.ts daemonDoubt).
      if (name === 'dockerd') out.push({ pid, name, cmdline: readPidCmdline(root, pid).joined, uid: readPidStatus(root, pid).uid });
      else out.push({ pid, name, cmdline: '', uid: null });
    } catch {
      // exited since the plan: nothing to name it by
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** Every planned namespace, named from its processes' cgroups and the runtimes' state files. */
export function namePlanned(root: string, plan: NetnsPlan, processes: ReadonlyArray<NamingProcess>): NetnsCandidate[] {
  const pidsOf = new Map<number, number[]>();
  for (const [pid, inode] of plan.byPid) {
    const list = pidsOf.get(inode);
    if (list) list.push(pid);
    else pidsOf.set(inode, [pid]);
  }
  const ctx = { root, processes, named: plan.named };
  return [plan.own, ...plan.targets.map((t) => t.inode)].map((inode) => {
    const pids = (pidsOf.get(inode) ?? []).sort((a, b) => a - b);
    return { ...nameNetns(ctx, inode, pids, inode === plan.host), pids };
  });
}

/**
 * The namespaces a scope asks for, resolved before any socket is read (`--container web` among
 * 2,000 namespaces reads one): by name as matchNetns matches a snapshot (the same errors: no such
 * namespace, ambiguous), or the namespace of `--pid`. null = the whole host (no scope, or a pid
 * whose namespace is unknown: the read then says so as an unscoped one would).
 */
export function scopeNetns(root: string, plan: NetnsPlan, scope: NetnsScope, asRoot: boolean, processes: ReadonlyArray<NamingProcess>): Set<number> | null {
  if (hasNetnsQuery(scope)) {
    const namespaces = namePlanned(root, plan, processes);
    const view = {
      namespaces,
      processes: [...[...plan.byPid].map(([pid, netns]) => ({ pid, netns })), ...plan.denied.map((pid) => ({ pid, netns: null }))],
      host: { asRoot },
    };
    try {
      return new Set(matchNetns(view, scope).map((n) => n.inode));
    } catch (err) {
      throw new NetnsScopeError((err as Error).message);
    }
  }
  if (scope.pid !== undefined) {
    const inode = plan.byPid.get(scope.pid);
    return inode === undefined ? null : new Set([inode]);
  }
  return null;
}

/** `--container web`, `--pid 4242`: the scope as the user gave it, shell-quoted: the header shows it, commands the report suggests carry it. */
export function describeScope(scope: NetnsScope): string {
  const parts: string[] = [];
  for (const key of ['netns', 'container', 'pod'] as const) if (scope[key] !== undefined) parts.push(`--${key} ${shellQuote(scope[key] as string)}`);
  if (!parts.length && scope.pid !== undefined) parts.push(`--pid ${scope.pid}`);
  return parts.join(' ');
}

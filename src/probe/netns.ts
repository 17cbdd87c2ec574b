/**
 * Which network namespace each process is in, and the named ones under /run/netns.
 *
 * /proc/PID/ns/net is a magic link whose target reads "net:[INODE]" (fs/nsfs.c ns_dname; man 7
 * namespaces): two processes share a network namespace exactly when the inodes are equal. Reading
 * it needs ptrace read access to the process (PTRACE_MODE_READ_FSCREDS, fs/proc/namespaces.c
 * proc_ns_readlink): as a plain user only one's own processes answer.
 * `ip netns add NAME` bind-mounts a namespace file on /run/netns/NAME (iproute2 ip/ipnetns.c), so
 * stat(2) of it gives the namespace inode; a captured tree stores it as a symlink "net:[INODE]".
 */
import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { listUnder, outcomeOf, readLinkUnder, under } from './read-file.js';
import { loadNativeAddon } from './native.js';

const { errno } = constants;

/**
 * The inode of an ns link target "net:[4026531840]", or null for anything else.
 * @example parseNetnsLink('net:[4026531840]') // 4026531840
 */
export function parseNetnsLink(target: string): number | null {
  const m = /^net:\[(\d{1,20})\]$/.exec(target);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** Inode of ROOT/proc/PID/ns/net; null when the process is gone, refused or the link is malformed. */
export function readPidNetns(root: string, pid: number | 'self'): { inode: number | null; denied: boolean } {
  try {
    return { inode: parseNetnsLink(readLinkUnder(root, `proc/${pid}/ns/net`)), denied: false };
  } catch (err) {
    return { inode: null, denied: outcomeOf(err) === 'denied' };
  }
}

export interface NetnsDiscovery {
  /** pid -> namespace inode, for every pid whose link could be read. */
  byPid: Map<number, number>;
  /** Pids whose link was refused (not root, or a process with privileges sockdoc lacks). */
  denied: number[];
  /** The namespace sockdoc itself runs in (ROOT/proc/self/ns/net); null when unknown. */
  own: number | null;
}

/** Reads many pids' ns/net links at once: per pid the inode (> 0), or -errno (native/procread.c pidNetns). */
export type PidNetnsReader = (pids: Int32Array) => Float64Array;

/**
 * The addon's reader of the live /proc's ns/net links (its threads, one readlinkat each); null for
 * a captured tree (the confined reader resolves its links inside the tree) or without the addon.
 */
export function nativePidNetns(root: string): PidNetnsReader | null {
  if (root !== '/') return null;
  try {
    const addon = loadNativeAddon();
    const read = addon.pidNetns;
    return typeof read === 'function' ? (pids) => read('/proc', pids) : null;
  } catch {
    return null; // not built: the confined reader gives the same answer, slower
  }
}

const REFUSED = new Set([-errno.EACCES, -errno.EPERM]);

/**
 * Reads the ns/net link of every pid: on the live host on the addon's threads (at 15,000
 * processes, one readlink each through the confined reader cost 150-300 ms of JavaScript), else
 * here (a capture, no addon). Both give the same (a test holds them equal).
 */
export function discoverPidNetns(root: string, pids: readonly number[], native: PidNetnsReader | null = nativePidNetns(root)): NetnsDiscovery {
  const byPid = new Map<number, number>();
  const denied: number[] = [];
  if (native && pids.length > 0) {
    const inodes = native(Int32Array.from(pids));
    for (let i = 0; i < pids.length; i++) {
      const v = inodes[i];
      if (v > 0) byPid.set(pids[i], v);
      else if (REFUSED.has(v)) denied.push(pids[i]);
    }
  } else {
    for (const pid of pids) {
      const r = readPidNetns(root, pid);
      if (r.inode !== null) byPid.set(pid, r.inode);
      else if (r.denied) denied.push(pid);
    }
  }
  return { byPid, denied, own: readPidNetns(root, 'self').inode };
}

/** A named namespace under ROOT/run/netns. */
export interface NamedNetns {
  name: string;
  inode: number;
  /** The file to setns() into (live) or to read (capture). */
  path: string;
}

/**
 * The `ip netns` namespaces under ROOT/run/netns: a bind mount of an nsfs file on a live host
 * (stat gives its inode), a symlink "net:[INODE]" in a captured tree. An unmounted leftover file
 * (`ip netns delete` interrupted) is a plain tmpfs file: only a file on the nsfs device (the st_dev of
 * /proc/self/ns/net; every nsfs file shares it) counts.
 */
export function listNamedNetns(root: string): NamedNetns[] {
  const dir = under(root, 'run', 'netns');
  let names: string[];
  try {
    names = listUnder(root, 'run/netns', 'config').sort();
  } catch {
    return [];
  }
  const out: NamedNetns[] = [];
  let nsfsDev: number | null = null;
  if (root === '/') {
    try {
      nsfsDev = statSync('/proc/self/ns/net').dev;
    } catch {
      nsfsDev = null;
    }
  }
  for (const name of names) {
    const path = under(dir, name);
    try {
      const link = parseNetnsLink(readLinkUnder(root, `run/netns/${name}`));
      if (link !== null) out.push({ name, inode: link, path });
      continue;
    } catch {
      // not a symlink: a live bind mount
    }
    try {
      const st = statSync(path);
      if (nsfsDev !== null && st.dev === nsfsDev) out.push({ name, inode: st.ino, path });
    } catch {
      // vanished or refused: nothing to name
    }
  }
  return out;
}

/**
 * Who owns each cgroup directory on the way to a process's cgroup: the fact that tells a cgroup
 * the runtime made (root's, in root's directories) from one a user made in a subtree delegated to
 * it (systemd's user@UID.service: man systemd.resource-control Delegate=, "the cgroup directory and
 * its cgroup.procs, cgroup.threads and cgroup.subtree_control are chowned to the user"; the
 * kernel's Documentation/admin-guide/cgroup-v2.rst "Delegation": creating a sub-cgroup needs write
 * access to the parent directory). cgroup v2 cannot rename a cgroup (kernel/cgroup/cgroup.c
 * cgroup_rename returns -EPERM on the default hierarchy), so a directory's place is where it was made.
 *
 * - Live: stat(2) of the directory under the hierarchy's mount point, found in
 *   /proc/self/mountinfo (cgroup2 for `0::` lines; a v1 mount whose options name the line's
 *   controllers, "name=systemd" included).
 * - A capture: ROOT/sockdoc-cgroup-owners, written by `sockdoc capture` from the same stat, one
 *   line per directory: "UID<TAB>MODE(octal)<TAB>HIERARCHY:CONTROLLERS:PATH" (the /proc/PID/cgroup
 *   syntax). A capture without it (older, or a fixture) has no ownership to check.
 */
import { lstatSync } from 'node:fs';
import { readOptionalUnder, readUnder } from './read-file.js';
import type { CgroupEntry } from './pid-cgroup.js';

export const CGROUP_OWNERS = 'sockdoc-cgroup-owners';

export interface DirOwner {
  uid: number;
  mode: number;
}

/** "0:/system.slice", "4:memory:/x": the key of one cgroup directory. */
export function cgroupKey(e: Pick<CgroupEntry, 'hierarchy' | 'controllers'>, path: string): string {
  return `${e.hierarchy}:${e.controllers.join(',')}:${path}`;
}

/** The directories from the hierarchy's root to `path`, root first: "/", "/a", "/a/b". */
export function cgroupAncestors(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  return ['/', ...parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'))];
}

/** Parses a sockdoc-cgroup-owners file; malformed lines are skipped (nothing is proved by them). */
export function parseCgroupOwners(text: string): Map<string, DirOwner> {
  const out = new Map<string, DirOwner>();
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length !== 3 || !/^\d{1,10}$/.test(f[0]) || !/^[0-7]{1,7}$/.test(f[1])) continue;
    out.set(f[2], { uid: Number(f[0]), mode: parseInt(f[1], 8) });
  }
  return out;
}

export function formatCgroupOwners(owners: ReadonlyMap<string, DirOwner>): string {
  return [...owners].map(([key, o]) => `${o.uid}\t${o.mode.toString(8)}\t${key}`).join('\n') + (owners.size ? '\n' : '');
}

/** Mount points of the cgroup hierarchies, from mountinfo text: "" for cgroup2, else the sorted controllers ("cpu,cpuacct", "name=systemd"). */
export function parseCgroupMounts(mountinfo: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash < 0) continue;
    const fstype = f[dash + 1];
    // Only mounts of a hierarchy's root ("/"): a bind mount of a sub-cgroup shows another tree.
    if (f[3] !== '/') continue;
    const at = f[4].replace(/\\040/g, ' ');
    if (fstype === 'cgroup2') {
      if (!out.has('')) out.set('', at);
    } else if (fstype === 'cgroup') {
      const known = new Set(['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'noatime', 'xattr', 'clone_children', 'nsdelegate', 'memory_recursiveprot', 'favordynmods', 'memory_localevents']);
      const ctl = (f[dash + 3] ?? '').split(',').filter((o) => !known.has(o) && !o.startsWith('release_agent=')).sort();
      const key = ctl.join(',');
      if (key && !out.has(key)) out.set(key, at);
    }
  }
  return out;
}

/** Looks up the owner of cgroup directories: a function of (entry, path). */
export interface CgroupOwnerReader {
  /** Owner of the directory `path` in the entry's hierarchy; null when it cannot be told. */
  owner(e: Pick<CgroupEntry, 'hierarchy' | 'controllers'>, path: string): DirOwner | null;
  /** false for a tree that records no ownership (an older capture, a fixture). */
  recorded: boolean;
}

/** The reader for ROOT: live stat through the mount points, or a capture's record. */
export function cgroupOwnerReader(root: string): CgroupOwnerReader {
  if (root !== '/') {
    let text: string | null = null;
    try {
      text = readOptionalUnder(root, CGROUP_OWNERS, 'config');
    } catch {
      text = null;
    }
    const rec = text === null ? null : parseCgroupOwners(text);
    return { recorded: rec !== null, owner: (e, path) => rec?.get(cgroupKey(e, path)) ?? null };
  }
  let mounts: Map<string, string> | null = null;
  const cache = new Map<string, DirOwner | null>();
  return {
    recorded: true,
    owner(e, path) {
      const key = cgroupKey(e, path);
      if (cache.has(key)) return cache.get(key) as DirOwner | null;
      if (mounts === null) {
        try {
          mounts = parseCgroupMounts(readUnder('/', 'proc/self/mountinfo', 'proc'));
        } catch {
          mounts = new Map();
        }
      }
      const at = mounts.get(e.hierarchy === 0 ? '' : [...e.controllers].sort().join(','));
      let o: DirOwner | null = null;
      if (at !== undefined && !path.split('/').includes('..')) {
        try {
          // lstat: a cgroup directory is never a link; anything else proves nothing.
          const st = lstatSync(`${at}${path === '/' ? '' : path}`);
          if (st.isDirectory()) o = { uid: st.uid, mode: st.mode & 0o7777 };
        } catch {
          o = null; // gone (the cgroup was removed meanwhile) or refused
        }
      }
      cache.set(key, o);
      return o;
    },
  };
}

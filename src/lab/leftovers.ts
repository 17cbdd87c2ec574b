/**
 * What a lab run killed with SIGKILL leaves, removed by the next run: its network namespaces, and
 * for `lab container` its directories under /tmp (a private dockerd's data and exec roots, the
 * peer script) with the dockerd, containerd, shims and container processes still running from
 * them, and their mounts. Only what is provably that run's and provably dead:
 * - the name carries the owner's pid and start time (namespace.ts labId): the owner is gone when
 *   /proc/PID is, or holds a different start time (the pid was reused); a directory whose ctime
 *   is older than this boot is from a run of an earlier boot, whatever its pid says now;
 * - a directory is only touched when it is a real directory (not a link) owned by this user and
 *   writable by no one else; it is emptied with `rm --one-file-system` after its mounts are
 *   detached, so nothing outside it can be reached through a mount left inside;
 * - a process is only killed when it runs as this user and one of its arguments is a path inside
 *   such a directory (dockerd --data-root, containerd's socket, a shim's -address), or descends
 *   from one (the container's processes).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePidStat } from '../probe/pid-stat.js';
import { LAB_PREFIX, labOwnerOf, ownerAlive, removeStaleNamespaces } from './namespace.js';
import { mountsUnder } from './private-docker.js';

/** When this boot began, in ms since the epoch (/proc/stat btime), or null when unknown. */
export function bootTimeMs(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
    return m ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}

/** Lab directories under `dirs` whose owner is provably gone, as absolute paths. */
export function deadLabDirectories(dirs: readonly string[], bootMs = bootTimeMs()): string[] {
  const euid = process.geteuid?.() ?? -1;
  const out: string[] = [];
  for (const dir of new Set(dirs)) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.startsWith(LAB_PREFIX));
    } catch {
      continue;
    }
    for (const name of names) {
      const owner = labOwnerOf(name);
      if (!owner) continue; // this run itself is alive: ownerAlive says so
      const path = join(dir, name);
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      if (!st.isDirectory() || st.uid !== euid || (st.mode & 0o022) !== 0) continue;
      const earlierBoot = bootMs !== null && st.ctimeMs < bootMs;
      if (earlierBoot || !ownerAlive(owner)) out.push(path);
    }
  }
  return out;
}

interface ProcEntry {
  pid: number;
  ppid: number;
  uid: number;
  args: string[];
}

function processes(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parsePidStat(readFileSync(`/proc/${name}/stat`, 'latin1'));
      // The effective uid (Uid: real, effective, saved, fs), not /proc/PID's owner (root for a non-dumpable process).
      const uid = Number(/^Uid:\s+\d+\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, 'latin1'))?.[1] ?? -1);
      const args = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').filter(Boolean);
      out.push({ pid: stat.pid, ppid: stat.ppid, uid, args });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** True when an argument names `dir` or a path inside it (`--data-root=DIR/data`, `unix://DIR/docker.sock`). */
function mentions(arg: string, dir: string): boolean {
  const at = arg.indexOf(dir);
  if (at < 0) return false;
  const after = arg.charAt(at + dir.length);
  return after === '' || after === '/';
}

/** Pids running as this user from inside `dirs`, and every descendant of them. */
export function processesFrom(dirs: readonly string[]): number[] {
  if (dirs.length === 0) return [];
  const euid = process.geteuid?.() ?? -1;
  const all = processes();
  const chosen = new Set(all.filter((p) => p.uid === euid && p.pid !== process.pid && p.args.some((a) => dirs.some((d) => mentions(a, d)))).map((p) => p.pid));
  // Descendants (a container's processes under its shim), to a fixed point.
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!chosen.has(p.pid) && chosen.has(p.ppid) && p.pid !== process.pid) {
        chosen.add(p.pid);
        grew = true;
      }
    }
  }
  return [...chosen];
}

function gone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return true;
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Kills what runs from `dirs`, detaches their mounts, removes them: how many processes it killed, and what it could not do. */
export function removeDirectories(dirs: readonly string[]): { killed: number; problems: string[] } {
  const problems: string[] = [];
  const pids = processesFrom(dirs);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  for (let i = 0; i < 50 && pids.some((p) => !gone(p)); i++) pause(100);
  const left = pids.filter((p) => !gone(p));
  if (left.length) problems.push(`processes still running after SIGKILL: ${left.join(', ')}`);
  for (const dir of dirs) {
    // Unknown mounts (no mountinfo) leave rm --one-file-system still inside the directory.
    for (const point of mountsUnder(dir)) spawnSync('umount', ['-l', point], { stdio: 'ignore', timeout: 10_000 });
    const rm = spawnSync('rm', ['-rf', '--one-file-system', '--', dir], { encoding: 'utf8', timeout: 60_000 });
    if (rm.status !== 0) problems.push(`rm ${dir}: ${(rm.stderr || rm.error?.message || `exit ${rm.status}`).trim()}`);
  }
  return { killed: pids.length, problems };
}

/** What a removal did, for the run's notes. */
export interface LeftoversRemoved {
  namespaces: string[];
  directories: string[];
  processes: number;
  problems: string[];
}

/**
 * Removes what lab runs that are gone left behind: their namespaces and, as root, their
 * directories under /tmp (and $TMPDIR) with what still runs from them. Never throws.
 */
export function removeLeftovers(tmpDirs: readonly string[] = ['/tmp', tmpdir()]): LeftoversRemoved {
  const result: LeftoversRemoved = { namespaces: [], directories: [], processes: 0, problems: [] };
  try {
    if (process.geteuid?.() === 0) result.namespaces = removeStaleNamespaces();
  } catch (err) {
    result.problems.push((err as Error).message);
  }
  const dirs = deadLabDirectories(tmpDirs);
  if (dirs.length) {
    const done = removeDirectories(dirs);
    result.processes = done.killed;
    result.problems.push(...done.problems);
    result.directories = dirs;
  }
  return result;
}

/** One line for a person, or null when there was nothing to remove. */
export function describeRemoved(r: LeftoversRemoved): string | null {
  const parts: string[] = [];
  if (r.namespaces.length) parts.push(`namespace${r.namespaces.length > 1 ? 's' : ''} ${r.namespaces.join(', ')}`);
  if (r.directories.length) parts.push(`${r.directories.join(', ')}${r.processes ? ` and ${r.processes} process${r.processes > 1 ? 'es' : ''} running from ${r.directories.length > 1 ? 'them' : 'it'}` : ''}`);
  if (!parts.length && !r.problems.length) return null;
  const what = parts.length ? `removed what earlier lab runs that are gone left: ${parts.join('; ')}` : 'could not remove what earlier lab runs left';
  return r.problems.length ? `${what} (${r.problems.join('; ')})` : what;
}

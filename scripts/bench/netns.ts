/**
 * Network namespaces for the benchmark and the ss-agreement test: everything they build lives in a
 * namespace of their own, so the host's sockets are untouched and one `ip netns del` removes it all.
 * /proc/net/tcp and sock_diag both answer for the reader's namespace only (kernel-facts §1, §2), so
 * every tool under test runs through `ip netns exec`.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Runs a short administrative command; throws with its stderr when it fails. */
export function runOrThrow(cmd: string, args: string[], timeoutMs = 10_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Creates the namespace and brings its loopback up (a new namespace starts with lo down). */
export function createNetns(name: string): void {
  runOrThrow('ip', ['netns', 'add', name]);
  runOrThrow('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** The argv that runs `cmd args` inside the namespace. */
export function inNetns(name: string, cmd: string, args: string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', name, cmd, ...args]];
}

/** Pids of every process whose network namespace is `name` (all of them started by us). */
export function netnsPids(name: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Kills every process left in the namespace, waits (bounded) for them to go, then deletes it.
 * Synchronous so it can run from signal and exit handlers. Never throws: returns what went wrong.
 */
export function destroyNetns(name: string, ownPids: number[] = []): string[] {
  const problems: string[] = [];
  for (let round = 0; round < 20; round++) {
    const pids = [...new Set([...netnsPids(name), ...(round === 0 ? ownPids : [])])];
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        // ESRCH: it exited between the listing and the kill, which is what we want.
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') problems.push(`kill ${pid}: ${(err as Error).message}`);
      }
    }
    sleepSync(100);
    if (round === 19) problems.push(`processes still in ${name}: ${netnsPids(name).join(' ')}`);
  }
  const del = spawnSync('ip', ['netns', 'del', name], { encoding: 'utf8', timeout: 10_000 });
  if (del.status !== 0 && !/No such file/.test(del.stderr)) problems.push(`ip netns del ${name}: ${del.stderr.trim()}`);
  return problems;
}

/** Absolute path of an executable found on PATH, or null (for "not installed" rows). */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch (err) {
      // Not in this directory (ENOENT) or not executable: keep looking in the next one.
      if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    }
  }
  return null;
}

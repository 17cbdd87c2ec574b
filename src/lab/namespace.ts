/**
 * The lab's network namespace (root only): created with loopback up and the scenario's sysctls,
 * destroyed with every process inside it. Synchronous on purpose: cleanup also runs from signal
 * and exit handlers, where nothing asynchronous completes.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parsePidStat } from '../probe/pid-stat.js';
import type { NamespaceSetup } from './types.js';

/** Every lab namespace and directory starts with this, then its owner: the `sockdoc lab` run that made it. */
export const LAB_PREFIX = 'sockdoc-lab-';

/** The process that owns lab things: its pid and start time (clock ticks after boot) tell a reused pid apart. */
export interface LabOwner {
  pid: number;
  /** null in names made before the start time was part of them (pid only: alive while the pid is). */
  start: number | null;
}

/** The start time of `pid` from /proc/PID/stat, or null when it is gone (or unreadable). */
export function startTimeOf(pid: number): number | null {
  try {
    return parsePidStat(readFileSync(`/proc/${pid}/stat`, 'latin1')).starttime;
  } catch {
    return null;
  }
}

/** An expected failure of the lab's own machinery (a missing tool, a refused command). */
export class LabError extends Error {
  override name = 'LabError';
}

/**
 * `sockdoc-lab-<owner pid>.<its start time, base 36>-<suffix>`: the owner's pid and start time let
 * a later run prove that the run which made it is gone (leftovers.ts) and remove what it left.
 * `sockdoc-lab-<pid>-<suffix>` when the owner's start time cannot be read.
 */
export function labId(ownerPid: number, suffix: string): string {
  const start = startTimeOf(ownerPid);
  return `${LAB_PREFIX}${ownerPid}${start === null ? '' : `.${start.toString(36)}`}-${suffix}`;
}

/**
 * The owner of a lab name — a namespace name, or a directory name that starts with a lab id
 * (mkdtemp adds `-XXXXXX`) — or null for any other name.
 */
export function labOwnerOf(name: string): LabOwner | null {
  const m = /^sockdoc-lab-(\d+)(?:\.([0-9a-z]+))?-[A-Za-z0-9]+(?:-[A-Za-z0-9-]*)?$/.exec(name);
  if (!m) return null;
  const start = m[2] === undefined ? null : parseInt(m[2], 36);
  return { pid: Number(m[1]), start: start !== null && Number.isSafeInteger(start) ? start : null };
}

/**
 * A fresh lab id for a run owned by `ownerPid`: the start time and a random part, so that two runs
 * never share a namespace or container name — not even runs with the same pid in different pid
 * namespaces, or a run that reuses the pid of a killed one within the same millisecond.
 */
export function newLabId(ownerPid: number, now = Date.now()): string {
  return labId(ownerPid, `${now.toString(36)}${randomBytes(3).toString('hex')}`);
}

/** The owner pid of a lab namespace name, or null for any other name. */
export function ownerOf(name: string): number | null {
  return labOwnerOf(name)?.pid ?? null;
}

/** The owner still runs: its pid exists with the start time in the name (a reused pid is not it). */
export function ownerAlive(owner: LabOwner): boolean {
  const start = startTimeOf(owner.pid);
  if (start === null) return false;
  return owner.start === null || owner.start === start;
}

function run(file: string, args: string[]): string {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 5000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new LabError(code === 'ENOENT' ? `${file} not found (the lab needs iproute2)` : `${file} ${args.join(' ')}: ${r.error.message}`);
  }
  if (r.status !== 0) throw new LabError(`${file} ${args.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`);
  return r.stdout;
}

/** Names from `ip netns list` ("NAME" or "NAME (id: N)"). */
export function parseNetnsList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n): n is string => Boolean(n));
}

export function listLabNamespaces(): string[] {
  return parseNetnsList(run('ip', ['netns', 'list'])).filter((n) => n.startsWith(LAB_PREFIX));
}

/** Pids of every process whose network namespace is `name`. */
export function namespacePids(name: string): number[] {
  return run('ip', ['netns', 'pids', name])
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

/**
 * tbf on loopback: 1 Mbit/s makes each wave of handshakes queue for tens of ms, so SYNs of a wave
 * pass before the ACKs that fill the accept queue (tc-tbf(8); netem, the usual delay qdisc, is
 * not built into every kernel).
 */
export const SHAPE_LOOPBACK = ['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '1mbit', 'burst', '1600', 'latency', '2s'];

/** Creates the namespace; on any failure removes what was made and throws. */
export function createNamespace(name: string, setup: NamespaceSetup): void {
  run('ip', ['netns', 'add', name]);
  try {
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    const pairs = Object.entries(setup.sysctls).map(([k, v]) => `${k}=${v}`);
    if (pairs.length) run('ip', ['netns', 'exec', name, 'sysctl', '-q', '-w', ...pairs]);
    if (setup.shapeLoopback) run('tc', ['-n', name, ...SHAPE_LOOPBACK]);
  } catch (err) {
    destroyNamespace(name);
    throw err;
  }
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      // Exited since `ip netns pids` listed it.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Kills every process inside, waits until none is left (bounded), deletes the namespace.
 * Returns what it could not do, as sentences; [] when all went.
 */
export function destroyNamespace(name: string): string[] {
  const problems: string[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const pids = namespacePids(name);
      if (!pids.length) break;
      killAll(pids);
      pause(50);
    }
    const left = namespacePids(name);
    if (left.length) problems.push(`processes still in ${name} after SIGKILL: ${left.join(', ')}`);
  } catch (err) {
    problems.push((err as Error).message);
  }
  try {
    if (listLabNamespaces().includes(name)) run('ip', ['netns', 'del', name]);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

/** Removes lab namespaces whose owner is gone (a run killed with SIGKILL cannot clean up itself). */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const name of listLabNamespaces()) {
    const owner = labOwnerOf(name);
    if (owner === null || ownerAlive(owner)) continue;
    if (destroyNamespace(name).length === 0) removed.push(name);
  }
  return removed;
}

/**
 * The processes of a host: the numeric entries of ROOT/proc. procfs lists thread-group leaders only
 * (fs/proc/base.c proc_pid_readdir walks tgids), so each pid is a process, not a thread.
 */
import { listUnder } from './read-file.js';

/** True when `name` is a non-empty run of ASCII digits without a leading zero. */
export function isPidName(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > 10 || name.charCodeAt(0) === 48) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Pids under ROOT/proc, ascending. Throws the errno error when ROOT/proc cannot be listed.
 * @example listPids('/') // [1, 2, 3, ...]
 */
export function listPids(root = '/'): number[] {
  const pids: number[] = [];
  for (const name of listUnder(root, 'proc', 'proc')) if (isPidName(name)) pids.push(Number(name));
  return pids.sort((a, b) => a - b);
}

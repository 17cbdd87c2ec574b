/**
 * The processes of a host: the numeric entries of ROOT/proc. procfs lists thread-group leaders only
 * (fs/proc/base.c proc_pid_readdir walks tgids), so each pid is a process, not a thread.
 */
import { listUnder } from './read-file.js';

/** The largest pid a kernel can hand out (include/linux/threads.h PID_MAX_LIMIT, 64-bit: 4 * 1024 * 1024). */
export const PID_MAX_LIMIT = 4194304;

/**
 * True when `name` is a non-empty run of ASCII digits without a leading zero, at most PID_MAX_LIMIT.
 * A larger one is no process (in a capture, "4294967297" once wrapped to pid 1 in the native walk's Int32Array).
 */
export function isPidName(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > 7 || name.charCodeAt(0) === 48) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(name) <= PID_MAX_LIMIT;
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

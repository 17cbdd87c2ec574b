/**
 * The states of a process's threads: /proc/PID/task/TID/stat of each thread (the same line as
 * /proc/PID/stat, fs/proc/array.c do_task_stat, one per task). Read only for the few processes
 * whose listeners keep clients waiting: "8 of 8 threads running" (busy: accept() waits its turn)
 * reads differently from "all sleeping" (idle, yet not accepting) or "all in D" (blocked on I/O).
 */
import { isPidName } from './pids.js';
import { parsePidStat } from './pid-stat.js';
import { listUnder, outcomeOf, readUnder, under } from './read-file.js';
import type { ThreadStates } from '../snapshot/types.js';

/** Threads read per process at most: a Java server with 20,000 threads costs no more than this. */
export const THREAD_SCAN_MAX = 4096;

/**
 * Counts the states of the threads of `pid` under ROOT/proc. Threads that exit meanwhile are left
 * out. Throws the errno error when the task directory cannot be listed (the process is gone, or refused).
 */
export function readPidThreads(root: string, pid: number, max = THREAD_SCAN_MAX): ThreadStates {
  const tids = listUnder(root, `proc/${pid}/task`, 'proc')
    .filter(isPidName)
    .map(Number)
    .sort((a, b) => a - b);
  const byState: Record<string, number> = {};
  let total = 0;
  for (const tid of tids.slice(0, max)) {
    let state: string;
    try {
      state = parsePidStat(readUnder(root, `proc/${pid}/task/${tid}/stat`, 'proc'), under(root, 'proc', String(pid), 'task', String(tid), 'stat')).state;
    } catch (err) {
      if (outcomeOf(err) === 'absent') continue; // the thread exited since the listing
      throw err;
    }
    byState[state] = (byState[state] ?? 0) + 1;
    total++;
  }
  return { total, byState, truncated: tids.length > max };
}

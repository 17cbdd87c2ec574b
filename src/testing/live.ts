/** Helpers for live tests: bounded polling, process liveness and children. */
import { existsSync, readFileSync } from 'node:fs';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a value (bounded: 100 tries, 10 s at most). */
export async function waitFor<T>(what: string, fn: () => T | null): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = fn();
    if (v !== null) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The process exists and is not a zombie. A process that exits while its stat is read makes the
 * read fail with ESRCH (or ENOENT): it is not alive, not an error (a full run hit this once).
 */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return false;
    throw err;
  }
}

/** Children of a process (/proc/PID/task/PID/children, kernel ≥ 3.5 with CONFIG_PROC_CHILDREN). */
export function children(pid: number): number[] {
  const f = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(f)) return [];
  return readFileSync(f, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
}


/**
 * Job control for the full-screen `watch`, as a shell expects of a program that owns the terminal
 * (less, vim, ncurses' own SIGTSTP handler): give the terminal back before stopping, take it again
 * only when in the foreground.
 */
import { readFileSync } from 'node:fs';

/**
 * pgrp and tpgid from /proc/PID/stat (proc(5): fields 5 and 8, after the parenthesised comm, which
 * may itself hold spaces and parentheses: the last ')' ends it).
 */
export function parseJobFields(stat: string): { pgrp: number; tpgid: number } | null {
  const end = stat.lastIndexOf(')');
  if (end < 0) return null;
  const f = stat.slice(end + 2).split(' ');
  const pgrp = Number(f[2]);
  const tpgid = Number(f[5]);
  return Number.isInteger(pgrp) && Number.isInteger(tpgid) ? { pgrp, tpgid } : null;
}

/**
 * True when this process's group is the terminal's foreground group, or when that cannot be told
 * (no controlling terminal: tpgid -1; /proc unreadable): only then may it write modes and screens.
 */
export function inForeground(stat?: string): boolean {
  let text = stat;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/stat', 'latin1');
    } catch {
      return true;
    }
  }
  const j = parseJobFields(text);
  return !j || j.tpgid <= 0 || j.tpgid === j.pgrp;
}

/**
 * Stops `target` (0: this process's whole group, as the terminal's Ctrl-Z would; or a pid) with
 * `signal`'s default action: this process's listeners for it are taken off for the moment, so
 * libuv puts SIG_DFL back (uv__signal_unregister_handler), then put back once the kill returns —
 * which, for this process, is after a SIGCONT. A process group the kernel considers orphaned
 * discards the stop (POSIX): the kill then returns at once.
 */
export function stopWithDefault(signal: 'SIGTSTP' | 'SIGTTOU', target: number): void {
  const listeners = process.listeners(signal) as Array<(s: NodeJS.Signals) => void>;
  for (const l of listeners) process.off(signal, l);
  try {
    process.kill(target, signal);
  } finally {
    for (const l of listeners) process.on(signal, l);
  }
}

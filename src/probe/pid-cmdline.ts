/**
 * /proc/PID/cmdline: the argv area of the process, each argument followed by NUL (fs/proc/base.c
 * get_mm_cmdline). Empty for kernel threads and zombies. A program that rewrites its title
 * (setproctitle, as nginx and postgres do) may leave one string with spaces and no inner NUL.
 */
import { hostText } from '../safety/host-bytes.js';
import { readUnder } from './read-file.js';

export interface PidCmdline {
  argv: string[];
  /** argv joined with single spaces, as `ps -o args` shows it; "" when empty. */
  joined: string;
}

/**
 * Splits the NUL-separated text of /proc/PID/cmdline.
 * @example parsePidCmdline('nginx: master\0').argv // ['nginx: master']
 */
export function parsePidCmdline(text: string): PidCmdline {
  // Bytes arrive latin1-decoded (lossless); arguments are usually UTF-8, and a byte that is not is
  // kept (src/safety/host-bytes.ts).
  const utf8 = /[^\x00-\x7f]/.test(text) ? hostText(Buffer.from(text, 'latin1')) : text;
  const body = utf8.endsWith('\0') ? utf8.slice(0, -1) : utf8;
  const argv = body === '' ? [] : body.split('\0');
  return { argv, joined: argv.join(' ') };
}

/** Reads and parses ROOT/proc/PID/cmdline. Throws the errno error when the process is gone. */
export function readPidCmdline(root: string, pid: number): PidCmdline {
  return parsePidCmdline(readUnder(root, `proc/${pid}/cmdline`, 'proc'));
}

/**
 * /proc/PID/stat: one line written by fs/proc/array.c do_task_stat as
 * `pid (comm) state ppid pgrp session ... starttime ...`. comm is printed raw between parentheses
 * and may itself contain spaces, '(' , ')' and even newlines (a process sets it through
 * prctl(PR_SET_NAME) or /proc/PID/comm), so the fields after it are found from the LAST ')'.
 */
import { ParseError, readUnder, under } from './read-file.js';

export interface PidStat {
  /** Field 1: the process id (tgid). */
  pid: number;
  /** Field 2: comm, at most 15 bytes (TASK_COMM_LEN - 1), UTF-8 decoded. */
  name: string;
  /** Field 3: one letter, R S D Z T t X I (fs/proc/array.c task_state_array). */
  state: string;
  /** Field 4: parent pid; 0 for pid 1, kthreadd, and processes whose parent is outside the pid namespace. */
  ppid: number;
  /** Field 22: start time after boot, in clock ticks (sysconf(_SC_CLK_TCK)); tells a reused pid apart. */
  starttime: number;
}

/** Index of field 22 (starttime) among the space-separated fields that follow ") ". */
const STARTTIME_AFTER_COMM = 22 - 3;

/**
 * Parses the text of /proc/PID/stat. Throws ParseError (line 1) when the line is truncated or a field
 * is not what the kernel writes.
 * @example parsePidStat('42 (a) b) S 1 42 42 0 -1 ...').name // 'a) b'
 */
export function parsePidStat(text: string, file = 'stat'): PidStat {
  const open = text.indexOf(' (');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) throw new ParseError(file, 1, 'no "pid (comm)" at the start');
  const pid = Number(text.slice(0, open));
  if (!Number.isInteger(pid) || pid <= 0) throw new ParseError(file, 1, 'pid is not a number');
  const rest = text.slice(close + 2).trimEnd().split(' ');
  if (rest.length <= STARTTIME_AFTER_COMM) {
    throw new ParseError(file, 1, `truncated: ${rest.length + 2} fields, at least 22 expected`);
  }
  const state = rest[0];
  if (state.length !== 1) throw new ParseError(file, 1, 'state is not one letter');
  const ppid = Number(rest[1]);
  const starttime = Number(rest[STARTTIME_AFTER_COMM]);
  if (!Number.isInteger(ppid) || rest[1] === '') throw new ParseError(file, 1, 'ppid is not a number');
  if (!Number.isInteger(starttime) || rest[STARTTIME_AFTER_COMM] === '') {
    throw new ParseError(file, 1, 'starttime is not a number');
  }
  // readUnder decodes bytes as latin1 (lossless); comm is usually UTF-8, so decode it as such.
  const name = Buffer.from(text.slice(open + 2, close), 'latin1').toString('utf8');
  return { pid, name, state, ppid, starttime };
}

/** Reads and parses ROOT/proc/PID/stat. Throws the errno error (ENOENT/ESRCH when the process is gone). */
export function readPidStat(root: string, pid: number): PidStat {
  const file = under(root, 'proc', String(pid), 'stat');
  return parsePidStat(readUnder(root, `proc/${pid}/stat`, 'proc'), file);
}

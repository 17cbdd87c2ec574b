/**
 * /proc/PID/stat: one line written by fs/proc/array.c do_task_stat as
 * `pid (comm) state ppid pgrp session ... starttime ...`. comm is printed raw between parentheses
 * and may itself contain spaces, '(' , ')' and even newlines (a process sets it through
 * prctl(PR_SET_NAME) or /proc/PID/comm), so the fields after it are found from the LAST ')'.
 */
import { hostText } from '../safety/host-bytes.js';
import { RANGE, unsignedDecimal } from './kernel-number.js';
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
  /**
   * Field 9 has PF_KTHREAD (include/linux/sched.h, 0x00200000): a kernel thread, which runs no
   * program and holds no fds; known from this one read, before any other file of it is opened.
   */
  kthread: boolean;
}

/** PF_KTHREAD in the task's flags (include/linux/sched.h). */
const PF_KTHREAD = 0x00200000;
/** Index of field 9 (flags) among the space-separated fields that follow ") ". */
const FLAGS_AFTER_COMM = 9 - 3;

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
  const pid = unsignedDecimal(text.slice(0, open), RANGE.pid);
  if (pid === null || pid === 0) throw new ParseError(file, 1, 'pid is not a number');
  const rest = text.slice(close + 2).trimEnd().split(' ');
  if (rest.length <= STARTTIME_AFTER_COMM) {
    throw new ParseError(file, 1, `truncated: ${rest.length + 2} fields, at least 22 expected`);
  }
  const state = rest[0];
  if (state.length !== 1) throw new ParseError(file, 1, 'state is not one letter');
  const ppid = unsignedDecimal(rest[1], RANGE.pid);
  const starttime = unsignedDecimal(rest[STARTTIME_AFTER_COMM], RANGE.safe);
  if (ppid === null) throw new ParseError(file, 1, 'ppid is not a pid');
  if (starttime === null) {
    throw new ParseError(file, 1, 'starttime is not a number');
  }
  // readUnder decodes bytes as latin1 (lossless); comm is usually UTF-8, so decode it as such,
  // keeping a byte that is not UTF-8 (src/safety/host-bytes.ts): a name is the process's bytes.
  const raw = text.slice(open + 2, close);
  // Nearly every comm is ASCII, which latin1 and UTF-8 read alike: decode only the others.
  const name = /[^\x00-\x7f]/.test(raw) ? hostText(Buffer.from(raw, 'latin1')) : raw;
  // Flags are an unsigned int (0 .. 2^32-1): a division keeps the bit test exact past 2^31.
  const flags = unsignedDecimal(rest[FLAGS_AFTER_COMM], RANGE.safe);
  const kthread = flags !== null && Math.floor(flags / PF_KTHREAD) % 2 === 1;
  return { pid, name, state, ppid, starttime, kthread };
}

/** Reads and parses ROOT/proc/PID/stat. Throws the errno error (ENOENT/ESRCH when the process is gone). */
export function readPidStat(root: string, pid: number): PidStat {
  const file = under(root, 'proc', String(pid), 'stat');
  return parsePidStat(readUnder(root, `proc/${pid}/stat`, 'proc'), file);
}

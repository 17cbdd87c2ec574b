/**
 * /proc/PID/limits: the resource limits in force for a process (fs/proc/base.c proc_pid_limits).
 * The kernel prints fixed-width columns with "%-25s %-20s %-20s %-10s": the name is padded to 25
 * characters and may contain spaces ("Max open files"), so it is cut by column; values are either
 * "unlimited" (RLIM_INFINITY) or an unsigned decimal. A shell's `ulimit -n` shows only that shell's
 * limit; this file is the effective limit of the process itself.
 */
import { ParseError, readUnder, under } from './read-file.js';

export type LimitValue = number | 'unlimited';

export interface LimitRow {
  /** "Max open files", "Max processes", ... (lnames[] in fs/proc/base.c). */
  name: string;
  soft: LimitValue;
  hard: LimitValue;
  /** "files", "bytes", "seconds", "us"; "" for limits printed without a unit (nice, rtprio). */
  units: string;
}

const HEADER = 'Limit';
/** The name column is "%-25s " wide: values start at column 26. */
const NAME_WIDTH = 25;
/** RLIMIT_NOFILE's row name (lnames[RLIMIT_NOFILE]). */
export const NOFILE_ROW = 'Max open files';

function limitValue(token: string, file: string, line: number): LimitValue {
  if (token === 'unlimited') return 'unlimited';
  // Values up to 2^64-2 are legal; above 2^53 a JS number rounds, which no fd limit reaches (fs.nr_open caps it).
  if (!/^\d+$/.test(token)) throw new ParseError(file, line, `limit is neither a number nor "unlimited": ${JSON.stringify(token)}`);
  return Number(token);
}

/**
 * Parses every row of /proc/PID/limits. Throws ParseError naming the line when the header is missing
 * or a row does not have the kernel's shape.
 * @example nofile(parsePidLimits(text)) // { soft: 1024, hard: 524288 }
 */
export function parsePidLimits(text: string, file = 'limits'): LimitRow[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0 || !lines[0].startsWith(HEADER) || !lines[0].includes('Soft Limit')) {
    throw new ParseError(file, 1, 'not a limits header');
  }
  const rows: LimitRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length <= NAME_WIDTH || line.charCodeAt(NAME_WIDTH) !== 32) {
      throw new ParseError(file, i + 1, `row shorter than the ${NAME_WIDTH}-character name column`);
    }
    const name = line.slice(0, NAME_WIDTH).trimEnd();
    const fields = line.slice(NAME_WIDTH + 1).trim().split(/ +/);
    if (name === '' || fields.length < 2 || fields.length > 3) {
      throw new ParseError(file, i + 1, 'expected "name soft hard [units]"');
    }
    rows.push({
      name,
      soft: limitValue(fields[0], file, i + 1),
      hard: limitValue(fields[1], file, i + 1),
      units: fields[2] ?? '',
    });
  }
  return rows;
}

/** RLIMIT_NOFILE (the "Max open files" row), or null when the rows lack it. */
export function nofile(rows: readonly LimitRow[]): { soft: LimitValue; hard: LimitValue } | null {
  const row = rows.find((r) => r.name === NOFILE_ROW);
  return row ? { soft: row.soft, hard: row.hard } : null;
}

/** Reads and parses ROOT/proc/PID/limits. Throws the errno error when the process is gone. */
export function readPidLimits(root: string, pid: number): LimitRow[] {
  const file = under(root, 'proc', String(pid), 'limits');
  return parsePidLimits(readUnder(root, `proc/${pid}/limits`, 'proc'), file);
}

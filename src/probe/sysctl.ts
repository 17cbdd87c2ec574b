/**
 * Kernel tunables from ROOT/proc/sys. The net.* entries are per network namespace
 * (net.core.somaxconn of a container may differ from the host's); fs.* are global.
 */
import { ParseError, readUnder, runProbe, under } from './read-file.js';
import type { ProbeReport, Tunables } from '../snapshot/types.js';

/** "fs.file-nr" -> "proc/sys/fs/file-nr" (sysctl names map dots to directories; see man sysctl.conf). */
export function sysctlPath(name: string): string {
  return `proc/sys/${name.replace(/\./g, '/')}`;
}

/**
 * Parses the whitespace-separated integers of a /proc/sys file ("4096\n", "32768\t60999\n").
 * Throws ParseError when the count differs from `count` or a field is not an integer.
 * @example parseSysctlNumbers('32768\t60999\n', 2) // [32768, 60999]
 */
export function parseSysctlNumbers(text: string, count: number, file = 'proc/sys'): number[] {
  const trimmed = text.trim();
  const fields = trimmed === '' ? [] : trimmed.split(/\s+/);
  if (fields.length !== count) {
    throw new ParseError(file, 1, `expected ${count} number${count === 1 ? '' : 's'}`);
  }
  return fields.map((f) => {
    if (!/^-?\d+$/.test(f)) throw new ParseError(file, 1, 'not an integer');
    return Number(f);
  });
}

/** Parses a single-integer /proc/sys file. */
export function parseSysctlNumber(text: string, file = 'proc/sys'): number {
  return parseSysctlNumbers(text, 1, file)[0];
}

/** Names of every tunable sockdoc reads, with how many integers each file holds. */
const ARITY: { [K in keyof Tunables]: number } = {
  'net.core.somaxconn': 1,
  'net.ipv4.tcp_max_syn_backlog': 1,
  'net.ipv4.tcp_syncookies': 1,
  'net.ipv4.tcp_abort_on_overflow': 1,
  'net.core.netdev_max_backlog': 1,
  'fs.file-max': 1,
  'fs.nr_open': 1,
  'fs.file-nr': 3, // allocated, free, max (fs/file_table.c proc_nr_files)
  'net.ipv4.ip_local_port_range': 2, // low, high
};

export const TUNABLE_NAMES = Object.keys(ARITY) as Array<keyof Tunables>;

/** Reads every tunable; one report per file, a missing or unreadable one stays null. */
export function readTunables(root = '/'): { tunables: Tunables; reports: ProbeReport[] } {
  const reports: ProbeReport[] = [];
  const values: Record<string, number | number[] | null> = {};
  for (const name of TUNABLE_NAMES) {
    const path = under(root, sysctlPath(name));
    const arity = ARITY[name];
    const { value, report } = runProbe('sysctl', path, () => parseSysctlNumbers(readUnder(root, sysctlPath(name), 'proc'), arity, path));
    if (report.status === 'absent') report.detail = `${name} is not available (${path} missing)`;
    reports.push(report);
    values[name] = value === null ? null : arity === 1 ? value[0] : value;
  }
  return { tunables: values as unknown as Tunables, reports };
}

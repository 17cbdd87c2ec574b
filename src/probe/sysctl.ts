/**
 * Kernel tunables from ROOT/proc/sys. The net.* entries are per network namespace
 * (net.core.somaxconn of a container may differ from the host's); fs.* are global.
 */
import { signedDecimal, u64Decimal } from './kernel-number.js';
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
    // %d, %ld or %lu (proc_dointvec, proc_doulongvec_minmax): within -2^63 .. 2^64 - 1.
    const n = f.startsWith('-') ? signedDecimal(f) : u64Decimal(f);
    if (n === null) throw new ParseError(file, 1, 'not an integer the kernel can hold');
    return n;
  });
}

/** Parses a single-integer /proc/sys file. */
export function parseSysctlNumber(text: string, file = 'proc/sys'): number {
  return parseSysctlNumbers(text, 1, file)[0];
}

/**
 * Parses net.ipv4.ip_local_reserved_ports: comma-separated ports and ranges, "" when none
 * (net/ipv4/sysctl_net_ipv4.c, proc_do_large_bitmap prints "8080,9000-9010").
 * @example parseReservedPorts('8080,9000-9010\n') // [[8080, 8080], [9000, 9010]]
 */
export function parseReservedPorts(text: string, file = 'proc/sys/net/ipv4/ip_local_reserved_ports'): Array<[number, number]> {
  const t = text.trim();
  if (t === '') return [];
  return t.split(',').map((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new ParseError(file, 1, 'expected ports and ranges like 8080,9000-9010');
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 65535) throw new ParseError(file, 1, 'a range is reversed or past port 65535');
    return [lo, hi] as [number, number];
  });
}

/** Reads one numeric sysctl (`arity` integers); value null with a non-ok report when absent or bad. */
export function readSysctl(root: string, name: string, arity = 1): { value: number[] | null; report: ProbeReport } {
  const path = under(root, sysctlPath(name));
  const r = runProbe('sysctl', path, () => parseSysctlNumbers(readUnder(root, sysctlPath(name), 'proc'), arity, path));
  if (r.report.status === 'absent') r.report.detail = `${name} is not available (${path} missing)`;
  return r;
}

/** Names of every numeric tunable sockdoc reads, with how many integers each file holds. */
const ARITY: { [K in Exclude<keyof Tunables, 'net.ipv4.ip_local_reserved_ports'>]-?: number } = {
  'net.core.somaxconn': 1,
  'net.ipv4.tcp_max_syn_backlog': 1,
  'net.ipv4.tcp_syncookies': 1,
  'net.ipv4.tcp_abort_on_overflow': 1,
  'net.core.netdev_max_backlog': 1,
  'fs.file-max': 1,
  'fs.nr_open': 1,
  'fs.file-nr': 3, // allocated, free, max (fs/file_table.c proc_nr_files)
  'net.ipv4.ip_local_port_range': 2, // low, high
  'net.ipv4.tcp_tw_reuse': 1,
  'net.ipv4.tcp_mem': 3, // pages: min, pressure, max
  'net.ipv4.tcp_max_orphans': 1,
};

const RESERVED_PORTS = 'net.ipv4.ip_local_reserved_ports';

export const TUNABLE_NAMES = [...Object.keys(ARITY), RESERVED_PORTS] as Array<keyof Tunables>;

/** Reads every tunable; one report per file, a missing or unreadable one stays null. */
export function readTunables(root = '/'): { tunables: Tunables; reports: ProbeReport[] } {
  const reports: ProbeReport[] = [];
  const values: Record<string, number | number[] | null> = {};
  for (const name of Object.keys(ARITY) as Array<keyof typeof ARITY>) {
    const arity = ARITY[name];
    const { value, report } = readSysctl(root, name, arity);
    reports.push(report);
    values[name] = value === null ? null : arity === 1 ? value[0] : value;
  }
  const path = under(root, sysctlPath(RESERVED_PORTS));
  const reserved = runProbe('sysctl', path, () => parseReservedPorts(readUnder(root, sysctlPath(RESERVED_PORTS), 'proc'), path));
  if (reserved.report.status === 'absent') reserved.report.detail = `${RESERVED_PORTS} is not available (${path} missing)`;
  reports.push(reserved.report);
  return { tunables: { ...(values as unknown as Tunables), [RESERVED_PORTS]: reserved.value }, reports };
}

/**
 * net.* tunables the kernel keeps for the whole host: tcp_mem and tcp_max_orphans are globals
 * (include/net/tcp.h sysctl_tcp_mem, sysctl_tcp_max_orphans) registered in the initial namespace
 * only (net/ipv4/sysctl_net_ipv4.c ipv4_table, not ipv4_net_table): another namespace has no such
 * file. Read once from the host, every namespace is judged against the host's value, and a
 * namespace is not "partial" for lacking what does not exist in it.
 */
export const HOST_WIDE_NET_TUNABLES: ReadonlyArray<keyof Tunables> = ['net.ipv4.tcp_mem', 'net.ipv4.tcp_max_orphans'];

/**
 * The tunables read per network namespace (net.*; fs.* and the host-wide net.* above are global).
 * A namespace other than the initial one has no net.core.netdev_max_backlog either
 * (net/core/sysctl_net_core.c registers it in the init namespace only), so it stays null there.
 */
export const NET_TUNABLE_NAMES = TUNABLE_NAMES.filter((n) => n.startsWith('net.') && !HOST_WIDE_NET_TUNABLES.includes(n));

/** Parses the text of one tunable's file (as readTunables does); throws ParseError. */
export function parseTunable(name: keyof Tunables, text: string, file = sysctlPath(name)): number | number[] | Array<[number, number]> {
  if (name === RESERVED_PORTS) return parseReservedPorts(text, file);
  const arity = ARITY[name];
  const v = parseSysctlNumbers(text, arity, file);
  return arity === 1 ? v[0] : v;
}

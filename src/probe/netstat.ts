/**
 * /proc/net/netstat and /proc/net/snmp: protocol counters of the reader's network namespace.
 *
 * Both files are pairs of lines, "Prefix: Name Name ..." then "Prefix: value value ..."
 * (net/ipv4/proc.c `netstat_seq_show`, `snmp_seq_show_tcp_udp`). Counters such as
 * TcpExt.ListenOverflows are how the kernel admits it dropped a handshake on a full accept queue.
 */
import { signedDecimal, u64Decimal } from './kernel-number.js';
import { ParseError, readUnder, runProbe, under } from './read-file.js';
import type { ProbeReport } from '../snapshot/types.js';

/** Splits "Prefix: a b c" into its prefix and fields; null when there is no "Prefix:". */
function splitLine(line: string): { prefix: string; fields: string[] } | null {
  const colon = line.indexOf(':');
  if (colon <= 0) return null;
  const rest = line.slice(colon + 1).trim();
  return { prefix: line.slice(0, colon), fields: rest === '' ? [] : rest.split(/\s+/) };
}

/**
 * Parses /proc/net/netstat or /proc/net/snmp into "Prefix.Name" -> value
 * ("TcpExt.ListenOverflows", "Tcp.CurrEstab"). Throws ParseError for a line without a prefix,
 * a names line without its values line, a pair whose prefixes or field counts differ, or a value
 * that is not an integer (snmp prints Tcp.MaxConn as -1, so negatives are allowed). `out` receives
 * the values (several files merged without copying: one namespace's netstat and snmp).
 * @example parseNetstat('Tcp: CurrEstab\nTcp: 3\n')['Tcp.CurrEstab'] // 3
 */
export function parseNetstat(text: string, file = 'proc/net/netstat', out: Record<string, number> = {}): Record<string, number> {
  const lines = text.split('\n');
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  for (let i = 0; i < lines.length; i += 2) {
    const names = splitLine(lines[i]);
    if (!names) throw new ParseError(file, i + 1, 'expected "Prefix: Name ..."');
    if (i + 1 >= lines.length) throw new ParseError(file, i + 1, 'a names line without its values line');
    const values = splitLine(lines[i + 1]);
    if (!values || values.prefix !== names.prefix) {
      throw new ParseError(file, i + 2, 'expected the values line for the names line above');
    }
    if (values.fields.length !== names.fields.length) {
      throw new ParseError(
        file,
        i + 2,
        `${names.fields.length} names but ${values.fields.length} values`,
      );
    }
    for (let k = 0; k < names.fields.length; k++) {
      const v = values.fields[k];
      // snmp_seq_show prints %lu (and %ld for Tcp.MaxConn): -2^63 .. 2^64 - 1.
      const n = v.startsWith('-') ? signedDecimal(v) : u64Decimal(v);
      if (n === null) throw new ParseError(file, i + 2, `value ${k + 1} is not an integer`);
      out[`${names.prefix}.${names.fields[k]}`] = n;
    }
  }
  return out;
}

/**
 * Reads and merges ROOT/proc/net/netstat and ROOT/proc/net/snmp (one report each). `netDir` reads
 * another namespace's: "proc/PID/net" is the namespace of process PID (fs/proc/proc_net.c).
 */
export function readCounters(root = '/', netDir = 'proc/net'): { values: Record<string, number>; reports: ProbeReport[] } {
  const values: Record<string, number> = {};
  const reports: ProbeReport[] = [];
  for (const name of ['netstat', 'snmp']) {
    const path = under(root, netDir, name);
    const { value, report } = runProbe('netstat', path, () => parseNetstat(readUnder(root, `${netDir}/${name}`, 'proc'), path));
    reports.push(report);
    if (value) Object.assign(values, value);
  }
  return { values, reports };
}

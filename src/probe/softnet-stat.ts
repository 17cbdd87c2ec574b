/**
 * /proc/net/softnet_stat: one row per online CPU of the receive path's per-CPU state, hex fields
 * (net/core/net-procfs.c `softnet_seq_show`): processed, dropped, time_squeeze, five zeros,
 * cpu_collision, received_rps, flow_limit_count, and since 5.10 backlog length and cpu index.
 * `dropped` counts packets thrown away because the CPU's input backlog queue already held
 * net.core.netdev_max_backlog packets (net/core/dev.c `enqueue_to_backlog`). Host-wide: the same
 * file in every network namespace.
 */
import { ParseError, readUnder, runProbe, under } from './read-file.js';
import type { ProbeReport, SoftnetCpu } from '../snapshot/types.js';

/**
 * Parses the rows; the CPU is the 13th field when present (5.10+), else the row index.
 * Throws ParseError for a row with fewer than 3 fields or a field that is not hex.
 * @example parseSoftnetStat('00000010 00000002 00000000\n')[0].dropped // 2
 */
export function parseSoftnetStat(text: string, file = 'proc/net/softnet_stat'): SoftnetCpu[] {
  const out: SoftnetCpu[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const f = line.trim().split(/\s+/);
    if (f.length < 3) throw new ParseError(file, i + 1, `${f.length} fields, expected at least 3`);
    for (const x of f) if (!/^[0-9a-fA-F]{1,16}$/.test(x)) throw new ParseError(file, i + 1, 'a field is not 1 to 16 hex digits');
    const n = (k: number) => parseInt(f[k], 16);
    out.push({ cpu: f.length >= 13 ? n(12) : out.length, processed: n(0), dropped: n(1), timeSqueeze: n(2) });
  });
  return out;
}

export function readSoftnetStat(root = '/'): { value: SoftnetCpu[] | null; report: ProbeReport } {
  const path = under(root, 'proc/net/softnet_stat');
  return runProbe('softnet-stat', path, () => parseSoftnetStat(readUnder(root, 'proc/net/softnet_stat', 'proc-table'), path));
}

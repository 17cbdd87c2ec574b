/**
 * /proc/net/stat/nf_conntrack: connection-tracking statistics of the reader's network namespace,
 * one row per possible CPU, every field 8 hex digits (net/netfilter/nf_conntrack_standalone.c
 * `ct_cpu_seq_show`). The header names the columns; they changed across kernels (6.x: entries
 * clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop
 * icmp_error expect_new expect_create expect_delete search_restart), so fields are read by name.
 *
 * `entries` is the namespace's current table count (the same on every row); the rest are per-CPU
 * event counters, summed here. The file exists only while the nf_conntrack module is loaded.
 */
import { ParseError, readUnder, runProbe, under } from './read-file.js';
import type { ProbeReport } from '../snapshot/types.js';

export const NF_CONNTRACK_STAT = 'proc/net/stat/nf_conntrack';

export interface NfConntrackStat {
  /** Current entries of this namespace's table (column `entries`); null when the kernel has no such column. */
  entries: number | null;
  /** Every other column summed over CPUs, by its header name: drop, early_drop, insert_failed, ... */
  totals: Record<string, number>;
  cpus: number;
}

/**
 * Parses the header and the per-CPU hex rows. Throws ParseError for a missing header, a row whose
 * field count differs from the header's, or a field that is not hex.
 * @example parseNfConntrackStat('entries drop\n00000002 00000001\n00000002 00000003\n').totals.drop // 4
 */
export function parseNfConntrackStat(text: string, file = NF_CONNTRACK_STAT): NfConntrackStat {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0 || !/^\s*entries\b/.test(lines[0])) throw new ParseError(file, 1, 'missing header "entries ..."');
  const names = lines[0].trim().split(/\s+/);
  const totals: Record<string, number> = {};
  for (const n of names) if (n !== 'entries') totals[n] = 0;
  let entries: number | null = null;
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i].trim().split(/\s+/);
    if (fields.length !== names.length) throw new ParseError(file, i + 1, `${fields.length} fields, header has ${names.length}`);
    fields.forEach((f, k) => {
      if (!/^[0-9a-fA-F]{1,16}$/.test(f)) throw new ParseError(file, i + 1, `${names[k]} is not 1 to 16 hex digits`);
      const v = parseInt(f, 16);
      if (names[k] === 'entries') entries = v;
      else totals[names[k]] += v;
    });
  }
  return { entries, totals, cpus: lines.length - 1 };
}

/** Reads ROOT/proc/net/stat/nf_conntrack; value null (report absent) when nf_conntrack is not loaded. */
export function readNfConntrackStat(root = '/'): { value: NfConntrackStat | null; report: ProbeReport } {
  const path = under(root, NF_CONNTRACK_STAT);
  const r = runProbe('nf-conntrack-stat', path, () => parseNfConntrackStat(readUnder(root, NF_CONNTRACK_STAT, 'proc-table'), path));
  if (r.report.status === 'absent') r.report.detail = 'nf_conntrack is not loaded here: no connection tracking to judge';
  return r;
}

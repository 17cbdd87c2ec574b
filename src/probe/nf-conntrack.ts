/**
 * The conntrack sysctls of the reader's network namespace, /proc/sys/net/netfilter/:
 * nf_conntrack_count (this namespace's entries), nf_conntrack_max (the host-wide limit each
 * namespace's count is held to; read-only outside the initial namespace) and nf_conntrack_buckets
 * (hash size). The directory exists only while the nf_conntrack module is loaded: then there is
 * nothing to judge, which is not an error.
 */
import { readSysctl } from './sysctl.js';
import type { ProbeReport } from '../snapshot/types.js';

export interface NfConntrackSysctls {
  count: number;
  max: number | null;
  buckets: number | null;
}

/** value null when nf_conntrack is not loaded (count absent); max/buckets null when unreadable. */
export function readNfConntrack(root = '/'): { value: NfConntrackSysctls | null; reports: ProbeReport[] } {
  const count = readSysctl(root, 'net.netfilter.nf_conntrack_count');
  if (count.report.status === 'absent') {
    count.report.detail = 'nf_conntrack is not loaded here: no connection tracking to judge';
    return { value: null, reports: [count.report] };
  }
  const max = readSysctl(root, 'net.netfilter.nf_conntrack_max');
  const buckets = readSysctl(root, 'net.netfilter.nf_conntrack_buckets');
  const reports = [count.report, max.report, buckets.report];
  if (count.value === null) return { value: null, reports };
  return { value: { count: count.value[0], max: max.value?.[0] ?? null, buckets: buckets.value?.[0] ?? null }, reports };
}

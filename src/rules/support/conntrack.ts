/**
 * The body shared by conntrack-table-full and conntrack-table-near: one network namespace's
 * conntrack table against the host-wide nf_conntrack_max.
 *
 * net/netfilter/nf_conntrack_core.c `__nf_conntrack_alloc`: when the namespace's count passes
 * nf_conntrack_max the kernel evicts one not-yet-assured entry (`early_drop`, counted as
 * early_drop); when there is none it logs "nf_conntrack: table full, dropping packet" and the
 * packet is dropped (`nf_conntrack_in` counts drop). A dropped SYN looks to the client like a
 * lost packet: connect() retries and times out.
 */
import type { ConntrackTable, NetNamespace, Snapshot } from '../../snapshot/types.js';
import type { Finding, RuleOptions } from '../types.js';
import { percent } from './levels.js';
import { plural } from './text.js';

export type ConntrackId = 'conntrack-table-full' | 'conntrack-table-near';

export interface ConntrackState {
  /** 'past' = drops only since boot (or namespace creation), reported as info by conntrack-table-near. */
  level: 'full' | 'near' | 'past' | null;
  dropDelta: number | null;
  earlyDropDelta: number | null;
}

const stat = (r: Record<string, number> | null, k: string): number | null => (r === null ? null : (r[k] ?? 0));

export function conntrackState(ct: ConntrackTable, options: RuleOptions): ConntrackState {
  const dropDelta = stat(ct.statDeltas, 'drop');
  const earlyDropDelta = stat(ct.statDeltas, 'early_drop');
  let level: ConntrackState['level'] = null;
  if ((ct.max !== null && ct.max > 0 && ct.count >= ct.max) || (dropDelta ?? 0) > 0) level = 'full';
  else if ((ct.max !== null && ct.max > 0 && ct.count >= options.conntrackWarning * ct.max) || (earlyDropDelta ?? 0) > 0) level = 'near';
  else if ((stat(ct.stats, 'drop') ?? 0) + (stat(ct.stats, 'early_drop') ?? 0) > 0 && !((dropDelta ?? 0) + (earlyDropDelta ?? 0) > 0)) level = 'past';
  return { level, dropDelta, earlyDropDelta };
}

/** Each namespace with its conntrack table (the snapshot's own for the first when namespaces lack it). */
export function conntrackTables(snapshot: Snapshot): Array<{ ns: NetNamespace | null; ct: ConntrackTable }> {
  const out: Array<{ ns: NetNamespace | null; ct: ConntrackTable }> = [];
  snapshot.namespaces.forEach((ns, i) => {
    const ct = ns.conntrack ?? (i === 0 ? snapshot.conntrack : undefined);
    if (ct) out.push({ ns, ct });
  });
  if (snapshot.namespaces.length === 0 && snapshot.conntrack) out.push({ ns: null, ct: snapshot.conntrack });
  return out;
}

export function conntrackFindings(id: ConntrackId, snapshot: Snapshot, options: RuleOptions): Finding[] {
  const out: Finding[] = [];
  for (const { ns, ct } of conntrackTables(snapshot)) {
    const state = conntrackState(ct, options);
    const mine = id === 'conntrack-table-full' ? state.level === 'full' : state.level === 'near' || state.level === 'past';
    if (mine) out.push(conntrackFinding(id, ns, ct, state, snapshot));
  }
  return out;
}

function conntrackFinding(id: ConntrackId, ns: NetNamespace | null, ct: ConntrackTable, state: ConntrackState, snapshot: Snapshot): Finding {
  const where = ns === null || ns.kind === 'host' ? 'this host' : `network namespace ${ns.name}`;
  const isHost = ns === null || ns === snapshot.namespaces[0];
  const used = percent(ct.count, ct.max);
  const seconds = Math.round(ct.intervalMs / 100) / 10;
  const total = (k: string) => ct.stats?.[k] ?? null;
  const parts: string[] = [];
  if (state.level === 'past') {
    parts.push(
      `The conntrack table of ${where} holds ${ct.count} of ${ct.max ?? 'an unknown number of'} entries now, but since boot (or since the namespace was created) ` +
        `the kernel dropped ${total('drop') ?? 0} packets for lack of a free entry and evicted ${total('early_drop') ?? 0} unconfirmed entries to make room (early_drop).`,
      ct.statDeltas === null
        ? 'Only one reading was taken, so sockdoc cannot tell whether it is still happening.'
        : `None of that happened during the last ${seconds} s.`,
      'Check the kernel log for "nf_conntrack: table full, dropping packet" around the time clients reported timeouts.',
    );
  } else {
    parts.push(
      `The conntrack table of ${where} holds ${ct.count} entries; the limit, net.netfilter.nf_conntrack_max, is ${ct.max ?? 'unknown'}` +
        `${used !== null ? ` (${used}% used)` : ''}.`,
    );
    if ((state.dropDelta ?? 0) > 0) parts.push(`During the last ${seconds} s the kernel dropped ${plural(state.dropDelta ?? 0, 'packet')} because no entry could be created (conntrack stat drop).`);
    if ((state.earlyDropDelta ?? 0) > 0) parts.push(`It evicted ${plural(state.earlyDropDelta ?? 0, 'unconfirmed entry', 'unconfirmed entries')} during the window to make room (early_drop): the table is at its limit.`);
    parts.push(
      id === 'conntrack-table-full'
        ? 'Every new flow (a SYN, a DNS query) needs an entry: when the table is full and nothing unconfirmed can be evicted, the kernel logs "nf_conntrack: table full, dropping packet" and drops the packet. ' +
            'Clients see connections that hang in SYN_SENT and time out, and DNS lookups that time out, while established connections keep working.'
        : 'When the count reaches the limit the kernel starts dropping the first packet of new flows ("nf_conntrack: table full, dropping packet"): new connections hang and time out.',
    );
  }
  parts.push(
    'Each network namespace has its own table count, but all are held to the one host-wide nf_conntrack_max, which can only be changed in the initial namespace' +
      (isHost ? '.' : ': raise it on the host, not inside the container.'),
    'Entries live as long as their timeout: an ESTABLISHED TCP entry lasts nf_conntrack_tcp_timeout_established (5 days by default) after the last packet, so idle or leaked connections and short-lived flows (DNS, health checks) fill the table.',
  );
  const newMax = Math.max(ct.max !== null ? ct.max * 2 : 262144, ct.count * 2);
  const fix = [
    'conntrack -S   # per-CPU drop / early_drop / insert_failed (package conntrack)',
    "conntrack -L 2>/dev/null | awk '{print $1, $4}' | sort | uniq -c | sort -rn | head   # which protocol and state fill the table",
    `sysctl -w net.netfilter.nf_conntrack_max=${newMax}   # on the host; each entry costs about 300 bytes of kernel memory`,
    `echo 'net.netfilter.nf_conntrack_max = ${newMax}' > /etc/sysctl.d/90-conntrack.conf   # persistent`,
    `echo ${Math.max(ct.buckets ?? 0, Math.ceil(newMax / 4))} > /sys/module/nf_conntrack/parameters/hashsize   # keep chains short (hash size); persistent: options nf_conntrack hashsize=N in /etc/modprobe.d/`,
    'sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=86400 net.netfilter.nf_conntrack_tcp_timeout_time_wait=30   # shorten the timeouts that dominate',
    'iptables -t raw -A PREROUTING -p tcp --dport PORT -j NOTRACK && iptables -t raw -A OUTPUT -p tcp --sport PORT -j NOTRACK   # stop tracking traffic that needs no NAT or state',
  ];
  const title =
    state.level === 'past'
      ? `Conntrack dropped ${plural((total('drop') ?? 0) + (total('early_drop') ?? 0), 'entry or packet', 'entries or packets')} since boot in ${where}${ct.statDeltas === null ? '' : `, none in the last ${seconds} s`}`
      : id === 'conntrack-table-full'
        ? `Conntrack table of ${where} is full: ${ct.count} of ${ct.max ?? '?'} entries${(state.dropDelta ?? 0) > 0 ? `, ${state.dropDelta} packets dropped in ${seconds} s` : ''}`
        : `Conntrack table of ${where} is filling: ${ct.count} of ${ct.max ?? '?'} entries${used !== null ? ` (${used}%)` : ''}`;
  return {
    id,
    severity: id === 'conntrack-table-full' ? 'critical' : state.level === 'past' ? 'info' : 'warning',
    subject: {},
    title,
    evidence: {
      netns: ns?.name ?? null,
      count: ct.count,
      max: ct.max,
      usedPercent: used,
      buckets: ct.buckets,
      dropDelta: state.dropDelta,
      earlyDropDelta: state.earlyDropDelta,
      insertFailedDelta: stat(ct.statDeltas, 'insert_failed'),
      dropTotal: total('drop'),
      earlyDropTotal: total('early_drop'),
      insertFailedTotal: total('insert_failed'),
      intervalMs: ct.intervalMs,
    },
    explain: parts.join(' '),
    fix,
  };
}

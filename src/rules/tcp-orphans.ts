/**
 * Orphaned TCP sockets (closed by their program, still sending or waiting for the peer's FIN)
 * near net.ipv4.tcp_max_orphans. Past it the kernel resets orphans instead of finishing them
 * (net/ipv4/tcp_timer.c `tcp_out_of_resources` -> `tcp_check_oom`: "too many orphaned sockets",
 * TcpExt.TCPAbortOnMemory); new closes are reset at once (net/ipv4/tcp.c `__tcp_close`).
 * Both numbers are host-wide (/proc/net/sockstat `orphan`).
 */
import type { Finding, Rule } from './types.js';
import { percent } from './support/levels.js';
import { socketTableOf } from '../snapshot/socket-table.js';
import { TCP_STATES } from '../snapshot/types.js';

/** Warning from this share of tcp_max_orphans on. */
export const ORPHANS_WARNING = 0.8;

export const rule: Rule = {
  id: 'tcp-orphans',
  description: 'Orphaned TCP sockets are near net.ipv4.tcp_max_orphans: the kernel resets connections instead of closing them.',
  check(snapshot): Finding[] {
    const orphans = snapshot.sockstat?.tcpOrphan ?? null;
    const max = snapshot.tunables['net.ipv4.tcp_max_orphans'] ?? null;
    if (orphans === null || max === null || max <= 0 || orphans < ORPHANS_WARNING * max) return [];
    const full = orphans >= max;
    const states = new Map<string, number>();
    const t = socketTableOf(snapshot);
    for (let i = 0; i < t.length; i++) {
      const state = TCP_STATES[t.state[i] - 1];
      if (t.inode[i] === 0 && (state === 'FIN_WAIT1' || state === 'FIN_WAIT2' || state === 'LAST_ACK' || state === 'CLOSING')) {
        states.set(state, (states.get(state) ?? 0) + 1);
      }
    }
    const seen = [...states.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
    return [
      {
        id: 'tcp-orphans',
        severity: full ? 'critical' : 'warning',
        subject: {},
        title: full
          ? `Too many orphaned TCP sockets: ${orphans}, tcp_max_orphans ${max}`
          : `Orphaned TCP sockets near their limit: ${orphans} of ${max} (${percent(orphans, max)}%)`,
        evidence: { orphans, maxOrphans: max, usedPercent: percent(orphans, max), finWait1: states.get('FIN_WAIT1') ?? 0, lastAck: states.get('LAST_ACK') ?? 0 },
        explain: [
          `${orphans} TCP sockets are orphaned: their program closed them, but the kernel still has data to deliver or waits for the peer (FIN_WAIT1, LAST_ACK, CLOSING).` +
            (seen ? ` In this namespace sockdoc sees ${seen} with no owner.` : ''),
          `net.ipv4.tcp_max_orphans is ${max}. ${full ? 'Past it' : 'When the count passes it'}, the kernel logs "too many orphaned sockets" and resets orphans instead of finishing them: ` +
            'peers lose the tail of responses (truncated downloads, "connection reset by peer").',
          'Orphans pile up when peers stop reading (the last data cannot be delivered) or vanish without a reset; each also holds TCP memory (see tcp-memory-pressure).',
        ].join(' '),
        fix: [
          'cat /proc/net/sockstat   # orphan count, host-wide',
          "ss -tan state fin-wait-1 state last-ack | awk 'NR>1 {print $5}' | sort | uniq -c | sort -rn | head   # which peers do not take the last data",
          'sysctl -w net.ipv4.tcp_orphan_retries=2   # give up on unresponsive peers sooner (default 0 means 8 retries)',
          `sysctl -w net.ipv4.tcp_max_orphans=${max * 2}   # each orphan can hold up to ~64 KiB; persist in /etc/sysctl.d/`,
        ],
      },
    ];
  },
};

/**
 * Too many pending handshakes. The kernel's thresholds (net/ipv4/tcp_input.c tcp_conn_request):
 * - qlen > sk_max_ack_backlog (inet_csk_reqsk_queue_is_full, include/net/inet_connection_sock.h;
 *   ">=" before commit 3479c7549fb1): with tcp_syncookies != 0 the kernel answers with a cookie
 *   (TCPReqQFullDoCookies, then SyncookiesSent), with 0 it drops the SYN (TCPReqQFullDrop);
 * - tcp_syncookies == 0 only: unproven peers are dropped once qlen passes 3/4 of tcp_max_syn_backlog
 *   ("Without syncookies last quarter of backlog is filled with destinations, proven to be alive").
 * Two forms: per listener (SYN_RECV count near that limit) and per namespace (counter deltas).
 */
import type { Snapshot } from '../snapshot/types.js';
import type { Finding, Rule, RuleOptions } from './types.js';
import { overflowState, percent, queueState, synCounterState, synState } from './support/levels.js';
import { describeOwners, inNetns, listenerLabel, listenerRef, listenerSubject, netnsRef, netnsSubject, uniqueRefs } from './support/refs.js';
import { tunablesOf } from '../snapshot/namespaces.js';
import type { NetNamespace } from '../snapshot/types.js';

export const rule: Rule = {
  id: 'syn-queue-pressure',
  description: 'Pending handshakes (SYN_RECV) near the SYN-queue limit, or SYN cookies / SYN drops counted.',
  check: (snapshot, options) => [...listenerFindings(snapshot, options), ...namespacesOf(snapshot).flatMap((ns) => counterFindings(snapshot, ns, options))],
};

function listenerFindings(snapshot: Snapshot, options: RuleOptions): Finding[] {
  const out: Finding[] = [];
  for (const l of snapshot.listeners) {
    // Each listener against its own namespace's sysctls and counters.
    const ns = namespacesOf(snapshot).find((n) => n.inode === l.netns) ?? namespacesOf(snapshot)[0];
    const tunables = tunablesOf(snapshot, l.netns);
    const syncookies = tunables['net.ipv4.tcp_syncookies'];
    const counterFires = synCounterState(ns.counters, tunables).level !== null;
    const s = synState(l, tunables, options);
    if (!s.pressured) continue;
    const limit = s.limit as number;
    const label = listenerLabel(l);
    const full = queueState(l, tunables, options).level === 'full';
    const related: string[] = [];
    if (full) related.push(listenerRef('accept-queue-full', l, snapshot));
    if (counterFires) related.push(netnsRef('syn-queue-pressure', snapshot, l.netns));

    const limitText =
      s.basis === 'backlog'
        ? `the listener's backlog (${limit})`
        : s.basis === 'somaxconn'
          ? `net.core.somaxconn (${limit}), the most its unknown backlog can be`
          : `3/4 of net.ipv4.tcp_max_syn_backlog (${limit}), where the kernel starts dropping SYNs from new peers when syncookies are off`;
    const parts = [
      `${l.synRecv} handshakes on ${label} (${describeOwners(snapshot, l)}) are half-open (SYN_RECV): ${percent(l.synRecv, limit)}% of ${limitText}.`,
    ];
    if (full) {
      parts.push(
        'Its accept queue is full, so many of these are not slow clients: they completed the handshake, the kernel dropped their final ACK ' +
          'and keeps them in SYN_RECV while it retransmits SYN-ACK. Fix the accept queue first.',
      );
    }
    parts.push(
      syncookies === 0
        ? 'tcp_syncookies is 0: past the limit new SYNs are dropped and clients retry their SYN (connect takes seconds or times out).'
        : 'Past the limit the kernel answers with SYN cookies: clients still connect, but may lose TCP options such as window scaling and SACK, so transfers are slower.',
      'Without a full accept queue, many half-open handshakes mean a burst of new clients, lossy networks, or a SYN flood.',
    );
    out.push({
      id: 'syn-queue-pressure',
      severity: 'warning',
      subject: listenerSubject(snapshot, l),
      title: `${l.synRecv} pending handshakes on ${label}${inNetns(snapshot, l.netns)}, limit ${limit}`,
      evidence: {
        synRecv: l.synRecv,
        synLimit: limit,
        synLimitBasis: s.basis,
        synPercent: percent(l.synRecv, limit),
        backlog: l.backlog,
        tcpMaxSynBacklog: tunables['net.ipv4.tcp_max_syn_backlog'],
        syncookies,
        acceptQueue: l.acceptQueue,
        acceptQueueFull: full,
      },
      explain: parts.join(' '),
      fix: [
        `ss -Htn state syn-recv '( sport = :${l.port} )' | awk '{print $4}' | sort | uniq -c | sort -rn | head   # who is connecting`,
        "dmesg | grep -i 'SYN flooding'   # the kernel names the port when the SYN queue overflows",
        ...(syncookies === 0 ? ['sysctl -w net.ipv4.tcp_syncookies=1'] : []),
      ],
      related: uniqueRefs(related),
    });
  }
  return out;
}

/** The snapshot's namespaces; a snapshot built by hand without them has one: its own tunables and counters. */
function namespacesOf(snapshot: Snapshot): Array<Pick<NetNamespace, 'inode' | 'tunables' | 'counters'>> {
  return snapshot.namespaces?.length ? snapshot.namespaces : [{ inode: 0, tunables: snapshot.tunables, counters: snapshot.counters }];
}

function counterFindings(snapshot: Snapshot, ns: Pick<NetNamespace, 'inode' | 'tunables' | 'counters'>, options: RuleOptions): Finding[] {
  const { counters, tunables } = ns;
  const c = synCounterState(counters, tunables);
  if (c.level === null) return [];
  const syncookies = tunables['net.ipv4.tcp_syncookies'];
  const seconds = Math.round(counters.intervalMs / 100) / 10;
  const pressured = snapshot.listeners.filter((l) => l.netns === ns.inode && synState(l, tunables, options).pressured);
  const drop = c.reqQFullDrop ?? 0;
  const cookies = Math.max(c.reqQFullDoCookies ?? 0, c.syncookiesSent ?? 0);

  const parts: string[] = [];
  if (drop > 0) {
    parts.push(
      `During the last ${seconds} s the SYN queue of some listener overflowed ${drop} times with syncookies off (TCPReqQFullDrop): ` +
        'those SYNs were dropped, and clients retry after 1 s, 3 s, 7 s ... so connecting is slow or times out.',
    );
  }
  if (cookies > 0) {
    parts.push(
      `During the last ${seconds} s the kernel answered ${cookies} SYNs with SYN cookies because a SYN queue was full ` +
        '(SyncookiesSent / TCPReqQFullDoCookies): clients still connect, but may lose window scaling and SACK, and the kernel logs "Possible SYN flooding on port N".',
    );
  }
  parts.push('These counters cover the whole network namespace; `dmesg` names the port.');
  if (pressured.length) parts.push(`Listeners with many pending handshakes: ${pressured.map(listenerLabel).join(', ')}.`);

  return [
    {
      id: 'syn-queue-pressure',
      severity: c.level,
      subject: netnsSubject(snapshot, ns.inode),
      title: (drop > 0 ? `${drop} SYNs dropped on full SYN queues` : `${cookies} SYN cookies sent on full SYN queues`) + `${inNetns(snapshot, ns.inode)} in ${seconds} s`,
      evidence: {
        syncookiesSentDelta: c.syncookiesSent,
        reqQFullDoCookiesDelta: c.reqQFullDoCookies,
        reqQFullDropDelta: c.reqQFullDrop,
        syncookies,
        tcpMaxSynBacklog: tunables['net.ipv4.tcp_max_syn_backlog'],
        intervalMs: counters.intervalMs,
      },
      explain: parts.join(' '),
      fix: [
        "dmesg | grep -i 'SYN flooding'   # which port",
        'nstat -z TcpExtSyncookiesSent TcpExtTCPReqQFullDoCookies TcpExtTCPReqQFullDrop   # run twice to see the increase',
        ...(syncookies === 0 ? ['sysctl -w net.ipv4.tcp_syncookies=1   # answer with cookies instead of dropping'] : []),
        '# a legitimate burst: raise the listen backlog (program setting and net.core.somaxconn), then restart the program',
      ],
      related: uniqueRefs([
        ...pressured.map((l) => listenerRef('syn-queue-pressure', l, snapshot)),
        // ListenDrops counts these drops too (tcp_listendrop at tcp_conn_request's drop label).
        ...(overflowState(counters) === 'active' ? [netnsRef('listen-overflows', snapshot, ns.inode)] : []),
      ]),
    },
  ];
}

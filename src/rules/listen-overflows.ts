/**
 * The kernel dropped handshakes on some listener: TcpExt.ListenOverflows (accept queue full,
 * net/ipv4/tcp_ipv4.c tcp_v4_syn_recv_sock exit_overflow, and tcp_conn_request) and
 * TcpExt.ListenDrops (every drop on a listener, overflows included: tcp_listendrop).
 * The counters are per network namespace, not per listener: one finding per namespace whose
 * counters rose, naming the full listeners of that namespace as likely culprits.
 */
import type { NetNamespace, Snapshot } from '../snapshot/types.js';
import type { Finding, Rule, RuleOptions } from './types.js';
import { delta, overflowState, queueState, synCounterState, total } from './support/levels.js';
import { describeOwners, inNetns, listenerLabel, listenerRef, netnsRef, netnsSubject, uniqueRefs } from './support/refs.js';
import { nsCommand } from './support/netns-fix.js';
import { overflowClientExperience, plural } from './support/text.js';

export const rule: Rule = {
  id: 'listen-overflows',
  description: 'The kernel counted dropped handshakes on listening sockets (ListenOverflows / ListenDrops).',
  check(snapshot, options): Finding[] {
    const namespaces = snapshot.namespaces?.length ? snapshot.namespaces : [{ inode: 0, counters: snapshot.counters, tunables: snapshot.tunables }];
    return namespaces.flatMap((ns) => namespaceFindings(snapshot, ns, options));
  },
};

function namespaceFindings(snapshot: Snapshot, ns: Pick<NetNamespace, 'inode' | 'counters' | 'tunables'>, options: RuleOptions): Finding[] {
    const { counters, tunables } = ns;
    const state = overflowState(counters);
    // Since-boot totals alone are history, not a finding: they would raise a line on every run
    // forever. They stay in the report's counters line; only drops in the window are a finding.
    if (state !== 'active') return [];
    const where = inNetns(snapshot, ns.inode);
    const overflowsDelta = delta(counters, 'TcpExt.ListenOverflows');
    const dropsDelta = delta(counters, 'TcpExt.ListenDrops');
    const overflowsTotal = total(counters, 'TcpExt.ListenOverflows');
    const dropsTotal = total(counters, 'TcpExt.ListenDrops');
    const abort = tunables['net.ipv4.tcp_abort_on_overflow'];

    const byLevel = (level: 'full' | 'filling') =>
      // TCP listeners only: a full unix-domain queue refuses with EAGAIN and counts in no TcpExt counter.
      snapshot.listeners.filter((l) => l.netns === ns.inode && l.family !== 'unix' && queueState(l, tunables, options).level === level);
    const full = byLevel('full');
    // With no listener full right now, one that is filling is the next best suspect.
    const culprits = full.length ? full : byLevel('filling');
    const culpritId = full.length ? 'accept-queue-full' : 'accept-queue-filling';
    const related = culprits.map((l) => listenerRef(culpritId, l, snapshot));
    if (synCounterState(counters, tunables).level !== null) related.push(netnsRef('syn-queue-pressure', snapshot, ns.inode));
    for (const l of culprits) if (l.closeWaitUnaccepted > 0) related.push(listenerRef('close-wait-unaccepted', l, snapshot));
    const culpritText = culprits.map((l) => `${listenerLabel(l)}, held by ${describeOwners(snapshot, l)}`).join('; ');

    const seconds = Math.round(counters.intervalMs / 100) / 10;
    const parts: string[] = [
      `During the last ${seconds} s the kernel dropped handshakes on listening sockets: ` +
        `ListenOverflows +${overflowsDelta ?? 0} (accept queue full), ListenDrops +${dropsDelta ?? 0} (all drops, overflows included).`,
      overflowClientExperience(abort),
    ];
    parts.push(
      `These counters cover the whole network namespace${where ? ` (${where.slice(4)})` : ''}, not one socket.`,
      culprits.length
        ? `Likely culprit${culprits.length > 1 ? 's' : ''}: ${culpritText}.`
        : 'No listener is full right now; the queue may have drained since, or the drops came from a short burst.',
    );

    return [
      {
        id: 'listen-overflows',
        severity: 'critical',
        subject: netnsSubject(snapshot, ns.inode),
        title: `The kernel dropped ${plural(Math.max(overflowsDelta ?? 0, dropsDelta ?? 0), 'handshake')} on full listen queues${where} in ${seconds} s`,
        evidence: {
          listenOverflowsDelta: overflowsDelta,
          listenDropsDelta: dropsDelta,
          listenOverflowsTotal: overflowsTotal,
          listenDropsTotal: dropsTotal,
          intervalMs: counters.intervalMs,
          abortOnOverflow: abort,
          fullListeners: full.length,
          likelyCulprits: culprits.length ? culprits.map(listenerLabel).join(',') : null,
        },
        explain: parts.join(' '),
        fix: [
          `${nsCommand(snapshot, ns.inode, 'ss -ltnH')} | awk '$2 > $3'   # listeners whose queue (Recv-Q) exceeds the backlog (Send-Q)`,
          `${nsCommand(snapshot, ns.inode, 'nstat -z TcpExtListenOverflows TcpExtListenDrops')}   # run it twice: the second run prints the increase since the first`,
          ...culprits.slice(0, 3).flatMap((l) => l.pids.slice(0, 1).map((pid) => `strace -f -e trace=accept,accept4 -p ${pid}`)),
        ],
        related: uniqueRefs(related),
      },
    ];
}

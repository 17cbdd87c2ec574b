/**
 * The kernel dropped handshakes on some listener: TcpExt.ListenOverflows (accept queue full,
 * net/ipv4/tcp_ipv4.c tcp_v4_syn_recv_sock exit_overflow, and tcp_conn_request) and
 * TcpExt.ListenDrops (every drop on a listener, overflows included: tcp_listendrop).
 * The counters are per network namespace, not per listener: one finding per namespace whose
 * counters rose. Which listener dropped is told by the listener itself: tcp_listendrop() also
 * counts each drop in the listener's sk_drops (Linux 4.7+), which sock_diag reports
 * (INET_DIAG_SKMEMINFO; Listener.drops, and dropsDelta over the window). Those that rose in the
 * window are named with their counts; those that dropped only before it are history, said as
 * such; only where the per-listener counts are unknown (/proc/net/tcp, an older capture) are the
 * full or filling listeners named as likely culprits, and the finding says it is a guess.
 */
import type { Listener, NetNamespace, Snapshot } from '../snapshot/types.js';
import type { Finding, Rule, RuleOptions } from './types.js';
import { acceptWaitLevel, delta, overflowState, queueFindingId, queueState, synCounterState, total } from './support/levels.js';
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

/** "127.0.0.1:8889 (+120), [::]:80 (+3)": listeners with a count each, the largest first, at most `max` named. */
function countedList(listeners: Listener[], count: (l: Listener) => number, sign: string, max = 5): string {
  const shown = listeners.slice(0, max).map((l) => `${listenerLabel(l)} (${sign}${count(l)})`);
  return listeners.length > max ? `${shown.join(', ')} and ${listeners.length - max} more` : shown.join(', ');
}

function namespaceFindings(snapshot: Snapshot, ns: Pick<NetNamespace, 'inode' | 'counters' | 'tunables'>, options: RuleOptions): Finding[] {
    const { counters, tunables } = ns;
    // TCP listeners only: a full unix-domain queue refuses with EAGAIN and counts in no TcpExt counter.
    const mine = snapshot.listeners.filter((l) => l.netns === ns.inode && l.family !== 'unix');
    // Per-listener drops: known when the listeners of this namespace came with them (sock_diag).
    const perListener = mine.length > 0 && mine.every((l) => l.drops !== null && l.drops !== undefined);
    const windowed = perListener && mine.every((l) => l.dropsDelta !== null && l.dropsDelta !== undefined);
    const droppedNow = windowed ? mine.filter((l) => (l.dropsDelta ?? 0) > 0).sort((a, b) => (b.dropsDelta ?? 0) - (a.dropsDelta ?? 0)) : [];
    const droppedBefore = perListener ? mine.filter((l) => (l.drops ?? 0) > 0 && !droppedNow.includes(l)).sort((a, b) => (b.drops ?? 0) - (a.drops ?? 0)) : [];
    const state = overflowState(counters);
    // Since-boot totals alone are history, not a finding: they would raise a line on every run
    // forever. They stay in the report's counters line; only drops in the window are a finding.
    if (state !== 'active' && droppedNow.length === 0) return [];
    const where = inNetns(snapshot, ns.inode);
    const overflowsDelta = delta(counters, 'TcpExt.ListenOverflows');
    const dropsDelta = delta(counters, 'TcpExt.ListenDrops');
    const overflowsTotal = total(counters, 'TcpExt.ListenOverflows');
    const dropsTotal = total(counters, 'TcpExt.ListenDrops');
    const abort = tunables['net.ipv4.tcp_abort_on_overflow'];
    const listenerDropsNow = droppedNow.reduce((n, l) => n + (l.dropsDelta ?? 0), 0);

    const byLevel = (level: 'full' | 'filling') => mine.filter((l) => queueState(l, tunables, options).level === level);
    const full = byLevel('full');
    // Without per-listener counts, a full listener is the likely culprit; with none full, a filling one.
    const guessed = full.length ? full : byLevel('filling');
    const culprits = windowed ? droppedNow : guessed;
    const related: string[] = [];
    for (const l of culprits) {
      const qid = queueFindingId(queueState(l, tunables, options));
      if (qid) related.push(listenerRef(qid, l, snapshot));
      else if (acceptWaitLevel(l, options)) related.push(listenerRef('accept-wait-long', l, snapshot));
    }
    if (synCounterState(counters, tunables).level !== null) related.push(netnsRef('syn-queue-pressure', snapshot, ns.inode));
    for (const l of culprits) if (l.closeWaitUnaccepted > 0) related.push(listenerRef('close-wait-unaccepted', l, snapshot));
    const culpritText = culprits.map((l) => `${listenerLabel(l)}, held by ${describeOwners(snapshot, l)}`).join('; ');

    const seconds = Math.round(counters.intervalMs / 100) / 10;
    const counted = Math.max(overflowsDelta ?? 0, dropsDelta ?? 0, listenerDropsNow);
    const parts: string[] = [
      state === 'active'
        ? `During the last ${seconds} s the kernel dropped handshakes on listening sockets: ` +
          `ListenOverflows +${overflowsDelta ?? 0} (accept queue full), ListenDrops +${dropsDelta ?? 0} (all drops, overflows included).`
        : `During the last ${seconds} s the kernel dropped handshakes on listening sockets (their own drop counts rose; the namespace's counters could not be compared).`,
      overflowClientExperience(abort),
    ];
    if (windowed) {
      parts.push(
        droppedNow.length
          ? `Each listener counts its own drops (sk_drops, what \`ss -tlm\` shows as d<N>); in this window they rose on ${droppedNow.length === 1 ? 'one' : droppedNow.length} ` +
              `listener${droppedNow.length === 1 ? '' : 's'}: ${countedList(droppedNow, (l) => l.dropsDelta ?? 0, '+')}` +
              `, held by ${droppedNow.length === 1 ? describeOwners(snapshot, droppedNow[0]) : droppedNow.slice(0, 5).map((l) => `${describeOwners(snapshot, l)} (${listenerLabel(l)})`).join('; ')}.`
          : 'No listener open now counted a drop in this window (each counts its own, sk_drops): the drops were on a listener that closed since.',
      );
      if (droppedBefore.length) {
        parts.push(`History, not now: ${countedList(droppedBefore, (l) => l.drops ?? 0, '')} dropped before this window (since each was opened) and not during it.`);
      }
    } else {
      parts.push(
        `These counters cover the whole network namespace${where ? ` (${where.slice(4)})` : ''}, not one socket` +
          (perListener
            ? ' (each listener\'s own count is known, but not at the start of the window: one read)'
            : '; which listener dropped is unknown here (its own count, sk_drops, comes only from sock_diag)') +
          '.',
        culprits.length
          ? `Likely culprit${culprits.length > 1 ? 's' : ''}: ${culpritText}.`
          : 'No listener is full right now; the queue may have drained since, or the drops came from a short burst.',
      );
      if (perListener && droppedBefore.length) parts.push(`Listeners with drops since they were opened: ${countedList(droppedBefore, (l) => l.drops ?? 0, '')}.`);
    }
    const named = windowed && droppedNow.length ? ` on ${countedList(droppedNow, (l) => l.dropsDelta ?? 0, '+', 2)}` : ' on full listen queues';

    return [
      {
        id: 'listen-overflows',
        severity: 'critical',
        subject: netnsSubject(snapshot, ns.inode),
        title: `The kernel dropped ${plural(counted, 'handshake')}${named}${where} in ${seconds} s`,
        evidence: {
          listenOverflowsDelta: overflowsDelta,
          listenDropsDelta: dropsDelta,
          listenOverflowsTotal: overflowsTotal,
          listenDropsTotal: dropsTotal,
          intervalMs: counters.intervalMs,
          abortOnOverflow: abort,
          fullListeners: full.length,
          attribution: windowed ? 'per-listener' : 'namespace',
          droppingListeners: windowed ? droppedNow.map((l) => `${listenerLabel(l)}=${l.dropsDelta}`).join(',') || null : null,
          droppedBeforeListeners: perListener ? droppedBefore.map((l) => `${listenerLabel(l)}=${l.drops}`).join(',') || null : null,
          likelyCulprits: culprits.length ? culprits.map(listenerLabel).join(',') : null,
        },
        explain: parts.join(' '),
        fix: [
          `${nsCommand(snapshot, ns.inode, 'ss -ltmnH')} | grep -B1 -E ',d[1-9][0-9]*\\)'   # listeners that dropped: d<N> ending skmem:(...), since each was opened`,
          `${nsCommand(snapshot, ns.inode, 'ss -ltnH')} | awk '$2 > $3'   # listeners whose queue (Recv-Q) exceeds the backlog (Send-Q)`,
          `${nsCommand(snapshot, ns.inode, 'nstat -z TcpExtListenOverflows TcpExtListenDrops')}   # run it twice: the second run prints the increase since the first`,
          ...culprits.slice(0, 3).flatMap((l) => l.pids.slice(0, 1).map((pid) => `strace -f -e trace=accept,accept4 -p ${pid}`)),
        ],
        related: uniqueRefs(related),
      },
    ];
}

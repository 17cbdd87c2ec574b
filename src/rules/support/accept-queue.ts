/** The body shared by accept-queue-full and accept-queue-filling: one listener and its queue. */
import type { Listener, Snapshot } from '../../snapshot/types.js';
import type { Finding, RuleOptions } from '../types.js';
import {
  fdFindingId,
  isBacklogClamped,
  overflowState,
  percent,
  queueFindingId,
  queueState,
  synState,
  type QueueState,
} from './levels.js';
import { describeOwners, describePid, firstFew, inNetns, listenerLabel, listenerRef, listenerSubject, netnsRef, OWNERS_NAMED, ownersOf, processRef, uniqueRefs } from './refs.js';
import { countersOf, tunablesOf } from '../../snapshot/namespaces.js';
import { ssListenerCommand } from './netns-fix.js';
import { NOT_ACCEPTING_CAUSES, overflowClientExperience, plural, UNIX_FULL_CLIENT_EXPERIENCE, UNIX_NOT_ACCEPTING_CAUSES } from './text.js';
import { ownBacklogFix } from '../../provenance/backlog-knobs.js';
import { capBehind } from './program-cap.js';

export type AcceptQueueId = 'accept-queue-full' | 'accept-queue-filling';

export function acceptQueueFindings(id: AcceptQueueId, snapshot: Snapshot, options: RuleOptions): Finding[] {
  const out: Finding[] = [];
  for (const l of snapshot.listeners) {
    const state = queueState(l, tunablesOf(snapshot, l.netns), options);
    if (queueFindingId(state) !== id) continue;
    out.push(acceptQueueFinding(id, l, state, snapshot, options));
  }
  return out;
}

function acceptQueueFinding(id: AcceptQueueId, l: Listener, state: QueueState, snapshot: Snapshot, options: RuleOptions): Finding {
  const limit = state.limit as number;
  const label = listenerLabel(l);
  const where = inNetns(snapshot, l.netns);
  const full = id === 'accept-queue-full';
  // The listener's own namespace: each container has its own somaxconn and counters.
  const tunables = tunablesOf(snapshot, l.netns);
  const counters = countersOf(snapshot, l.netns);
  const somaxconn = tunables['net.core.somaxconn'];
  const parts: string[] = [];
  const unix = l.family === 'unix';
  const boundText =
    state.basis === 'backlog'
      ? `its backlog of ${limit}`
      : `net.core.somaxconn = ${limit}, the most any backlog can be (the listener's own backlog could not be read; this assumes somaxconn was not lowered after the program called listen())`;
  parts.push(
    unix
      ? `${l.acceptQueue} connections on the unix-domain ${l.unix?.type ?? 'stream'} socket ${label}${where} wait for ${describeOwners(snapshot, l)} to accept() them; the limit is ${boundText}.`
      : `${l.acceptQueue} completed connections on ${label}${where} wait for ${describeOwners(snapshot, l)} to accept() them; the limit is ${boundText}.`,
  );
  const from = l.unix?.queuedFrom ?? [];
  if (from.length || (l.unix?.queuedOrphans ?? 0) > 0) {
    const who = from.slice(0, 3).map((c) => `${describePid(snapshot, c.pid)} ×${c.connections}`);
    if (from.length > 3) who.push(`${from.length - 3} more`);
    const orphans = l.unix?.queuedOrphans ?? 0;
    parts.push(
      `The waiting connections come from ${who.join(', ') || 'no process any more'}${who.length && orphans ? ', and' : ''}` +
        `${orphans ? ` ${plural(orphans, 'client')} that already gave up (closed: nobody holds its end)` : ''}.`,
    );
  }
  if (full && unix) parts.push('The kernel keeps at most backlog + 1, so the queue is full.', UNIX_FULL_CLIENT_EXPERIENCE);
  else if (full) {
    parts.push(
      'The kernel keeps at most backlog + 1, so the queue is full: new handshakes are dropped (ListenOverflows).',
      overflowClientExperience(tunables['net.ipv4.tcp_abort_on_overflow']),
    );
  } else {
    parts.push(
      unix
        ? `That is ${percent(l.acceptQueue, limit)}% of the queue; when it passes the limit new connections are refused with EAGAIN (non-blocking clients) or wait (blocking ones).`
        : `That is ${percent(l.acceptQueue, limit)}% of the queue; when it passes the limit the kernel starts dropping handshakes and clients hang or time out.`,
    );
  }
  if (state.basis === 'backlog' && l.backlog !== null && typeof somaxconn === 'number' && l.backlog < somaxconn) {
    parts.push(`That limit is the backlog the program itself passed to listen(), below net.core.somaxconn = ${somaxconn}: the program's own setting caps the queue, so raising somaxconn would not help.`);
  }
  parts.push(unix ? UNIX_NOT_ACCEPTING_CAUSES : NOT_ACCEPTING_CAUSES);

  const related: string[] = [];
  const owners = ownersOf(snapshot, l);
  const atLimit = owners.filter((p) => fdFindingId(p, options) !== null);
  const few = firstFew(atLimit, OWNERS_NAMED, (n) => `${plural(n, 'more holder')} of this socket ${n === 1 ? 'is' : 'are'} near or at ${n === 1 ? 'its' : 'their'} file descriptor limit (their own findings say which).`);
  for (const p of atLimit) related.push(processRef(fdFindingId(p, options) as string, p.pid));
  for (const p of few.shown) {
    parts.push(
      fdFindingId(p, options) === 'fd-limit-exhausted'
        ? `${p.name} (pid ${p.pid}) is out of file descriptors (${p.fds.open} of ${p.fds.soft}): its accept() fails with EMFILE, which is why the queue is not drained.`
        : `${p.name} (pid ${p.pid}) is near its file descriptor limit (${p.fds.open} of ${p.fds.soft}).`,
    );
  }
  if (few.more) parts.push(few.more);
  // A program at its own connection cap stops accepting by design (issue 22): that is the cause.
  const capped = capBehind(snapshot, l, options);
  if (capped) {
    related.push(processRef('program-cap-reached', capped.pid));
    parts.push(`${capped.inst.label} (pid ${capped.inst.pid}) is at its own ${capped.cap.directive} ${capped.cap.value} (${capped.cap.held} connections held): it does not accept more until one closes, which is why the queue is not drained.`);
  }
  if (l.pids.length === 0) {
    parts.push('sockdoc saw no process holding this socket (not root, or the process is in another PID namespace).');
  }
  if (isBacklogClamped(l, tunables)) related.push(listenerRef('backlog-clamped', l, snapshot));
  if (full && !unix && overflowState(counters) === 'active') related.push(netnsRef('listen-overflows', snapshot, l.netns));
  if (l.closeWaitUnaccepted > 0) related.push(listenerRef('close-wait-unaccepted', l, snapshot));
  if (synState(l, tunables, options).pressured) related.push(listenerRef('syn-queue-pressure', l, snapshot));

  const fix: string[] = [`${ssListenerCommand(snapshot, l)}   # Recv-Q = queued, Send-Q = backlog; watch whether Recv-Q drains`];
  for (const pid of l.pids.slice(0, 3)) {
    fix.push(`strace -f -e trace=accept,accept4 -p ${pid}   # is accept() called at all, and does it fail (EMFILE)?`);
  }
  for (const p of few.shown.filter((o) => fdFindingId(o, options) === 'fd-limit-exhausted').slice(0, 3)) {
    fix.push(`sockdoc limits ${p.pid}   # raise the fd limit where it is set`);
  }
  // The program's own backlog is the cap: its runtime's knob, not somaxconn (issue 9).
  const owner = owners[0];
  if (state.basis === 'backlog' && l.backlog !== null && typeof somaxconn === 'number' && l.backlog < somaxconn && owner) {
    fix.push(...ownBacklogFix(owner.name, owner.cmdline, l.backlog, somaxconn, unix ? { path: l.address } : { port: l.port }));
  }
  for (const pid of l.pids.slice(0, 3)) fix.push(`top -H -p ${pid}   # busy threads, or all asleep (blocked)?`);

  return {
    id,
    severity: full ? 'critical' : 'warning',
    subject: listenerSubject(snapshot, l),
    title: full
      ? `Accept queue of ${unix ? 'unix socket ' : ''}${label}${where} is full: ${l.acceptQueue} waiting, limit ${limit}`
      : `Accept queue of ${unix ? 'unix socket ' : ''}${label}${where} is filling: ${l.acceptQueue} of ${limit} (${percent(l.acceptQueue, limit)}%)`,
    evidence: {
      acceptQueue: l.acceptQueue,
      backlog: l.backlog,
      limit,
      limitBasis: state.basis,
      somaxconn,
      queuePercent: percent(l.acceptQueue, limit),
      ...(unix
        ? {
            socketType: l.unix?.type ?? 'stream',
            queuedFromPids: from.map((c) => `${c.pid}:${c.connections}`).join(',') || null,
            queuedOrphans: l.unix?.queuedOrphans ?? 0,
          }
        : { synRecv: l.synRecv, establishedUnaccepted: l.establishedUnaccepted, closeWaitUnaccepted: l.closeWaitUnaccepted }),
      ownerPids: l.pids.join(',') || null,
      drops: l.drops ?? null,
      // What the person on call checks first (the answer line states them): the drops in the
      // window, and how long the oldest waiting client has waited; null when not measured.
      dropsDelta: l.dropsDelta ?? null,
      maxWaitMs: l.acceptWait && l.acceptWait.measured > 0 ? l.acceptWait.maxMs : null,
    },
    explain: parts.join(' '),
    fix,
    related: uniqueRefs(related),
  };
}

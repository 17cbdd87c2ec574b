/**
 * Clients wait too long to be accepted, though the queue is not full (a full one is
 * accept-queue-full's, which pages for its waiting clients too): the connections waiting
 * in a listener's accept queue (ESTABLISHED, no owner yet) have waited since their handshake
 * completed (tcp_info of each: native/childinfo.c) longer than --accept-wait. A server that
 * accepts slowly hurts its clients long before its backlog fills (202 clients hung against a
 * backlog of 4096 in a public HAProxy report), and neither the queue length nor any counter shows it.
 * The owner's state says why where it can be seen: stopped (State: T), out of file descriptors,
 * every thread busy on the CPU or blocked in the kernel, or idle and simply not accepting.
 */
import type { Listener, ProcessInfo, Snapshot } from '../snapshot/types.js';
import type { Finding, Rule, RuleOptions } from './types.js';
import { ACCEPT_WAIT_CRITICAL_FACTOR, acceptWaitLevel, fdFindingId, queueFindingId, queueState } from './support/levels.js';
import { describeOwners, inNetns, listenerLabel, listenerRef, listenerSubject, ownersOf, processRef, uniqueRefs } from './support/refs.js';
import { tunablesOf } from '../snapshot/namespaces.js';
import { nsCommand } from './support/netns-fix.js';
import { NOT_ACCEPTING_CAUSES, plural, waitText } from './support/text.js';

export const rule: Rule = {
  id: 'accept-wait-long',
  description: 'Clients wait longer than --accept-wait (1 s) in a listening socket\'s accept queue, even far below its backlog.',
  check(snapshot, options): Finding[] {
    const out: Finding[] = [];
    for (const l of snapshot.listeners) {
      // A full queue is accept-queue-full's (its clients wait too: one finding per problem, as the alerts).
      if (queueState(l, tunablesOf(snapshot, l.netns), options).level === 'full') continue;
      const level = acceptWaitLevel(l, options);
      if (level) out.push(finding(snapshot, l, level, options));
    }
    return out;
  },
};

/** What the owner is doing, as far as /proc shows it: one sentence, the evidence, a fix line. */
interface OwnerState {
  sentence: string;
  state: 'stopped' | 'traced' | 'out-of-fds' | 'threads-busy' | 'threads-blocked' | 'threads-idle' | 'unknown';
  fix: string[];
}

function ownerState(p: ProcessInfo, options: RuleOptions): OwnerState {
  const who = `${p.name} (pid ${p.pid})`;
  if (p.state === 'T') {
    return {
      state: 'stopped',
      sentence: `${who} is stopped (State: T in /proc/${p.pid}/status: SIGSTOP, SIGTSTP or Ctrl-Z): a stopped process runs no code, so nothing calls accept() until it is continued.`,
      fix: [`kill -CONT ${p.pid}   # continue it; then find out who stopped it (a job control Ctrl-Z, a debugger, a supervisor)`],
    };
  }
  if (p.state === 't') {
    return {
      state: 'traced',
      sentence: `${who} is stopped by a debugger or tracer (State: t): it runs no code, so nothing calls accept(), until the tracer lets it go.`,
      fix: [`grep TracerPid /proc/${p.pid}/status   # which process traces it`],
    };
  }
  if (fdFindingId(p, options) === 'fd-limit-exhausted') {
    return {
      state: 'out-of-fds',
      sentence: `${who} is out of file descriptors (${p.fds.open} of ${p.fds.soft}): each accept() fails with EMFILE, so connections stay queued.`,
      fix: [`sockdoc limits ${p.pid}   # raise the fd limit where it is set`],
    };
  }
  const t = p.threads;
  if (t && t.total > 0) {
    const running = t.byState.R ?? 0;
    const blocked = t.byState.D ?? 0;
    const of = `${t.total}${t.truncated ? '+' : ''} thread${t.total === 1 ? '' : 's'}`;
    if (running === t.total) {
      return { state: 'threads-busy', sentence: `All ${of} of ${who} are running (R): it is busy on the CPU, and accept() waits its turn behind the work.`, fix: [] };
    }
    if (blocked === t.total || (blocked > 0 && running + blocked === t.total)) {
      return {
        state: 'threads-blocked',
        sentence: `All ${of} of ${who} are busy: ${blocked} in uninterruptible sleep (D: disk or network filesystem I/O)${running ? `, ${running} running` : ''}.`,
        fix: [`cat /proc/${p.pid}/task/*/wchan; echo   # where in the kernel its threads wait`],
      };
    }
    return {
      state: 'threads-idle',
      sentence: `${who} has ${of}, ${running} running and ${t.total - running - blocked} sleeping: not busy, yet not accepting. It waits on something else (a lock, a slow dependency, a full worker pool) or no thread calls accept() on this socket.`,
      fix: [],
    };
  }
  return { state: 'unknown', sentence: '', fix: [] };
}

function finding(snapshot: Snapshot, l: Listener, level: 'critical' | 'warning', options: RuleOptions): Finding {
  const w = l.acceptWait!;
  const label = listenerLabel(l);
  const where = inNetns(snapshot, l.netns);
  const over = w.waitsMs.filter((ms) => ms >= options.acceptWaitMs).length;
  const queue = queueState(l, tunablesOf(snapshot, l.netns), options);
  const limit = queue.limit;
  const owners = ownersOf(snapshot, l);
  const states = owners.map((p) => ({ p, s: ownerState(p, options) }));

  const measuredNote = w.unmeasured > 0 ? ` (${w.measured} of ${l.establishedUnaccepted} measured)` : '';
  const parts = [
    `${plural(l.establishedUnaccepted, 'client')} wait${l.establishedUnaccepted === 1 ? 's' : ''} in the accept queue of ${label}${where} for ${describeOwners(snapshot, l)} to accept() ${l.establishedUnaccepted === 1 ? 'it' : 'them'}: ` +
      `the longest for ${waitText(w.maxMs)}, half of them for ${waitText(w.medianMs)} or more${measuredNote}; ${over} for ${waitText(options.acceptWaitMs)} or more.`,
    'Each wait is the time since the connection\'s handshake completed (the kernel\'s tcp_info of the queued socket, which has sent nothing since): ' +
      'the client\'s connect() returned long ago and its request sits unread.',
  ];
  if (queueFindingId(queue) === null && limit !== null) {
    parts.push(
      `The queue is far from full (${l.acceptQueue} of ${limit}), so nothing is dropped and no counter moves: clients just wait, ` +
        'and those with a timeout shorter than the wait give up and retry (more load).',
    );
  }
  const related: string[] = [];
  const qid = queueFindingId(queue);
  if (qid) related.push(listenerRef(qid, l, snapshot));
  for (const { p, s } of states) {
    if (s.sentence) parts.push(s.sentence);
    const fdId = fdFindingId(p, options);
    if (fdId) related.push(processRef(fdId, p.pid));
  }
  if (!states.some(({ s }) => s.state !== 'unknown')) parts.push(NOT_ACCEPTING_CAUSES);
  if (l.closeWaitUnaccepted > 0) related.push(listenerRef('close-wait-unaccepted', l, snapshot));

  const fix: string[] = [
    `${nsCommand(snapshot, l.netns, `ss -tinp state established '( sport = :${l.port} )'`)}   # lines without users:(...) wait in the queue; lastsnd:MS is how long`,
  ];
  for (const { s } of states) fix.push(...s.fix);
  for (const pid of l.pids.slice(0, 3)) {
    fix.push(`strace -f -e trace=accept,accept4 -p ${pid}   # how often accept() is called, and whether it fails`);
    fix.push(`top -H -p ${pid}   # busy threads, or all asleep (blocked)?`);
  }
  const first = states[0];
  return {
    id: 'accept-wait-long',
    severity: level,
    subject: listenerSubject(snapshot, l),
    title: `Clients wait up to ${waitText(w.maxMs)} to be accepted on ${label}${where} (${l.establishedUnaccepted} waiting, backlog ${l.backlog ?? '?'})`,
    evidence: {
      maxWaitMs: w.maxMs,
      medianWaitMs: w.medianMs,
      waitingOverThreshold: over,
      thresholdMs: options.acceptWaitMs,
      criticalFromMs: ACCEPT_WAIT_CRITICAL_FACTOR * options.acceptWaitMs,
      establishedUnaccepted: l.establishedUnaccepted,
      measured: w.measured,
      acceptQueue: l.acceptQueue,
      backlog: l.backlog,
      ownerPids: l.pids.join(',') || null,
      ownerState: first ? first.s.state : null,
      threadsTotal: first?.p.threads?.total ?? null,
      threadsRunning: first?.p.threads ? (first.p.threads.byState.R ?? 0) : null,
    },
    explain: parts.join(' '),
    fix,
    related: uniqueRefs(related),
  };
}

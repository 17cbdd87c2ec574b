/**
 * The answer first: the verdict and one line per cause chain, built from the findings' `related`
 * links ("python3 (pid 30705) is out of fds (64/64) → [::]:8889 stopped accepting → 129 waiting
 * (limit 128), 284 handshakes dropped since boot"). Linked findings form one chain: causes (a process out of
 * fds, leaking sockets), then the listener that stopped accepting, then what clients got.
 */
import { SEVERITY_ORDER, type Finding } from '../rules/types.js';
import type { Counters, NetnsInode } from '../snapshot/types.js';
import { findingRef, listenerLabel } from '../rules/support/refs.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import { compareWorst, groupFindings } from './groups.js';
import { waitText } from '../rules/support/text.js';

/** accept-wait-long's ownerState, as a few words of the chain (out-of-fds is its own cause finding). */
const OWNER_STATE_WORDS: Record<string, string> = {
  stopped: 'its program is stopped (State: T)',
  traced: 'its program is stopped by a tracer',
  'threads-busy': 'every thread busy',
  'threads-blocked': 'every thread blocked in I/O',
};

/** Where a finding stands in a chain: what went wrong first, the listener, what it led to. */
export type ChainRole = 'cause' | 'listener' | 'effect';

const ROLE: Record<string, ChainRole> = {
  'fd-limit-exhausted': 'cause',
  'fd-limit-near': 'cause',
  'close-wait-leak': 'cause',
  'close-wait-churn': 'cause',
  'system-file-table-near': 'cause',
  'program-cap-reached': 'cause',
  'program-cap-near': 'cause',
  'accept-queue-full': 'listener',
  'accept-queue-filling': 'listener',
};

export function chainRole(f: Finding): ChainRole {
  return ROLE[f.id] ?? 'effect';
}

export const ROLE_ORDER: Record<ChainRole, number> = { cause: 0, listener: 1, effect: 2 };

const num = (f: Finding, k: string): number | null => (typeof f.evidence[k] === 'number' ? (f.evidence[k] as number) : null);
/** " in docker container web (7d67eaab97b9)": a listener or process outside the host namespace is named with its container or pod. */
const inNs = (f: Finding): string => (f.subject.netns && f.subject.netns.kind !== 'host' ? ` in ${netnsLabel(f.subject.netns)}` : '');
const who = (f: Finding): string => (f.subject.pid !== undefined ? `${f.subject.name ?? 'pid'} (pid ${f.subject.pid})${f.subject.address === undefined ? inNs(f) : ''}` : '');
const where = (f: Finding): string =>
  f.subject.path !== undefined
    ? `${f.subject.path}${inNs(f)}`
    : f.subject.address !== undefined && f.subject.port !== undefined
      ? `${listenerLabel({ address: f.subject.address, port: f.subject.port })}${inNs(f)}`
      : who(f);

/**
 * The wait on a listener's queue, what the person on call checks first, numbers first so a line cut
 * short keeps them: "129 waiting (limit 128), the oldest 4.1 s, 12 dropped in the 1.0 s window".
 * The listener's own drops are left to the chain's listen-overflows finding when it has one
 * (`hasDrops`): one count of drops per line.
 */
function queueWait(f: Finding, hasDrops: boolean, windowMs: number): string {
  const limit = num(f, 'limit') ?? num(f, 'backlog');
  const parts = [`${num(f, 'acceptQueue')} waiting${limit !== null ? ` (limit ${limit})` : ''}`];
  const oldest = num(f, 'maxWaitMs');
  if (oldest !== null) parts.push(`the oldest ${waitText(oldest)}`);
  const dropped = num(f, 'dropsDelta');
  if (dropped !== null && dropped > 0 && !hasDrops) parts.push(`${dropped} dropped in ${windowMs > 0 ? waitText(windowMs) : 'the window'}`);
  return parts.join(', ');
}

/** The few words a finding adds to its chain; null = it adds nothing worth the space. */
function phrase(f: Finding, hasCause: boolean, hasListener: boolean, hasDrops: boolean, windowMs: number): string | null {
  switch (f.id) {
    case 'fd-limit-exhausted':
      return `${who(f)} is out of fds (${num(f, 'open')}/${num(f, 'soft')})`;
    case 'fd-limit-near':
      return `${who(f)} is near its fd limit (${num(f, 'open')}/${num(f, 'soft')})`;
    case 'close-wait-leak':
      return f.subject.pid !== undefined ? `${who(f)} leaks CLOSE_WAIT (${num(f, 'closeWait')})` : `${num(f, 'closeWait')} CLOSE_WAIT on ${where(f)}, owner not visible`;
    case 'close-wait-churn':
      return `${who(f)} closes connections late (${num(f, 'closeWait')} CLOSE_WAIT, churning)`;
    case 'system-file-table-near':
      return f.title;
    case 'program-cap-reached':
      // Alone it is the whole story ("21 clients wait on :8081 because HAProxy is at its maxconn 20"); before a full queue, the cause.
      return hasListener ? `${who(f)} is at its ${f.evidence.directive} ${num(f, 'cap')}` : f.title;
    case 'program-cap-near':
      return `${who(f)} is near its ${f.evidence.directive} ${num(f, 'cap')} (${num(f, 'held')} held)`;
    case 'accept-queue-full':
      return hasCause ? `${where(f)} stopped accepting` : `${where(f)} is not accepting: ${queueWait(f, hasDrops, windowMs)}`;
    case 'accept-queue-filling':
      return `${where(f)} is slow to accept: ${queueWait(f, hasDrops, windowMs)}`;
    case 'accept-wait-long': {
      const state = OWNER_STATE_WORDS[String(f.evidence.ownerState)];
      const wait = `up to ${waitText(num(f, 'maxWaitMs') ?? 0)}`;
      const text = hasListener ? `clients wait ${wait}` : `${where(f)} keeps ${num(f, 'establishedUnaccepted')} clients waiting ${wait}`;
      return state ? `${text} (${state})` : text;
    }
    case 'close-wait-unaccepted':
      return `${num(f, 'closeWaitUnaccepted')} clients gave up waiting`;
    case 'listen-overflows':
      return `${Math.max(num(f, 'listenOverflowsDelta') ?? 0, num(f, 'listenDropsDelta') ?? 0)} handshakes dropped in ${(num(f, 'intervalMs') ?? 0) / 1000} s`;
    case 'syn-queue-pressure':
      return num(f, 'synRecv') !== null ? `${num(f, 'synRecv')} handshakes half-open` : f.title.replace(/ on full SYN queues/, '');
    case 'backlog-clamped':
      // Next to its full queue it explains the limit, not a step of the chain.
      return hasListener ? null : `${where(f)} backlog capped at somaxconn (${num(f, 'somaxconn')})`;
    default:
      return f.title;
  }
}

/**
 * Report order: most severe first; within a severity, causes before the listener before the
 * effects (stable); and the findings of one id take that id's places worst first (compareWorst:
 * clients waiting or dropped, then fill), so the first of an id the report, the answer line,
 * --summary, the groups and watch name is the same one. Ids keep the rules' order among themselves.
 */
export function reportOrder(findings: readonly Finding[]): Finding[] {
  const out = [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || ROLE_ORDER[chainRole(a)] - ROLE_ORDER[chainRole(b)]);
  const places = new Map<string, number[]>();
  out.forEach((f, i) => {
    const key = `${f.severity}|${f.id}`;
    const at = places.get(key);
    if (at) at.push(i);
    else places.set(key, [i]);
  });
  for (const at of places.values()) {
    if (at.length < 2) continue;
    const worstFirst = at.map((i) => out[i]).sort((a, b) => compareWorst(a, b));
    at.forEach((i, k) => (out[i] = worstFirst[k]));
  }
  return out;
}

/** Linked findings, as groups: each group is one chain, in the order of its first finding. */
export function linkedGroups(findings: readonly Finding[]): Finding[][] {
  const index = new Map(findings.map((f, i) => [findingRef(f), i]));
  const parent = findings.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  findings.forEach((f, i) => {
    for (const r of f.related ?? []) {
      const j = index.get(r);
      if (j !== undefined) parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, Finding[]>();
  findings.forEach((f, i) => {
    const g = groups.get(find(i)) ?? [];
    g.push(f);
    groups.set(find(i), g);
  });
  return [...groups.values()];
}

/**
 * The causes of a chain, joined: a process named once for all its causes ("python3 (pid 7) in
 * docker container web (…) leaks CLOSE_WAIT (58) + is out of fds (64/64)"), not once per cause.
 */
function causeText(causes: Finding[], words: (fs: Finding[]) => string[]): string {
  return causes
    .map((f, i) => {
      const [text] = words([f]);
      if (text === undefined) return null;
      const prev = causes[i - 1];
      const name = who(f);
      return i > 0 && name && prev.subject.pid === f.subject.pid && text.startsWith(`${name} `) ? text.slice(name.length + 1) : text;
    })
    .filter((t): t is string => t !== null)
    .join(' + ');
}

/**
 * One chain as text. Since-boot drop counters are no finding (they would fire forever), but next
 * to a full queue they are the evidence clients were hurt: they are quoted as such, from the
 * counters of the full listener's own namespace (`countersOf`; a container counts its own drops).
 */
export function chainText(group: readonly Finding[], countersOf: (netns: NetnsInode | null) => Counters): string {
  const byRole = (role: ChainRole) => group.filter((f) => chainRole(f) === role);
  const causes = byRole('cause');
  const hasCause = causes.length > 0;
  const listeners = byRole('listener');
  // Findings of one group in a chain (ten full listeners of one program in one namespace) say the
  // worst one and how many more are like it: the answer stays a line or two however many there are.
  const hasDrops = group.some((f) => f.id === 'listen-overflows');
  const windowOf = (f: Finding) => countersOf(f.subject.netns?.inode ?? null).intervalMs;
  const words = (fs: Finding[]) =>
    groupFindings(fs)
      .map((g) => {
        const p = phrase(g.findings[0], hasCause, listeners.length > 0, hasDrops, windowOf(g.findings[0]));
        return p !== null && g.findings.length > 1 ? `${p} and ${g.findings.length - 1} more like it` : p;
      })
      .filter((p): p is string => p !== null);
  const effects = words(byRole('effect'));
  const full = listeners.filter((f) => f.id === 'accept-queue-full');
  // Behind a cause the listener "stopped accepting": its wait is the first effect.
  if (hasCause) effects.unshift(...(full.length > 2 ? [`${full.reduce((n, f) => n + (num(f, 'acceptQueue') ?? 0), 0)} waiting`] : full.map((f) => queueWait(f, hasDrops, windowOf(f)))));
  // TcpExt counts TCP handshakes only: next to a full unix-domain queue they are no evidence.
  const fullTcp = full.filter((f) => f.subject.path === undefined);
  const counters = countersOf(fullTcp[0]?.subject.netns?.inode ?? null);
  if (fullTcp.length && !group.some((f) => f.id === 'listen-overflows') && counters.deltas === null) {
    // The listener's own count when known (since it was opened); else the namespace's: since boot, or
    // for a container since its namespace was made.
    const own = num(fullTcp[0], 'drops');
    const dropped = own ?? Math.max(counters.values['TcpExt.ListenOverflows'] ?? 0, counters.values['TcpExt.ListenDrops'] ?? 0);
    if (dropped > 0) effects.push(own !== null ? `${dropped} handshakes dropped on it` : `${dropped} handshakes dropped since ${fullTcp[0].subject.netns ? 'the namespace was created' : 'boot'}`);
  }
  const because = causeText(causes, words);
  // The namespace is named once per chain: the listener a named process stopped serving is in it too.
  let served = words(listeners).join(', ');
  for (const c of causes) {
    const ns = inNs(c);
    if (ns && because.includes(ns)) served = served.split(ns).join('');
  }
  const steps = [because, served, effects.join(', ')].filter((s) => s !== '');
  return steps.join(' → ');
}

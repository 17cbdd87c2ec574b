/**
 * The body shared by fd-limit-exhausted and fd-limit-near: one process, its RLIMIT_NOFILE,
 * and where that limit came from when provenance found it (snapshot.limitOrigins).
 */
import type { ProcessInfo, Snapshot } from '../../snapshot/types.js';
import type { LimitOrigin } from '../../provenance/types.js';
import { reliefLine } from './relief.js';
import { setterText, settingText } from '../../provenance/source-text.js';
import type { Finding, RuleContext, RuleOptions } from '../types.js';
import { fdComposition, leakFixLines, type FdComposition } from './fd-kinds.js';
import { leaksCloseWait } from './close-wait.js';
import { closeWaitCount, fdFindingId, percent, queueFindingId, queueState } from './levels.js';
import { tunablesOf } from '../../snapshot/namespaces.js';
import { listenerLabel, listenerRef, listenersOf, processRef, processSubject, processTitle, uniqueRefs } from './refs.js';

export type FdLimitId = 'fd-limit-exhausted' | 'fd-limit-near';

/** Findings of one of the two ids; a pid gets at most one of them (fdFindingId decides). */
export function fdLimitFindings(id: FdLimitId, snapshot: Snapshot, options: RuleOptions, context?: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const p of snapshot.processes) {
    if (fdFindingId(p, options) !== id) continue;
    out.push(fdLimitFinding(id, p, snapshot, options, fdComposition(p, context?.history?.fdKindGrowth?.(p.pid, p.name))));
  }
  return out;
}

/** Evidence keys telling what the fds are (documented in fd-limit-exhausted.md and fd-limit-near.md). */
export function kindEvidence(c: FdComposition | null): Finding['evidence'] {
  return {
    fdKinds: c ? c.top.map((k) => `${k.kind}:${k.count}`).join(',') : null,
    topKind: c?.top[0]?.kind ?? null,
    topKindCount: c?.top[0]?.count ?? null,
    fdVerdict: c?.verdict ?? null,
    leakKinds: c?.verdict === 'leak' ? c.culprits.join(',') : null,
    growingKind: c?.growing?.kind ?? null,
    growingKindDelta: c?.growing?.delta ?? null,
  };
}

function fdLimitFinding(id: FdLimitId, p: ProcessInfo, snapshot: Snapshot, options: RuleOptions, kinds: FdComposition | null): Finding {
  // fdFindingId returned non-null, so both are numbers.
  const open = p.fds.open as number;
  const soft = p.fds.soft as number;
  const hard = p.fds.hard;
  const usedPercent = percent(open, soft);
  // RLIMIT_NOFILE cannot be unlimited (setrlimit refuses values above fs.nr_open), so a null hard limit means unknown.
  const canRaiseSoft = hard !== null && soft < hard;
  const origin = snapshot.limitOrigins.get(p.pid);
  const who = `${p.name} (pid ${p.pid})`;

  const parts: string[] = [];
  if (id === 'fd-limit-exhausted') {
    parts.push(
      `${who} has ${open} files open and may open at most ${soft} (its soft RLIMIT_NOFILE).`,
      'Every further open(), socket() or accept() fails with EMFILE ("too many open files").',
      'A server that cannot accept() leaves new connections in its listen queue; once the queue is full the kernel drops ' +
        'handshakes, so clients see connections hang, time out or get reset, while the program logs "accept: too many open files" (if it logs at all).',
    );
  } else {
    parts.push(
      `${who} has ${open} files open of at most ${soft} (${usedPercent}% of its soft RLIMIT_NOFILE).`,
      `At ${Math.round(options.fdCritical * 100)}% sockdoc calls it exhausted; at 100% accept() and open() fail with EMFILE ("too many open files") and clients are no longer served.`,
      'If the count keeps growing with the load staying the same, the program is leaking descriptors (often sockets it never closes).',
    );
  }
  if (kinds) parts.push(kinds.sentence);
  const leak = kinds?.verdict === 'leak';
  if (canRaiseSoft) {
    parts.push(
      `The hard limit is ${hard}: the program itself (setrlimit) or an administrator (prlimit) can raise the soft limit up to it without a restart${leak ? ', which buys time and cures nothing' : ''}.`,
    );
  }
  if (origin) parts.push(originSentence(origin), ...origin.contradictions);

  const related: string[] = [];
  for (const l of listenersOf(snapshot, p.pid)) {
    const q = queueFindingId(queueState(l, tunablesOf(snapshot, l.netns), options));
    if (q) related.push(listenerRef(q, l, snapshot));
    if (l.closeWaitUnaccepted > 0) related.push(listenerRef('close-wait-unaccepted', l, snapshot));
  }
  if (leaksCloseWait(snapshot, p)) related.push(processRef('close-wait-leak', p.pid));
  const full = listenersOf(snapshot, p.pid).filter((l) => queueState(l, tunablesOf(snapshot, l.netns), options).level === 'full');
  if (id === 'fd-limit-exhausted' && full.length) {
    parts.push(
      `It owns the full listener ${full.map(listenerLabel).join(', ')}: running out of descriptors is the likely reason it stopped accepting.`,
    );
  }

  return {
    id,
    severity: id === 'fd-limit-exhausted' ? 'critical' : 'warning',
    subject: processSubject(p, snapshot),
    title:
      (id === 'fd-limit-exhausted'
        ? `${processTitle(snapshot, p)} is out of file descriptors: ${open} open, soft limit ${soft}`
        : `${processTitle(snapshot, p)} is near its file descriptor limit: ${open} of ${soft} (${usedPercent}%)`) + (leak && kinds ? `, mostly ${kinds.culprits.join(' + ')} (a leak)` : ''),
    evidence: {
      open,
      soft,
      hard,
      usedPercent,
      canRaiseSoft,
      closeWait: closeWaitCount(p),
      limitLayer: origin?.source.layer ?? null,
      limitFile: origin?.source.file ?? null,
      limitSetting: origin?.source.setting ?? null,
      ...kindEvidence(kinds),
    },
    explain: parts.join(' '),
    // A leak: first what shows it, then the limit as relief (it only delays the next exhaustion).
    fix: [...(leak && kinds ? leakFixLines(p, kinds) : []), ...(origin && origin.fix.length ? [...origin.fix] : genericFix(p, snapshot))],
    related: uniqueRefs(related),
  };
}

function originSentence(o: LimitOrigin): string {
  const s = o.source;
  // The unit is named by setterText already.
  const where = s.file ?? (s.layer === 'systemd' ? '' : (s.unit ?? ''));
  const setting = settingText(s);
  if (s.layer === 'unknown') return `sockdoc could not tell which layer set this limit: ${s.reason}`;
  const head = `The limit was set by ${setterText(o)}`;
  return `${head}${setting ? `: ${setting}` : ''}${where ? ` in ${where}` : ''}. ${s.reason}`.trim();
}

/** Without provenance: look, relieve now (only what works whoever pastes it), then find the layer for the durable fix. */
function genericFix(p: ProcessInfo, snapshot: Snapshot): string[] {
  return [
    `cat /proc/${p.pid}/limits`,
    `ls /proc/${p.pid}/fd | wc -l`,
    reliefLine(p, snapshot.host.canRaiseLimits, snapshot.tunables['fs.nr_open'], 'immediate relief; lost when the program restarts'),
    `sockdoc limits ${p.pid}   # which layer (systemd, supervisord, shell...) sets the limit: fix it there`,
  ];
}

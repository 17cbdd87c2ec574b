/**
 * `sockdoc why`'s answer for one log line: which message it is, what it means, and which of the
 * kernel conditions that make it hold on this host now, for whom — the first line the answer.
 */
import type { Finding } from '../rules/types.js';
import type { Snapshot } from '../snapshot/types.js';
import { checkCondition, type CheckScope, type ConditionResult } from './conditions.js';
import { FAMILIES, MAX_LINE, recognise, type Recognised } from './catalogue.js';
import type { Emitter } from './types.js';

export interface WhyAnswer {
  /** The line as given (bounded to MAX_LINE characters). */
  text: string;
  /** Characters of the line past MAX_LINE that were not read (0: the whole line was). */
  cut: number;
  recognised: { family: string; program: string; id: string; errno: string; example: string; source: string; means: string } | null;
  hints: Recognised['hints'];
  /**
   * Whose causes were checked: the program that logs the message (or the pid the line names), when
   * it is one; absent: any process (a runtime's or library's message). `none`: it does not run here.
   */
  scope?: { label: string; pids: number[]; none: string | null; note: string | null };
  /** One per condition of the entry, in its order. */
  conditions: ConditionResult[];
  /** The first line: the answer. */
  headline: string;
  /** Commands worth running next. */
  next: string[];
  /**
   * 2: a condition holds, 1: one is near, 0: every cause was checked and none holds, 3: not
   * recognised, or a cause could not be checked and none of the others holds (UNKNOWN: "none
   * holds" would be a claim about what was not seen).
   */
  exitCode: 0 | 1 | 2 | 3;
}

/** One line per known message, for "not recognised" and --list. */
export function knownMessages(): string[] {
  return FAMILIES.flatMap((f) => f.entries.map((e) => `${f.name.split(' (')[0]}: ${e.example}`));
}

export function answerWhy(text: string, snapshot: Snapshot, findings: readonly Finding[]): WhyAnswer {
  const whole = text.trim();
  const line = whole.slice(0, MAX_LINE);
  const cut = whole.length - line.length;
  const r = recognise(line);
  if (!r) {
    return {
      text: line,
      cut,
      recognised: null,
      hints: {},
      conditions: [],
      headline: 'not recognised: sockdoc knows none of its words (sockdoc why --list shows the messages it knows)',
      next: ['sockdoc   # the whole diagnosis of this host'],
      exitCode: 3,
    };
  }
  const { family, entry, hints } = r;
  const emitter = entry.emitter !== undefined ? entry.emitter : (family.emitter ?? null);
  const { scope, note } = scopeOf(emitter, hints, snapshot);
  const ctx = { scope, peer: entry.peer === true, accept: /\baccept/i.test(line) };
  const conditions = entry.conditions.map((c) => {
    const res = checkCondition(c, snapshot, findings, hints, ctx);
    // A uid's inotify limit outlives the program that hit it (tail, kubectl logs -f): checked for every uid, and said.
    if ((c === 'inotify-instances' || c === 'inotify-watches') && scope?.none) return { ...res, detail: [...res.detail, `${scope.none}: every uid checked`] };
    return res;
  });
  const holds = conditions.find((c) => c.state === 'holds');
  const near = conditions.find((c) => c.state === 'near');
  const unchecked = conditions.filter((c) => c.state === 'unknown');
  const what = entry.errno;
  let headline: string;
  if (holds) headline = `${what}: holds now — ${holds.detail[0] ?? holds.title}`;
  else if (near) headline = `${what}: not yet, but close — ${near.detail[0] ?? near.title}`;
  else if (unchecked.length === conditions.length) headline = `${what}: could not be checked here — ${notChecked(unchecked)}`;
  else if (unchecked.length) {
    // "None holds" only of what was checked: a cause not checked is said as such, first.
    const no = conditions.filter((c) => c.state === 'no');
    headline = `${what}: not answered — ${unchecked.length} of its ${conditions.length} causes not checked (${notChecked(unchecked)}); the ${no.length === 1 ? 'other does' : `other ${no.length} do`} not hold (${no.map((c) => c.id).join(', ')})`;
  } else headline = `${what}: none of its ${conditions.length === 1 ? 'cause holds' : `${conditions.length} causes holds`} on this host now (${conditions.map((c) => c.id).join(', ')})`;
  const next: string[] = [];
  const pid = (holds ?? near)?.pid;
  if (pid !== undefined) next.push(`sockdoc --pid ${pid}`);
  if ((holds ?? near)?.id === 'emfile' && pid !== undefined) next.push(`sockdoc limits ${pid}`);
  if (hints.port !== undefined) next.push(`sockdoc port ${hints.port}`);
  if (hints.path !== undefined || conditions.some((c) => c.id === 'unix-queue-full' && c.state !== 'no')) next.push('sockdoc sockets --unix --state LISTEN');
  for (const c of [holds, near]) if (c?.refs[0]) next.push(`sockdoc explain ${c.refs[0]}`);
  return {
    text: line,
    cut,
    recognised: { family: family.id, program: family.name, id: entry.id, errno: entry.errno, example: entry.example, source: entry.source, means: entry.means },
    hints,
    ...(scope ? { scope: { label: scope.label, pids: [...scope.pids], none: scope.none, note } } : {}),
    conditions,
    headline,
    next: [...new Set(next)],
    exitCode: holds ? 2 : near ? 1 : unchecked.length ? 3 : 0,
  };
}

/** "nginx (pids 812, 813)": at most a few pids named. */
function labelOf(name: string, pids: readonly number[]): string {
  const shown = pids.slice(0, 4).join(', ');
  return `${name} (pid${pids.length > 1 ? 's' : ''} ${shown}${pids.length > 4 ? `, … ${pids.length} in all` : ''})`;
}

/**
 * Whose causes the message speaks of: the pid the line names (with the rest of its program's
 * instance) when it still runs and is that program; else the program's processes; null for a
 * message any program prints. A pid that is gone or now another program is said in `note`.
 */
function scopeOf(emitter: Emitter | null, hints: Recognised['hints'], snapshot: Snapshot): { scope: CheckScope | null; note: string | null } {
  const procs = snapshot.processes;
  let note: string | null = null;
  if (hints.pid !== undefined) {
    const p = procs.find((x) => x.pid === hints.pid);
    if (p && (!emitter || emitter.comm.test(p.name))) {
      const inst = snapshot.programs?.find((i) => i.pids.includes(p.pid));
      const pids = new Set(inst ? inst.pids : [p.pid]);
      const uids = new Set(procs.filter((x) => pids.has(x.pid)).map((x) => x.uid));
      return { scope: { pids, uids, label: labelOf(emitter?.label ?? p.name, [...pids]), none: null }, note: `pid ${p.pid} from the line${inst && inst.pids.length > 1 ? ', with its instance' : ''}` };
    }
    note = p ? `pid ${hints.pid} named in the line is ${p.name} now, not ${emitter?.label ?? 'the program'} (a reused pid?)` : `pid ${hints.pid} named in the line does not run now`;
  }
  if (!emitter) return { scope: null, note };
  const mine = procs.filter((x) => emitter.comm.test(x.name));
  const pids = new Set(mine.map((x) => x.pid));
  const uids = new Set(mine.map((x) => x.uid));
  const none = mine.length ? null : `no ${emitter.label} process runs here now (stopped, not started yet, or in a namespace sockdoc could not read)`;
  return { scope: { pids, uids, label: mine.length ? labelOf(emitter.label, [...pids]) : emitter.label, none }, note };
}

/** "nothing-listening: the message names no port here", for each cause not checked. */
function notChecked(cs: readonly ConditionResult[]): string {
  // Causes not checked for one reason are named together: "emfile, tcp-queue-full: no nginx runs".
  const byWhy = new Map<string, string[]>();
  for (const c of cs) {
    const why = c.detail[0] ?? 'not checked';
    byWhy.set(why, [...(byWhy.get(why) ?? []), c.id]);
  }
  return [...byWhy].map(([why, ids]) => `${ids.join(', ')}: ${why}`).join('; ');
}

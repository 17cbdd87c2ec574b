/**
 * `sockdoc why`'s answer for one log line: which message it is, what it means, and which of the
 * kernel conditions that make it hold on this host now, for whom — the first line the answer.
 */
import type { Finding } from '../rules/types.js';
import type { Snapshot } from '../snapshot/types.js';
import { checkCondition, type ConditionResult } from './conditions.js';
import { FAMILIES, MAX_LINE, recognise, type Recognised } from './catalogue.js';

export interface WhyAnswer {
  /** The line as given (bounded to MAX_LINE characters). */
  text: string;
  /** Characters of the line past MAX_LINE that were not read (0: the whole line was). */
  cut: number;
  recognised: { family: string; program: string; id: string; errno: string; example: string; source: string; means: string } | null;
  hints: Recognised['hints'];
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
  const conditions = entry.conditions.map((c) => checkCondition(c, snapshot, findings, hints));
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
    conditions,
    headline,
    next: [...new Set(next)],
    exitCode: holds ? 2 : near ? 1 : unchecked.length ? 3 : 0,
  };
}

/** "nothing-listening: the message names no port here", for each cause not checked. */
function notChecked(cs: readonly ConditionResult[]): string {
  return cs.map((c) => `${c.id}: ${c.detail[0] ?? 'not checked'}`).join('; ');
}

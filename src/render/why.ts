/** `sockdoc why` in a terminal and as JSON: the answer first, then what was checked and for whom. */
import { terminalGuard, terminalSafe } from '../safety/terminal.js';
import { painter, wrap, type Style } from './format.js';
import type { WhyAnswer } from '../why/answer.js';
import { knownMessages } from '../why/answer.js';

export const WHY_SCHEMA_VERSION = 1;

const STATE: Record<WhyAnswer['conditions'][number]['state'], { tag: string; style: Style | null }> = {
  holds: { tag: 'HOLDS', style: 'redBold' },
  near: { tag: 'NEAR ', style: 'yellow' },
  no: { tag: 'no   ', style: 'dim' },
  unknown: { tag: '?    ', style: 'dim' },
};

/** What a log read with `why -` held beyond the answers given: said, never dropped silently. */
export interface WhyLeftOut {
  /** Distinct recognised messages past the answer cap, not answered. */
  messages: number;
  /** Distinct lines not recognised (when some were): not answered either. */
  unrecognised: number;
  /** The input was longer than what is read: the bytes past it were not looked at. */
  inputCut: boolean;
  /** At most this many distinct messages are answered. */
  cap: number;
}

/** The worst of several answers: a cause that holds, then one near, then one not checked, then none. */
export function whyExitCode(answers: readonly WhyAnswer[]): 0 | 1 | 2 | 3 {
  const codes = answers.map((a) => a.exitCode);
  if (codes.includes(2)) return 2;
  if (codes.includes(1)) return 1;
  if (codes.includes(3)) return 3;
  return 0;
}

/** One line each for what was left out. */
export function leftOutLines(left: WhyLeftOut | undefined): string[] {
  if (!left) return [];
  const out: string[] = [];
  if (left.messages) out.push(`${left.messages} more distinct message${left.messages === 1 ? ' was' : 's were'} not answered (at most ${left.cap} are): grep the log for one of them and ask again`);
  if (left.unrecognised) out.push(`${left.unrecognised} distinct line${left.unrecognised === 1 ? ' was' : 's were'} not recognised (sockdoc why --list shows what it knows)`);
  if (left.inputCut) out.push('the input was longer than 8 MiB: the rest was not read');
  return out;
}

export function renderWhy(answers: readonly WhyAnswer[], opts: { color: boolean; columns: number; where: string; leftOut?: WhyLeftOut }): string {
  const paint = painter(opts.color);
  const width = Math.max(60, opts.columns) - 2;
  const out: string[] = [];
  for (const a of answers) {
    if (out.length) out.push('');
    const headStyle: Style | null = a.exitCode === 2 ? 'redBold' : a.exitCode === 1 ? 'yellow' : a.exitCode === 3 ? 'bold' : 'green';
    out.push(...wrap(terminalSafe(a.headline), width).map((l, i) => (i ? `  ${l}` : paint(headStyle, l))));
    if (a.cut) out.push(`  note        the line is longer than ${a.text.length} characters: its last ${a.cut} were not read`);
    if (!a.recognised) {
      out.push(`  line        ${terminalSafe(a.text.slice(0, 200))}`);
      out.push('  sockdoc knows these messages (and any line holding their errno text or name):');
      for (const m of knownMessages()) out.push(`    ${terminalSafe(m)}`);
      continue;
    }
    const r = a.recognised;
    out.push(`  recognised  ${terminalSafe(r.program.split(' (')[0])} message ${r.id} (${terminalSafe(r.errno)})`);
    for (const [i, l] of wrap(terminalSafe(r.means), width - 14).entries()) out.push(`  ${i ? '            ' : 'means       '}${l}`);
    if (a.scope) {
      const who = a.scope.none ? `${a.scope.label}: ${a.scope.none}` : `${a.scope.label}: its own causes are checked for it alone`;
      for (const [i, l] of wrap(terminalSafe(who + (a.scope.note ? ` (${a.scope.note})` : '')), width - 14).entries()) out.push(`  ${i ? '            ' : 'logged by   '}${l}`);
    }
    out.push(`  checked on ${terminalSafe(opts.where)}:`);
    for (const c of a.conditions) {
      const s = STATE[c.state];
      out.push(`    ${paint(s.style, s.tag)}  ${terminalSafe(c.title)}`);
      const detail = c.state === 'unknown' ? [`not checked: ${c.detail[0] ?? 'unknown'}`, ...c.detail.slice(1)] : c.detail;
      for (const d of detail) for (const [i, l] of wrap(terminalSafe(d), width - 13).entries()) out.push(`           ${i ? '  ' : '- '}${l}`);
    }
    if (a.next.length) out.push(`  next        ${a.next.map(terminalSafe).join('   ')}`);
  }
  const left = leftOutLines(opts.leftOut);
  if (left.length) out.push('', ...left.map((l) => paint('bold', `not answered: ${l}`)));
  return terminalGuard(out.join('\n') + '\n');
}

export function whyToJson(answers: readonly WhyAnswer[], leftOut?: WhyLeftOut): object {
  return {
    schemaVersion: WHY_SCHEMA_VERSION,
    exitCode: whyExitCode(answers),
    ...(leftOut ? { leftOut: { messages: leftOut.messages, unrecognised: leftOut.unrecognised, inputCut: leftOut.inputCut, cap: leftOut.cap } } : {}),
    answers: answers.map((a) => ({ ...a, conditions: a.conditions.map((c) => ({ ...c, detail: [...c.detail], refs: [...c.refs] })) })),
  };
}

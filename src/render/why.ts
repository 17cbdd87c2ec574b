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

export function renderWhy(answers: readonly WhyAnswer[], opts: { color: boolean; columns: number; where: string }): string {
  const paint = painter(opts.color);
  const width = Math.max(60, opts.columns) - 2;
  const out: string[] = [];
  for (const a of answers) {
    if (out.length) out.push('');
    const headStyle: Style | null = a.exitCode === 2 ? 'redBold' : a.exitCode === 1 ? 'yellow' : a.exitCode === 3 ? 'bold' : 'green';
    out.push(...wrap(terminalSafe(a.headline), width).map((l, i) => (i ? `  ${l}` : paint(headStyle, l))));
    if (!a.recognised) {
      out.push(`  line        ${terminalSafe(a.text.slice(0, 200))}`);
      out.push('  sockdoc knows these messages (and any line holding their errno text or name):');
      for (const m of knownMessages()) out.push(`    ${terminalSafe(m)}`);
      continue;
    }
    const r = a.recognised;
    out.push(`  recognised  ${terminalSafe(r.program.split(' (')[0])} message ${r.id} (${terminalSafe(r.errno)})`);
    for (const [i, l] of wrap(terminalSafe(r.means), width - 14).entries()) out.push(`  ${i ? '            ' : 'means       '}${l}`);
    out.push(`  checked on ${terminalSafe(opts.where)}:`);
    for (const c of a.conditions) {
      const s = STATE[c.state];
      out.push(`    ${paint(s.style, s.tag)}  ${terminalSafe(c.title)}`);
      for (const d of c.detail) for (const [i, l] of wrap(terminalSafe(d), width - 13).entries()) out.push(`           ${i ? '  ' : '- '}${l}`);
    }
    if (a.next.length) out.push(`  next        ${a.next.map(terminalSafe).join('   ')}`);
  }
  return terminalGuard(out.join('\n') + '\n');
}

export function whyToJson(answers: readonly WhyAnswer[]): object {
  return {
    schemaVersion: WHY_SCHEMA_VERSION,
    exitCode: Math.max(0, ...answers.map((a) => (a.exitCode === 3 ? -1 : a.exitCode))) as number,
    answers: answers.map((a) => ({ ...a, conditions: a.conditions.map((c) => ({ ...c, detail: [...c.detail], refs: [...c.refs] })) })),
  };
}

/** The lab as a person reads it: each step's sockets, findings and checks, then the verdict. Pure. */
import { terminalGuard, terminalSafe } from '../safety/terminal.js';
import type { Severity } from '../rules/types.js';
import type { Scenario, ScenarioResult, SocketLine, StepReport } from './types.js';
import { describeOutcomes } from './scenarios/common.js';

export interface LabRenderOptions {
  color: boolean;
}

const SGR = { red: '31', green: '32', yellow: '33', bold: '1', dim: '2' } as const;

function paint(o: LabRenderOptions, style: keyof typeof SGR, text: string): string {
  return o.color ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text;
}

const SEVERITY_STYLE: Record<Severity, keyof typeof SGR> = { critical: 'red', warning: 'yellow', info: 'dim' };

function table(cells: string[][]): string[] {
  // ss output and process names: host text, escaped before widths are measured.
  const rows = cells.map((r) => r.map(terminalSafe));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

/** ss -tanp, folded: identical sockets on one line with "× N". */
export function renderSocketLines(lines: SocketLine[]): string[] {
  if (!lines.length) return ['(no sockets on the lab port)'];
  const rows = [['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port', 'Process', '']];
  for (const l of lines) rows.push([l.state, l.recvQ, l.sendQ, l.local, l.peer, l.process, l.count > 1 ? `× ${l.count}` : '']);
  return table(rows);
}

function counters(step: StepReport): string | null {
  const o = step.observation;
  if (o.listenOverflows === null) return null;
  const delta = o.listenOverflowsDelta !== null ? ` (+${o.listenOverflowsDelta} during the sampling window)` : '';
  return `ListenOverflows ${o.listenOverflows}${delta}, ListenDrops ${o.listenDrops ?? '?'}`;
}

export function renderStep(step: StepReport, index: number, o: LabRenderOptions): string {
  const out: string[] = [];
  out.push(paint(o, 'bold', `── Step ${index + 1}: ${step.title}`) + paint(o, 'dim', `  (t+${(step.atMs / 1000).toFixed(1)} s)`));
  for (const s of step.story) out.push(`   ${s}`);
  out.push('');
  out.push(...renderSocketLines(step.sockets).map((l) => `   ${l}`));
  const c = counters(step);
  if (c) out.push(`   ${c}`);
  if (step.clients) out.push(`   clients: ${describeOutcomes(step.clients)}`);
  for (const l of step.logs) out.push(paint(o, 'dim', `   log: ${terminalSafe(l)}`));
  out.push('');
  out.push('   sockdoc says:');
  if (!step.findings.length) out.push('     nothing to report');
  for (const f of step.findings) {
    const sev = paint(o, SEVERITY_STYLE[f.severity], f.severity.toUpperCase().padEnd(8));
    out.push(`     ${sev} ${f.id.padEnd(22)} ${terminalSafe(f.title)}`);
  }
  if (step.outOfScope) out.push(paint(o, 'dim', `     (${step.outOfScope} finding(s) about processes outside the lab not shown)`));
  out.push('   expected:');
  for (const ch of step.checks) {
    const mark = ch.ok ? paint(o, 'green', '✓') : paint(o, 'red', '✗');
    const detail = ch.detail && (!ch.ok || /^saw /.test(ch.detail)) ? paint(o, 'dim', ` — ${terminalSafe(ch.detail)}`) : '';
    out.push(`     ${mark} ${ch.label}${detail}`);
  }
  return terminalGuard(out.join('\n') + '\n\n');
}

export function renderBegin(e: { scenario: string; mode: string; labId: string; notes: string[] }, scenario: Scenario | undefined, o: LabRenderOptions): string {
  const out = [paint(o, 'bold', `sockdoc lab ${e.scenario}`) + (scenario ? ` — ${scenario.summary}` : '')];
  out.push(paint(o, 'dim', e.mode === 'netns' ? `namespace ${e.labId}` : `run ${e.labId} (host network namespace)`));
  for (const n of e.notes) out.push(paint(o, 'dim', terminalSafe(n)));
  return terminalGuard(out.join('\n') + '\n\n');
}

export function renderVerdict(r: ScenarioResult, o: LabRenderOptions): string {
  const out: string[] = [];
  const extra = r.notes.filter((n) => !/^(Own network namespace|Not root|- )/.test(n));
  for (const n of extra) out.push(terminalSafe(n));
  const checks = r.steps.reduce((n, s) => n + s.checks.length, 0);
  const secs = (r.durationMs / 1000).toFixed(1);
  const cleanup = r.mode === 'netns' ? `; namespace ${r.labId} and its processes removed` : '; lab processes stopped';
  if (r.ok) out.push(paint(o, 'green', `${r.scenario}: reproduced — ${checks} checks held in ${secs} s`) + cleanup + '.');
  else {
    const head = r.interrupted ? 'interrupted' : 'NOT reproduced';
    out.push(paint(o, 'red', `${r.scenario}: ${head} after ${secs} s — ${r.differences.length} difference(s):`));
    for (const d of r.differences) out.push(`  - ${terminalSafe(d)}`);
    out.push(cleanup.slice(2) + '.');
  }
  return terminalGuard(out.join('\n') + '\n');
}

export function renderList(scenarios: readonly Scenario[]): string {
  const width = Math.max(...scenarios.map((s) => s.name.length));
  const lines = scenarios.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}\n  ${' '.repeat(width)}  proves: ${s.proves.join(', ')}${s.flags.length ? `; flags: ${s.flags.map((f) => `--${f}`).join(' ')}` : ''}`);
  return `Scenarios (sockdoc lab <name>):\n${lines.join('\n')}\n`;
}

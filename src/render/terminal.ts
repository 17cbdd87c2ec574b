/**
 * The terminal report of `sockdoc`: written for someone woken at 3 am. What is wrong comes first,
 * most severe first, each with its proof and a fix to paste; then the context tables; then what
 * sockdoc could not see; the last line says how bad it is and which exit code follows.
 *
 * @example
 * io.stdout(renderDiagnosis(d, { color: useColor(io), columns: io.columns }));
 */
import { terminalGuard, terminalSafe } from '../safety/terminal.js';
import type { Diagnosis } from './report.js';
import { SEVERITY_ORDER, type Finding, type Severity } from '../rules/types.js';
import { duration, hostPort, pack, painter, percent, pidName, wrap, type Painter, type Style } from './format.js';
import { describeFilter, filterListeners, filterProcesses } from './filter.js';
import { renderFindings } from './terminal-findings.js';
import { busiestListeners, countersLines, fdRatio, fdSection, listenersSection, nearestFdLimit } from './terminal-tables.js';

export interface TerminalOptions {
  /** ANSI colours; when false the output holds not one escape byte. */
  color: boolean;
  /** Terminal width. Prose is wrapped to it, but never wider than MAX_WIDTH nor narrower than MIN_WIDTH. */
  columns: number;
}

/** Lines longer than this are hard to read back, however wide the terminal. */
export const MAX_WIDTH = 100;
export const MIN_WIDTH = 40;

/** "2024-11-24 21:53:07 UTC" from an ISO timestamp; anything else is shown as given. */
function when(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

function header(d: Diagnosis, width: number, paint: Painter): string[] {
  const { host, counters } = d.snapshot;
  const items = [
    host.hostname ?? 'unknown host',
    host.kernel ? `Linux ${host.kernel}` : 'kernel unknown',
    when(host.takenAt),
    counters.intervalMs > 0 ? `${duration(counters.intervalMs)} window` : 'one read (no rates)',
  ];
  if (host.root !== '/') items.push(`root ${host.root}`);
  const filter = describeFilter(d.filter);
  if (filter) items.push(`filter: ${filter}`);
  const lines = pack(items.map(terminalSafe), width - 'sockdoc  '.length, ' · ');
  const out = lines.map((l, i) => (i === 0 ? paint('bold', 'sockdoc') + '  ' : '         ') + l);
  if (d.snapshot.partial) out[out.length - 1] += ' · ' + paint('yellow', 'PARTIAL: see notes');
  return out;
}

function counts(findings: readonly Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) c[f.severity]++;
  return c;
}

/** "2 critical, 1 warning — exit 2"; "healthy — exit 0". */
export function summaryLine(d: Diagnosis, paint: Painter): string {
  const c = counts(d.findings);
  const parts: string[] = [];
  if (c.critical) parts.push(`${c.critical} critical`);
  if (c.warning) parts.push(`${c.warning} warning${c.warning > 1 ? 's' : ''}`);
  if (c.info) parts.push(`${c.info} info`);
  const what = c.critical || c.warning ? parts.join(', ') : parts.length ? `healthy (${parts.join(', ')})` : 'healthy';
  const style: Style = d.exitCode === 2 ? 'redBold' : d.exitCode === 1 ? 'yellow' : 'green';
  const partial = d.snapshot.partial ? paint('yellow', ' (partial: some things could not be seen)') : '';
  return paint(style, `${what} — exit ${d.exitCode}`) + partial;
}

function notesSection(notes: readonly string[], width: number, paint: Painter): string[] {
  if (notes.length === 0) return [];
  const out = [paint('bold', 'Notes') + paint('dim', '  what sockdoc could not see or had to approximate')];
  for (const n of notes) wrap(terminalSafe(n), width - 4).forEach((l, i) => out.push((i === 0 ? '  - ' : '    ') + l));
  return out;
}

/** A quiet host: three lines of what was checked, so "nothing found" is believable. */
function healthyLines(d: Diagnosis, paint: Painter): string[] {
  const s = d.snapshot;
  const names = new Map(s.processes.map((p) => [p.pid, p.name]));
  const out = [paint('green', '✓ No problems found.')];
  const top = busiestListeners(s.listeners)[0];
  if (top) {
    const owner = top.pids.length ? ` (${terminalSafe(pidName(top.pids[0], names.get(top.pids[0])))})` : '';
    out.push(`  ${s.listeners.length} listener${s.listeners.length === 1 ? '' : 's'}, fullest queue ${top.acceptQueue}/${top.backlog ?? '?'} on ${hostPort(top.address, top.port)}${owner}`);
  } else out.push('  no TCP listeners');
  const fd = nearestFdLimit(s.processes)[0];
  if (fd) {
    out.push(`  ${s.processes.length} processes, highest fd use ${percent(fdRatio(fd)!)} (${fd.fds.open}/${fd.fds.soft}, ${terminalSafe(pidName(fd.pid, fd.name))})`);
  } else out.push(`  ${s.processes.length} processes, fd use unknown`);
  return out;
}

/** The whole report, ending in a newline. */
export function renderDiagnosis(d: Diagnosis, opts: TerminalOptions): string {
  const paint = painter(opts.color);
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.floor(opts.columns) || MAX_WIDTH));
  const filtered = describeFilter(d.filter) !== null;
  // The rules sort already; a stable re-sort keeps their order within a severity and guards the promise.
  const findings = [...d.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const sections: string[][] = [header(d, width, paint)];

  if (findings.length === 0 && !filtered) {
    sections.push(healthyLines(d, paint));
  } else {
    const port = d.portCheck && d.portCheck.severity !== 'ok' ? d.portCheck : undefined;
    if (port) {
      // Not "no problems": a port nobody listens on refuses every connection (sockdoc port P).
      const tag = port.severity === 'critical' ? paint('redBold', 'CRITICAL') : paint('yellow', 'WARNING ');
      const head = wrap(terminalSafe(port.headline), width - 10);
      sections.push([`${tag}  ${paint('bold', head[0])}`, ...head.slice(1).map((l) => `          ${paint('bold', l)}`), ...wrap(`${port.explain[0]} Details: sockdoc port ${port.port}`, width - 10).map((l) => `          ${l}`)]);
    }
    if (findings.length) sections.push(renderFindings(findings, width, paint));
    else if (!port) sections.push([paint('green', '✓ No problems found') + ` for ${describeFilter(d.filter)}.`]);
    sections.push(listenersSection(filterListeners(d.snapshot, d.filter), d.snapshot, paint, filtered));
    sections.push(fdSection(filterProcesses(d.snapshot, d.filter), d.snapshot, paint, filtered));
  }
  sections.push(countersLines(d.snapshot.counters, width, paint));
  sections.push(notesSection(d.snapshot.notes, width, paint));
  sections.push([summaryLine(d, paint)]);
  return terminalGuard(sections.filter((s) => s.length > 0).map((s) => s.join('\n')).join('\n\n') + '\n');
}

/**
 * The terminal report of `sockdoc`: written for someone woken at 3 am. What is wrong comes first,
 * most severe first, each with its proof and a fix to paste; then the context tables; then what
 * sockdoc could not see; the last line says how bad it is and which exit code follows.
 *
 * @example
 * io.stdout(renderDiagnosis(d, { color: useColor(io), columns: io.columns }));
 */
import { countersOf } from '../snapshot/namespaces.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import { terminalGuard, terminalSafe } from '../safety/terminal.js';
import type { Diagnosis } from './report.js';
import type { Counters } from '../snapshot/types.js';
import { SEVERITY_ORDER, type Finding, type Severity } from '../rules/types.js';
import { listenerLabel } from '../rules/support/refs.js';
import { duration, hostPort, pack, painter, percent, pidName, visible, wrap, type Painter, type Style } from './format.js';
import { describeFilter, filterListeners, filterProcesses } from './filter.js';
import { renderFindings, SEVERITY_STYLE } from './terminal-findings.js';
import { chainText, linkedGroups, reportOrder } from './answer.js';
import { groupKey } from './groups.js';
import { busiestListeners, countersLines, namespaceCountersLines, fdRatio, fdSection, listenersSection, nearestFdLimit } from './terminal-tables.js';

export interface TerminalOptions {
  /** ANSI colours; when false the output holds not one escape byte. */
  color: boolean;
  /** The long form: whole explanations, all evidence, related links, the listener and fd tables. */
  verbose?: boolean;
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
    // A capture is shown at its own time, never at the time it is read.
    host.root === '/' ? when(host.takenAt) : host.capturedAt ? `captured ${when(host.capturedAt)}` : 'capture time unknown',
    counters.intervalMs > 0 ? `${duration(counters.intervalMs)} window` : 'one read (no rates)',
  ];
  if (host.root !== '/') items.push(`root ${host.root}`);
  const filter = describeFilter(d.filter);
  if (filter) items.push(`filter: ${filter}`);
  const scope = d.snapshot.scope;
  if (scope) items.push(`read ${scope.read} of ${scope.seen} network namespace${scope.seen === 1 ? '' : 's'} (${scope.asked})`);
  const lines = pack(items.map(terminalSafe), width - 'sockdoc  '.length, ' · ');
  const out = lines.map((l, i) => (i === 0 ? paint('bold', 'sockdoc') + '  ' : '         ') + l);
  if (d.snapshot.partial) {
    const notRoot = host.root === '/' && !host.asRoot;
    const tag = notRoot ? 'PARTIAL: not root, owners of other users not visible' : 'PARTIAL: see notes';
    // On the last header line when it fits, else on a line of its own: never past the width.
    if (visible(out[out.length - 1]).length + 3 + tag.length <= width) out[out.length - 1] += ' · ' + paint('yellow', tag);
    else out.push('         ' + paint('yellow', tag));
  }
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
  // The footer and the exit code agree: a port verdict (--port: nothing listens, loopback only)
  // that sets the code is counted here as what it is, never under "healthy".
  const port = d.portCheck && d.portCheck.severity !== 'ok' ? d.portCheck : undefined;
  if (port) parts.unshift(`port ${port.port}: ${port.severity}`);
  const what = c.critical || c.warning || port ? parts.join(', ') : parts.length ? `healthy (${parts.join(', ')})` : 'healthy';
  const style: Style = d.exitCode === 2 ? 'redBold' : d.exitCode === 1 ? 'yellow' : 'green';
  const partial = d.snapshot.partial ? paint('yellow', ' (partial: some things could not be seen)') : '';
  return paint(style, `${what} — exit ${d.exitCode}`) + partial;
}

function notesSection(notes: readonly string[], width: number, paint: Painter, compact = false): string[] {
  if (notes.length === 0) return [];
  if (compact) {
    // Short form: the label on the first note's line; the first few notes, the rest counted.
    const out: string[] = [];
    const shown = notes.length > MAX_NOTES ? [...notes.slice(0, MAX_NOTES - 1), `and ${notes.length - MAX_NOTES + 1} more notes (--verbose)`] : notes;
    shown.forEach((n, k) => {
      // Two lines a note at most; the whole of it is one --verbose away.
      let lines = wrap(terminalSafe(n), width - 9);
      if (lines.length > 2) lines = [lines[0], cutLine(lines.slice(1).join(' '), width - 9)];
      lines.forEach((l, i) => out.push((i > 0 ? '         ' : k === 0 ? paint('bold', 'Notes') + '  - ' : '       - ') + l));
    });
    return out;
  }
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
    out.push(`  ${s.listeners.length} listener${s.listeners.length === 1 ? '' : 's'}, busiest queue ${top.acceptQueue}/${top.backlog ?? '?'} on ${terminalSafe(listenerLabel(top))}${owner}`);
  } else out.push('  no listeners');
  const fd = nearestFdLimit(s.processes)[0];
  if (fd) {
    out.push(`  ${s.processes.length} processes, highest fd use ${percent(fdRatio(fd)!)} (${fd.fds.open}/${fd.fds.soft}, ${terminalSafe(pidName(fd.pid, fd.name))})`);
  } else out.push(`  ${s.processes.length} processes, fd use unknown`);
  return out;
}

/** The counters of several namespaces added up (one window: deltas only when every one has them). */
function sumCounters(all: readonly Counters[]): Counters {
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  const values: Record<string, number> = {};
  const deltas: Record<string, number> = {};
  for (const c of all) {
    add(values, c.values);
    if (c.deltas) add(deltas, c.deltas);
  }
  return { values, deltas: all.every((c) => c.deltas !== null) ? deltas : null, intervalMs: all[0]?.intervalMs ?? 0 };
}

/** The text on one line of `width`, cut at a word with " …" when longer. */
function cutLine(text: string, width: number): string {
  if (text.length <= width) return text;
  const at = text.lastIndexOf(' ', width - 2);
  return `${text.slice(0, at > 0 ? at : width - 2)} …`;
}

/** Short form: at most this many namespaces' drop counters in the footer; more are added up on one line. */
const MAX_NAMESPACE_COUNTERS = 2;
/** Short form: at most this many notes; --verbose has them all. */
const MAX_NOTES = 5;

/** At most this many chains in the answer; the rest are in the findings. */
const MAX_CHAINS = 3;

/**
 * The answer, first: the verdict and one line per cause chain, wrapped under the verdict word.
 * The first finding of a chain sets its severity word.
 */
function answerLines(findings: readonly Finding[], d: Diagnosis, width: number, paint: Painter): string[] {
  const all = linkedGroups(findings);
  const out: string[] = [];
  const pad = ' '.repeat(TAG_COLUMN);
  // Info-only chains are context, not the answer, unless there is nothing else.
  const groups = all.some((g) => g.some((f) => f.severity !== 'info')) ? all.filter((g) => g.some((f) => f.severity !== 'info')) : all;
  // Chains that start with findings of one group (the same problem of one program) are one line:
  // the first of them, and how many more are alike.
  const alike = new Map<string, { chain: Finding[]; more: number; program: string | undefined }>();
  for (const g of groups) {
    const key = groupKey(g[0], d.snapshot.identities);
    const seen = alike.get(key);
    if (seen) seen.more++;
    else alike.set(key, { chain: g, more: 0, program: g[0].subject.name });
  }
  const lines = [...alike.values()];
  // Two programs of one name (two python3 services) say which is which: the unit, else the executable.
  const named = new Map<string, number>();
  for (const l of lines) if (l.program !== undefined) named.set(l.program, (named.get(l.program) ?? 0) + 1);
  const which = (f: Finding) => {
    const who = f.subject.pid === undefined ? undefined : d.snapshot.identities?.get(f.subject.pid);
    const v = who?.unit ?? who?.exe;
    return v ? ` (${v})` : '';
  };
  for (const { chain, more, program } of lines.slice(0, MAX_CHAINS)) {
    const severity = chain[0].severity;
    const tail = more > 0 ? ` (+${more} alike${program !== undefined ? ` of ${program}${(named.get(program) ?? 0) > 1 ? which(chain[0]) : ''}` : ''})` : '';
    let text = wrap(terminalSafe(chainText(chain, (netns) => countersOf(d.snapshot, netns)) + tail), width - TAG_COLUMN);
    // Chains alike are one line: the groups below carry their numbers.
    if (more > 0 && text.length > 1) text = [cutLine(text.join(' '), width - TAG_COLUMN)];
    out.push(paint(SEVERITY_STYLE[severity], severity.toUpperCase().padEnd(TAG_COLUMN)) + text[0], ...text.slice(1).map((t) => pad + t));
  }
  if (lines.length > MAX_CHAINS) out.push(pad + paint('dim', `and ${lines.length - MAX_CHAINS} more below`));
  return out;
}

const TAG_COLUMN = 10;

/** The whole report, ending in a newline. */
export function renderDiagnosis(d: Diagnosis, opts: TerminalOptions): string {
  const paint = painter(opts.color);
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.floor(opts.columns) || MAX_WIDTH));
  const filtered = describeFilter(d.filter) !== null;
  // A stable sort: the rules' order stays within a severity and a chain role.
  const findings = reportOrder(d.findings);
  const sections: string[][] = [header(d, width, paint)];
  const verbose = opts.verbose === true;

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
    if (findings.length) {
      sections.push(answerLines(findings, d, width, paint));
      sections.push(renderFindings(findings, width, paint, verbose, d.snapshot.identities));
    } else if (!port) sections.push([paint('green', '✓ No problems found') + ` for ${describeFilter(d.filter)}.`]);
    // The tables are context: in the long form, or when there is no finding to read instead.
    if (verbose || findings.length === 0) {
      sections.push(listenersSection(filterListeners(d.snapshot, d.filter), d.snapshot, paint, filtered));
      sections.push(fdSection(filterProcesses(d.snapshot, d.filter), d.snapshot, paint, filtered));
    }
  }
  const notes = notesSection(d.snapshot.notes, width, paint, !verbose);
  const more = findings.length && !verbose ? paint('dim', ' · more: --verbose, sockdoc explain ID') : '';
  // The footer: the drop counters, then notes, and the verdict again where the scroll ends; one
  // block in the short form, spaced in the long one.
  // The first namespace is the host's, or the one container a scoped read (--container) read.
  const counters = countersLines(d.snapshot.counters, width, paint, d.snapshot.namespaces[0]?.kind === 'host' || !d.snapshot.namespaces.length ? 'boot' : 'creation');
  // Short form: the counters of the first few namespaces that counted drops; the rest added up (a
  // node with 300 pods must not print 300 lines here).
  const counting = d.snapshot.namespaces.slice(1).filter((ns) => namespaceCountersLines('', ns.counters, width, paint).length > 0);
  if (verbose || counting.length <= MAX_NAMESPACE_COUNTERS) {
    for (const ns of counting) counters.push(...namespaceCountersLines(terminalSafe(netnsLabel(ns)), ns.counters, width, paint));
  } else {
    counters.push(...namespaceCountersLines(`${counting.length} namespaces (each: --verbose)`, sumCounters(counting.map((ns) => ns.counters)), width, paint));
  }
  if (notes.length && verbose) sections.push(counters, notes, [summaryLine(d, paint) + more]);
  else sections.push([...counters, ...notes, summaryLine(d, paint) + more]);
  return terminalGuard(sections.filter((s) => s.length > 0).map((s) => s.join('\n')).join('\n\n') + '\n');
}

/**
 * The watch screen as lines of text, fitted to the terminal: a header with the host's state, the
 * listeners nearest full, the processes nearest their fd limit (trend, rate, "full in"), counter
 * rates, the findings one line each, and a footer of keys. Overlays: a finding's why and fix, the
 * help. Pure: the same model, state and size give the same lines.
 */
import { painter, wrap, type Painter, type Style } from '../render/format.js';
import { approxDuration, plural, ratePerMinute, waitText } from '../rules/support/text.js';
import type { Severity } from '../rules/types.js';
import { filterModel, type FindingRow, type Model, type ProcessRow } from './model.js';
import { sparkline } from './sparkline.js';
import { clip, fit, pad, safe, width } from './text.js';
import { shellLineSafe } from '../safety/terminal.js';
import type { UiState } from './ui.js';

export interface ScreenSize {
  cols: number;
  rows: number;
}

const SEVERITY_STYLE: Record<Severity, Style> = { critical: 'redBold', warning: 'yellow', info: 'cyan' };
const SPARK = 24;
/** Each of a listener's two sparklines (queue, wait): two fit where one process sparkline does. */
const LISTENER_SPARK = 16;

function percentText(ratio: number | null): string {
  return ratio === null ? '-' : `${Math.round(ratio * 100)}%`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function fullIn(p: ProcessRow): string {
  if (p.etaMs !== null) return approxDuration(p.etaMs);
  if (p.soft !== null && p.open >= p.soft) return 'FULL';
  switch (p.noForecast) {
    case 'too-few-samples':
      return 'learning';
    case 'sawtooth':
      return 'sawtooth';
    case 'beyond-horizon':
      return '> horizon';
    default:
      return '-';
  }
}

function rule(title: string, cols: number, c: Painter): string {
  const head = `─ ${title} `;
  return c('bold', fit(head + '─'.repeat(Math.max(0, cols - head.length)), cols));
}

function header(m: Model, ui: UiState, everyMs: number, cols: number, c: Painter): string[] {
  // Never "healthy" for what it could not see: a partial read with no findings is just that.
  const quiet = m.partial ? c('yellow', 'no findings') : c('green', 'healthy');
  const state = m.counts.critical ? c('redBold', `${m.counts.critical} critical`) : m.counts.warning ? c('yellow', 'warnings') : quiet;
  const host = safe(m.hostname ?? 'this host');
  // A sample slower than --every sets the pace (samples never overlap): say the real one.
  const pace = m.tookMs > everyMs ? `every ${everyMs / 1000} s asked, ${(Math.round(m.tookMs / 100) / 10).toFixed(1)} s per sample` : `every ${everyMs / 1000} s`;
  const line1 = `sockdoc watch · ${host}${m.scope ? ` · ${safe(m.scope)} only` : ''}${m.kernel ? ` · ${safe(m.kernel)}` : ''} · ${clock(m.at)} UTC · ${pace} · ${approxDuration(m.spanMs).slice(1)} of history`;
  const counts = `${m.counts.critical} critical, ${m.counts.warning} warning${m.counts.warning === 1 ? '' : 's'}, ${m.counts.info} info`;
  const fileNr = m.fileNr ? ` · files ${m.fileNr.allocated}${m.fileNr.max !== null && m.fileNr.max < 1e15 ? `/${m.fileNr.max}` : ''}` : '';
  const line2 = `${counts} · ${plural(m.sockets, 'socket')} · ${plural(m.listenerCount, 'listener')} · ${plural(m.processCount, 'process', 'processes')}${fileNr}`;
  const flags = [ui.paused ? c('redBold', ' PAUSED ') : '', m.partial ? c('yellow', m.asRoot ? 'partial' : 'partial (not root)') : ''].filter(Boolean).join(' ');
  return [fit(line1, cols), `${state}${flags ? ` ${flags}` : ''} · ${line2}`];
}

/** "4.1 s" the longest wait of a queued client, "0" none, "-" unknown. */
function waitCell(ms: number | null): string {
  return ms === null ? '-' : ms === 0 ? '0' : waitText(ms).replace(' ', '');
}

/** "+12" dropped since the previous sample, else the total since it was opened; "-" unknown. */
function dropsCell(total: number | null, now: number | null): string {
  if (total === null) return '-';
  return now !== null && now > 0 ? `+${now}` : String(total);
}

function listenerLines(m: Model, all: Model['listeners'], ui: UiState, cols: number, max: number, c: Painter): string[] {
  // Two listeners on 127.0.0.1:8080 in two containers are two rows: name the namespace when there are several.
  // Decided on the unfiltered list, so the columns do not jump while a filter is typed.
  const ns = netnsColumn(all);
  const out = [
    c('dim', `  ${ns('netns')}${pad('listen', 22)} ${pad('process', 18)} ${pad('queue/backlog', 14, true)} ${pad('used', 5, true)} ${pad('syn', 5, true)} ${pad('drops', 6, true)} ${pad('wait', 7, true)}  ${pad(`queue, last ${LISTENER_SPARK}`, LISTENER_SPARK)} wait`),
  ];
  for (const l of m.listeners.slice(0, max)) {
    const style: Style | null = l.ratio !== null && l.ratio >= 1 ? 'redBold' : l.ratio !== null && l.ratio >= 0.8 ? 'yellow' : null;
    const waitStyle: Style | null = l.waitMs !== null && l.waitMs >= 10_000 ? 'redBold' : l.waitMs !== null && l.waitMs >= 1000 ? 'yellow' : null;
    const qb = `${l.queue}/${l.backlog ?? '?'}`;
    const spark = sparkline(l.trend, LISTENER_SPARK, { min: 0, max: l.backlog ?? undefined });
    const waitSpark = l.waitMs === null ? '' : sparkline(l.waitTrend, LISTENER_SPARK, { min: 0 });
    out.push(
      `  ${ns(safe(l.netnsName))}${pad(safe(l.label), 22)} ${pad(safe(l.owner), 18)} ${c(style, pad(qb, 14, true))} ${c(style, pad(percentText(l.ratio), 5, true))} ${pad(String(l.synRecv), 5, true)} ` +
        `${c((l.dropsNow ?? 0) > 0 ? 'redBold' : null, pad(dropsCell(l.drops, l.dropsNow), 6, true))} ${c(waitStyle, pad(waitCell(l.waitMs), 7, true))}  ${c('cyan', pad(spark, LISTENER_SPARK))} ${c(waitStyle ?? 'cyan', waitSpark)}`,
    );
  }
  if (m.listeners.length === 0) out.push(c('dim', ui.filter ? `  (no listener matches the filter ${safe(ui.filter)})` : '  (no listening TCP sockets)'));
  return out;
}

/**
 * A netns column when the rows are in several namespaces, or in one that is not the host's (a
 * watch --container web): decided on the unfiltered rows, so it does not jump while a filter is typed.
 */
function netnsColumn(all: ReadonlyArray<{ netns: number | null; netnsName: string }>): (text: string) => string {
  const spaces = new Set(all.map((r) => r.netns));
  const w = spaces.size > 1 || all.some((r) => r.netnsName !== 'host') ? Math.min(16, Math.max(5, ...all.map((r) => width(safe(r.netnsName))))) : 0;
  return (text) => (w ? `${pad(text, w)} ` : '');
}

function processLines(m: Model, all: Model['processes'], ui: UiState, cols: number, max: number, c: Painter): string[] {
  // Two containers' python3 at their limit are told apart by the namespace, as listeners are.
  const ns = netnsColumn(all);
  const out = [
    c('dim', `  ${ns('netns')}${pad('pid', 7, true)} ${pad('name', 16)} ${pad('open/soft', 13, true)} ${pad('used', 5, true)} ${pad('rate', 10, true)} ${pad('full in', 11, true)}  open fds, last ${SPARK} (sort: ${ui.sort})`),
  ];
  for (const p of m.processes.slice(0, max)) {
    const style: Style | null = p.ratio !== null && p.ratio >= 0.95 ? 'redBold' : p.ratio !== null && p.ratio >= 0.8 ? 'yellow' : null;
    const etaStyle: Style | null = p.etaMs === null ? 'dim' : p.etaMs < 3600_000 ? 'redBold' : 'yellow';
    const rate = p.perSecond === null ? '-' : ratePerMinute(p.perSecond);
    const spark = sparkline(p.trend, SPARK, { min: 0, max: p.soft ?? undefined });
    out.push(
      `  ${ns(safe(p.netnsName))}${pad(String(p.pid), 7, true)} ${pad(safe(p.name), 16)} ${c(style, pad(`${p.open}/${p.soft ?? '∞'}`, 13, true))} ${c(style, pad(percentText(p.ratio), 5, true))} ${pad(rate, 10, true)} ${c(etaStyle, pad(fullIn(p), 11, true))}  ${c('cyan', spark)}`,
    );
  }
  if (m.processes.length === 0) {
    const why = ui.filter
      ? `no process matches the filter ${safe(ui.filter)}`
      : m.processCount > 0
        ? `the fds of ${plural(m.processCount, 'process', 'processes')} could not be read${m.asRoot ? '' : ' (not root: run as root to see them)'}`
        : 'no process visible';
    out.push(c('dim', `  (${why})`));
  }
  return out;
}

function rateLines(m: Model, cols: number, c: Painter): string[] {
  const parts = m.rates.map((r) => {
    const name = r.counter.split('.')[1];
    const v = r.perSecond === null ? '-' : r.perSecond >= 10 ? String(Math.round(r.perSecond)) : String(Math.round(r.perSecond * 10) / 10);
    const hot = r.perSecond !== null && r.perSecond > 0 && /Overflows|Drops|Drop$/.test(r.counter);
    return { text: `${name} ${v}`, styled: `${name} ${c(hot ? 'redBold' : null, v)}` };
  });
  // As many per line as fit, on at most two lines.
  const lines: string[] = [];
  let plain = '';
  let styled = '';
  for (const p of parts) {
    if (plain && 2 + plain.length + 3 + p.text.length > cols) {
      lines.push(`  ${styled}`);
      plain = '';
      styled = '';
    }
    plain += (plain ? ' · ' : '') + p.text;
    styled += (styled ? c('dim', ' · ') : '') + p.styled;
  }
  if (plain) lines.push(`  ${styled}`);
  return lines.slice(0, 2);
}

/** The finding a group line stands for: its worst member (that the filter kept). */
function leadOf(m: Model, index: number): FindingRow | undefined {
  const g = m.groups[index];
  return g ? m.findings.find((f) => f.ref === g.refs[0]) : undefined;
}

/**
 * One line per group, as the report folds them: a finding alone says its title; a group says what
 * it is ("300 listeners of nginx in 30 namespaces") and its worst member, so 300 full listeners are
 * one line, not a list that pushes everything else off the screen.
 */
function findingLines(m: Model, ui: UiState, cols: number, max: number, c: Painter): string[] {
  if (m.groups.length === 0) return [ui.filter ? c('dim', `  (no finding matches the filter ${safe(ui.filter)})`) : c('green', '  no findings')];
  const first = Math.max(0, Math.min(ui.selected - max + 1, m.groups.length - max));
  return m.groups.slice(first, first + max).map((g, i) => {
    const selected = first + i === ui.selected;
    const lead = leadOf(m, first + i);
    const sev = c(SEVERITY_STYLE[g.severity], pad(g.severity.toUpperCase(), 8));
    const matching = g.refs.length < g.count ? ` (${g.refs.length} match)` : '';
    const what = g.count > 1 ? `${safe(g.title.slice(0, -(g.id.length + 2)))}${matching} — worst: ${safe(lead?.title ?? '')}` : safe(lead?.title ?? g.title);
    const text = fit(`${g.id}  ${what}`, cols - 13);
    return `${selected ? c('bold', '▶') : ' '} ${sev} ${selected ? c('bold', text) : text}`;
  });
}

function footer(m: Model, ui: UiState, cols: number, c: Painter): string {
  if (ui.editing) return fit(`filter: ${safe(ui.filter)}█   Enter keep · Esc clear`, cols);
  const keys = `q quit · p ${ui.paused ? 'resume' : 'pause'} · s sort (${ui.sort}) · / filter${ui.filter ? ` [${safe(ui.filter)}]` : ''} · ↑↓ select · Enter why+fix · ? help`;
  return c('dim', fit(keys, cols));
}

function detailLines(m: Model, ui: UiState, size: ScreenSize, c: Painter): string[] {
  const f = leadOf(m, ui.selected);
  const g = m.groups[ui.selected];
  if (!f || !g) return [];
  const w = size.cols - 4;
  const ev = Object.entries(f.evidence)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join('  ');
  const lines = [
    `${c(SEVERITY_STYLE[f.severity], f.severity.toUpperCase())}  ${c('bold', f.id)}`,
    ...wrap(safe(f.title), w).map((l) => c('bold', l)),
    // A group: the worst member is shown; the others are named (the report's --verbose lists each).
    ...(g.count > 1 ? ['', ...wrap(safe(`${g.title}; the worst is above, the others: ${g.refs.slice(1, 6).join(', ')}${g.refs.length > 6 ? `, and ${g.refs.length - 6} more` : ''}`), w).map((l) => c('dim', l))] : []),
    '',
    c('dim', 'evidence'),
    ...wrap(safe(ev), w).map((l) => `  ${l}`),
    '',
    c('dim', 'why'),
    ...wrap(safe(f.explain), w).map((l) => `  ${l}`),
    '',
    c('dim', 'fix'),
    ...f.fix.flatMap((line) => fixLines(shellLineSafe(line), w, c)),
    '',
    c('dim', `sockdoc explain ${f.id} for the whole story · Esc or Enter back · q quit`),
  ];
  return lines.map((l) => `  ${l}`);
}

/**
 * A fix line as it must be copied: the command exactly (long ones cut into chunks, spaces kept),
 * its "   # why" comment dimmed on the next line.
 */
function fixLines(line: string, w: number, c: Painter): string[] {
  // A comment-only line (no command: "# no relief without a restart: …") is read, not copied.
  if (line.startsWith('#')) return wrap(line, w - 4).map((l) => `    ${c('dim', l)}`);
  const at = line.indexOf('   # ');
  const cmd = at < 0 ? line : line.slice(0, at);
  const out: string[] = [];
  for (let i = 0; i < cmd.length; i += w - 2) out.push(`  ${i === 0 ? '$ ' : '  '}${cmd.slice(i, i + w - 2)}`);
  if (at >= 0) out.push(...wrap(line.slice(at + 3), w - 4).map((l) => `      ${c('dim', l)}`));
  return out;
}

const HELP = [
  'sockdoc watch — keys (as in htop/btop)',
  '',
  '  q, Ctrl-C   quit (the terminal is restored)',
  '  Ctrl-Z      suspend: the shell gets its terminal back; fg brings the watch back, redrawn',
  '  p, space    pause / resume the display (sampling goes on: trends and forecasts keep learning)',
  '  s           sort processes: fill (open/soft), rate (fds per minute), eta (full soonest)',
  '  /           filter every table by text (name, pid, address:port, finding id); Enter keeps, Esc clears',
  '  ↑ ↓, k j    select a finding',
  '  Enter       the selected finding: evidence, why, and the fix',
  '  ?, h        this help;  Esc closes it; ↑↓ scroll it (and a finding\'s why+fix) on a small terminal',
  '',
  '"full in": when the open descriptors reach the soft RLIMIT_NOFILE at the current trend',
  '(Theil–Sen over the history; "learning" until 5 samples over 10 s; "sawtooth" when the count',
  'is regularly released; "> horizon" when further than 60 times the history).',
  'Sparklines: the last samples, scaled from 0 to the limit (backlog, soft RLIMIT_NOFILE).',
];

/** Rows given to each section (0 = not shown). */
interface Layout {
  findings: number;
  listeners: number;
  processes: number;
  rates: boolean;
}

/**
 * How `budget` lines (between the header and the footer) are shared. On a small terminal the
 * sections come in by importance, findings first (a CRITICAL must not be cut off below the tables),
 * then listeners, processes, the counter rates; the lines left over go a third to findings, then
 * half of the rest to listeners, the rest to processes.
 */
function planSections(budget: number, m: Model, rateLines: number): Layout {
  const plan: Layout = { findings: 0, listeners: 0, processes: 0, rates: false };
  let left = budget;
  // Each section at its smallest: its rule and one row; a table also has its column header.
  if (left >= 2) [plan.findings, left] = [1, left - 2];
  if (left >= 3) [plan.listeners, left] = [1, left - 3];
  if (left >= 3) [plan.processes, left] = [1, left - 3];
  if (left >= 1 + rateLines) [plan.rates, left] = [true, left - 1 - rateLines];
  const more = (have: number, rows: number, share: number) => (have ? Math.min(Math.max(0, rows - 1), share) : 0);
  const f = more(plan.findings, m.groups.length, Math.floor(left / 3));
  plan.findings += f;
  left -= f;
  const l = more(plan.listeners, m.listeners.length, Math.floor(left / 2));
  plan.listeners += l;
  left -= l;
  if (plan.processes) plan.processes += left;
  return plan;
}

/** The frame: exactly `rows - 1` lines (the cursor rests on the last row), each at most `cols` wide. */
export function renderScreen(model: Model, ui: UiState, size: ScreenSize, everyMs: number, color: boolean): string[] {
  const c = painter(color);
  const cols = Math.max(40, size.cols);
  // Never more lines than the terminal has: a taller frame scrolls the header away on every refresh.
  const height = Math.max(1, size.rows - 1);
  const m = filterModel(model, ui.filter);
  let lines: string[];
  if (ui.help) lines = HELP.map((l) => fit(l, cols));
  else if (ui.detail && leadOf(m, ui.selected)) lines = detailLines(m, ui, { cols, rows: height }, c);
  else {
    const head = header(m, ui, everyMs, cols, c);
    const rates = rateLines(m, cols, c);
    const layout = planSections(height - head.length - 1, m, rates.length);
    lines = [
      ...head,
      ...(layout.listeners ? [rule(`Listeners nearest full (${m.listeners.length})`, cols, c), ...listenerLines(m, model.listeners, ui, cols, layout.listeners, c)] : []),
      ...(layout.processes ? [rule(`Processes nearest their fd limit (${m.processes.length})`, cols, c), ...processLines(m, model.processes, ui, cols, layout.processes, c)] : []),
      ...(layout.rates ? [rule('Counter rates, per second', cols, c), ...rates] : []),
      ...(layout.findings ? [rule(`Findings (${m.findings.length}${m.groups.length < m.findings.length ? ` in ${m.groups.length} groups` : ''})`, cols, c), ...findingLines(m, ui, cols, layout.findings, c)] : []),
    ];
    lines = lines.slice(0, height - 1);
    while (lines.length < height - 1) lines.push('');
    lines.push(footer(m, ui, cols, c));
    return lines.map((l) => clip(l, Math.max(1, size.cols)));
  }
  if (lines.length > height) {
    // Taller than the terminal: a window of it, scrolled with ↑↓, and a last line that says so.
    const top = Math.min(ui.scroll, lines.length - (height - 1));
    const more = lines.length - (top + height - 1);
    lines = [...lines.slice(top, top + height - 1), c('dim', fit(`  ↑↓ scroll · ${top} above, ${more} below · Esc back · q quit`, cols))];
  }
  while (lines.length < height) lines.push('');
  // Laid out for at least 40 columns; a narrower terminal sees the left part, never a wrapped row.
  return lines.map((l) => clip(l, Math.max(1, size.cols)));
}

/** A host string as a logfmt value: escaped, and quoted when it holds a space, quote or '=' ("tmux: server"). */
function logValue(text: string): string {
  const t = safe(text);
  return /[\s"=]/.test(t) ? JSON.stringify(t) : t;
}

/** One line per refresh for logs (stdout not a terminal): time, state, the worst listener and process, findings. */
export function summaryLine(model: Model): string {
  const m = model;
  const l = m.listeners[0];
  const p = m.processes[0];
  const parts = [
    new Date(m.at).toISOString(),
    ...(m.scope ? [`netns=${logValue(m.scope)}`] : []),
    `critical=${m.counts.critical} warning=${m.counts.warning} info=${m.counts.info}`,
    `sockets=${m.sockets}`,
    l ? `listener=${logValue(l.label)} queue=${l.queue}/${l.backlog ?? '?'}${l.waitMs !== null ? ` wait_ms=${l.waitMs}` : ''}${(l.dropsNow ?? 0) > 0 ? ` drops=+${l.dropsNow}` : ''}` : 'listener=-',
    p ? `process=${logValue(`${p.pid}/${p.name}`)} fds=${p.open}/${p.soft ?? '-'}${p.etaMs !== null ? ` full_in=${Math.round(p.etaMs / 1000)}s` : ''}` : 'process=-',
  ];
  const worst = m.findings.filter((f) => f.severity !== 'info').map((f) => f.ref);
  if (worst.length) parts.push(`findings=${safe(worst.join(','))}`);
  // Info findings by ref too (close-wait-churn: a log tells churn from a leak as the screen does).
  const info = m.findings.filter((f) => f.severity === 'info').map((f) => f.ref);
  if (info.length) parts.push(`info_findings=${safe(info.join(','))}`);
  if (m.partial) parts.push('partial');
  return parts.join(' ');
}

/// <reference lib="dom" />
/**
 * The dashboard page's script (runs in the browser; inlined by page.ts). Reads /api/state once,
 * then follows /api/events; draws the findings (why and fix on click), the tables, and three uPlot
 * charts. Every host string is set as text (textContent), never parsed as HTML.
 */
import type uPlotType from 'uplot';
import type { ChartSeries, DashboardState } from './state.js';

declare const uPlot: typeof uPlotType;

type State = DashboardState;
type Series = ChartSeries;
type FindingRow = DashboardState['findings'][number];

const COLORS = ['#7aa2f7', '#f5b041', '#58d68d', '#ff5d5d', '#bb86fc', '#5dade2', '#f0932b', '#a3a8b8', '#2ecc71'];
const open = new Set<string>();
const charts = new Map<string, { plot: uPlotType; key: string }>();
let lastFindings = '';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function byId(id: string): HTMLElement {
  return document.getElementById(id) as HTMLElement;
}

function pct(r: number | null): string {
  return r === null ? '—' : `${Math.round(r * 100)}%`;
}

/** "850 ms", "4.1 s", "95 s", "56 min": a wait as the table shows it. */
function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

function level(r: number | null, warn: number, crit: number): string {
  return r === null ? '' : r >= crit ? 'crit' : r >= warn ? 'warn' : '';
}

function renderHeader(s: State): void {
  byId('host').textContent = s.hostname ?? 'this host';
  byId('kernel').textContent = s.kernel ? `Linux ${s.kernel}` : '';
  const status = byId('status');
  const c = s.counts;
  // As the watch screen: never "healthy" for what could not be read.
  status.className = `pill ${c.critical ? 'crit' : c.warning || s.partial ? 'warn' : 'ok'}`;
  status.textContent = c.critical ? `${c.critical} critical` : c.warning ? `${c.warning} warning${c.warning > 1 ? 's' : ''}` : s.partial ? 'no findings (partial)' : 'healthy';
  const t = new Date(s.at).toISOString().slice(11, 19);
  byId('updated').textContent = `${t} UTC · every ${s.everyMs / 1000} s · ${s.sockets} sockets${s.partial ? ' · partial' : ''}`;
  document.title = `${c.critical ? `(${c.critical}) ` : ''}sockdoc · ${s.hostname ?? ''}`;
}

type GroupRow = DashboardState['groups'][number];

/**
 * One card per group (src/render/groups.ts): a finding alone as itself; a group as its title, its
 * worst members and the worst one's why and fix. 500 full listeners of one program are one card.
 */
function groupItem(g: GroupRow, byRef: ReadonlyMap<string, FindingRow>): HTMLLIElement | null {
  const members = g.refs.map((r) => byRef.get(r)).filter((f): f is FindingRow => f !== undefined);
  if (members.length === 0) return null;
  if (g.count === 1) return findingItem(members[0]);
  const worst = members.slice(0, 3);
  const lead = el('div');
  const list = el('ul', 'group-worst');
  for (const m of worst) list.append(el('li', '', m.title));
  lead.append(el('h3', '', 'Worst'), list);
  if (g.count > worst.length) lead.append(el('p', 'muted', `and ${g.count - worst.length} more; every one in /api/state and sockdoc --verbose`));
  if (g.namespaces.length > 1) lead.append(el('p', 'muted', `in ${g.namespaces.length} namespaces: ${g.namespaces.slice(0, 10).join(', ')}${g.namespaces.length > 10 ? ', …' : ''}`));
  return findingItem(members[0], { key: `group:${g.key}`, title: g.title, lead });
}

function findingItem(f: FindingRow, group?: { key: string; title: string; lead: HTMLElement }): HTMLLIElement {
  const li = el('li', `finding ${f.severity}`);
  const key = group ? group.key : f.ref;
  li.dataset.ref = key;
  if (group) li.classList.add('group');
  const head = el('button', 'finding-head');
  head.type = 'button';
  head.append(el('span', 'badge', f.severity.toUpperCase()), el('span', 'finding-title', group ? group.title : f.title), el('span', 'finding-id', f.id));
  const body = el('div', 'finding-body');
  if (group) body.append(group.lead);
  const fix = el('pre', 'fix');
  f.fix.forEach((line, i) => {
    // "command   # why": the comment is dimmed; copying the block still gives runnable lines.
    const at = line.indexOf('   # ');
    fix.append(el('span', 'cmd', at < 0 ? line : line.slice(0, at)));
    if (at >= 0) fix.append(el('span', 'comment', line.slice(at)));
    if (i < f.fix.length - 1) fix.append('\n');
  });
  body.append(el('h3', '', 'Why'), el('p', 'why', f.explain), el('h3', '', group ? 'Fix (of the worst; the others alike)' : 'Fix'), fix, el('h3', '', 'Evidence'));
  const dl = el('dl', 'evidence');
  for (const [k, v] of Object.entries(f.evidence)) {
    if (v === null) continue;
    const pair = el('div');
    pair.append(el('dt', '', k), el('dd', '', String(v)));
    dl.append(pair);
  }
  body.append(dl);
  const expanded = open.has(key);
  head.setAttribute('aria-expanded', String(expanded));
  body.hidden = !expanded;
  head.addEventListener('click', () => {
    const now = body.hidden;
    body.hidden = !now;
    head.setAttribute('aria-expanded', String(now));
    if (now) open.add(key);
    else open.delete(key);
  });
  li.append(head, body);
  return li;
}

function renderFindings(s: State): void {
  // Rebuilt only when they change, so an open finding stays open and nothing jumps under the pointer.
  const key = JSON.stringify([s.groups, s.findings]);
  byId('findings-count').textContent = `${s.counts.critical} critical · ${s.counts.warning} warning · ${s.counts.info} info`;
  if (key === lastFindings) return;
  lastFindings = key;
  const list = byId('findings');
  const byRef = new Map(s.findings.map((f) => [f.ref, f]));
  const items = s.groups.map((g) => groupItem(g, byRef)).filter((i): i is HTMLLIElement => i !== null);
  list.replaceChildren(...(items.length ? items : [el('li', 'empty', 'No findings: nothing refused or dropped right now.')]));
}

/** The namespace of a row ("web", "shop/web-7d9f", "host"), its full name on hover. */
function netnsCell(name: string): HTMLElement {
  const td = el('td', 'name col-netns', name);
  td.title = name;
  return td;
}

/** Every row in the host's namespace: the netns column says nothing then and is hidden. */
function hostOnly(rows: ReadonlyArray<{ netnsName: string }>): boolean {
  return rows.every((r) => r.netnsName === 'host');
}

function renderTables(s: State): void {
  byId('proc-count').textContent = `${s.processes.length} of ${s.processCount}`;
  byId('listen-count').textContent = `${s.listeners.length} of ${s.listenerCount}`;
  const prows = s.processes.map((p) => {
    const tr = el('tr', level(p.ratio, 0.8, 0.95));
    const name = el('td', 'name', p.name);
    name.title = p.name;
    tr.append(
      netnsCell(p.netnsName),
      el('td', 'num', String(p.pid)),
      name,
      el('td', 'num', `${p.open} / ${p.soft ?? '∞'}`),
      el('td', 'num col-used', pct(p.ratio)),
      el('td', 'num', p.rateText),
      el('td', 'num', p.fullInText),
    );
    if (p.etaMs !== null && p.etaMs < 3600_000) tr.className = 'crit';
    return tr;
  });
  byId('processes').querySelector('tbody')!.replaceChildren(...prows);
  byId('processes').classList.toggle('one-netns', hostOnly(s.processes));
  const lrows = s.listeners.map((l) => {
    const tr = el('tr', level(l.ratio, 0.8, 1));
    // A unix-domain listener's path can be long (containerd's sockets): cut, full text on hover.
    const label = el('td', 'addr', l.label);
    label.title = l.label;
    tr.append(
      netnsCell(l.netnsName),
      label,
      el('td', 'name', l.owner || '—'),
      el('td', 'num', `${l.queue} / ${l.backlog ?? '?'}`),
      el('td', 'num col-used', pct(l.ratio)),
      el('td', 'num', String(l.synRecv)),
      el('td', `num${(l.dropsNow ?? 0) > 0 ? ' crit' : ''}`, l.drops === null ? '—' : (l.dropsNow ?? 0) > 0 ? `+${l.dropsNow}` : String(l.drops)),
      el('td', `num ${level(l.waitMs === null ? null : l.waitMs / 1000, 1, 10)}`, l.waitMs === null ? '—' : seconds(l.waitMs)),
    );
    return tr;
  });
  byId('listeners').querySelector('tbody')!.replaceChildren(...lrows);
  byId('listeners').classList.toggle('one-netns', hostOnly(s.listeners));
}

function renderNotes(s: State): void {
  const card = byId('notes-card');
  card.hidden = s.notes.length === 0;
  byId('notes').replaceChildren(...s.notes.map((n) => el('li', '', n)));
}

function chartWidth(box: HTMLElement): number {
  return Math.max(240, Math.floor(box.clientWidth));
}

function drawChart(id: string, times: number[], series: Series[], withLimit: boolean): void {
  const box = byId(id);
  const lines = series.map((s) => s.label);
  // The first series' limit as a dashed line, when the values come near enough for it to mean something.
  const first = series[0];
  const peak = first ? Math.max(0, ...first.values.map((v) => v ?? 0)) : 0;
  const limit = withLimit && first && first.limit !== null && peak >= first.limit * 0.25 ? first.limit : null;
  const key = JSON.stringify([lines, limit !== null]);
  const data: uPlotType.AlignedData = [times, ...series.map((s) => s.values), ...(limit !== null ? [times.map(() => limit)] : [])];
  const existing = charts.get(id);
  if (existing && existing.key === key) {
    existing.plot.setData(data);
    return;
  }
  existing?.plot.destroy();
  charts.delete(id);
  box.replaceChildren();
  if (series.length === 0 || times.length === 0) {
    box.append(el('div', 'none', 'no data yet'));
    return;
  }
  const opts: uPlotType.Options = {
    width: chartWidth(box),
    height: window.innerWidth < 760 ? 190 : 220,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [
      { stroke: '#8b93a7', grid: { stroke: '#262b36' }, ticks: { stroke: '#262b36' } },
      { stroke: '#8b93a7', grid: { stroke: '#262b36' }, ticks: { stroke: '#262b36' }, size: 50 },
    ],
    series: [
      {},
      ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: false } })),
      ...(limit !== null ? [{ label: `limit ${limit}`, stroke: '#ff5d5d', dash: [6, 4], width: 1, points: { show: false } }] : []),
    ],
  };
  charts.set(id, { plot: new uPlot(opts, data, box), key });
}

function render(s: State): void {
  renderHeader(s);
  renderFindings(s);
  drawChart('chart-processes', s.charts.times, s.charts.processes, true);
  drawChart('chart-listeners', s.charts.times, s.charts.listeners, true);
  drawChart('chart-waits', s.charts.times, s.charts.waits, false);
  drawChart('chart-rates', s.charts.times, s.charts.rates, false);
  renderTables(s);
  renderNotes(s);
  document.body.dataset.updated = String(s.at);
}

function live(on: boolean): void {
  byId('live').className = `dot ${on ? 'on' : 'off'}`;
}

function resize(): void {
  for (const [id, c] of charts) c.plot.setSize({ width: chartWidth(byId(id)), height: window.innerWidth < 760 ? 190 : 220 });
}

function start(): void {
  const events = new EventSource('api/events');
  events.addEventListener('state', (e) => {
    live(true);
    render(JSON.parse((e as MessageEvent<string>).data) as State);
  });
  events.addEventListener('error', () => live(false));
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(resize);
  });
}

start();

/**
 * The dashboard's JSON: the current sample's tables and findings, and chart series of the history
 * (the top listeners and processes, and the namespace's counter rates), each cut to at most
 * MAX_POINTS by keeping the largest value of each bucket (a spike must not vanish from a chart).
 * Served as GET /api/state and as each server-sent event. Versioned: schemaVersion.
 */
import { listenerKey, processKey, type History } from '../history/history.js';
import { approxDuration, ratePerMinute } from '../rules/support/text.js';
import { buildModel, type FindingRow, type ListenerRow, type Model, type ProcessRow } from '../watch/model.js';
import type { Sample } from '../watch/sampler.js';
import type { GroupJson } from '../render/json.js';

export const DASHBOARD_SCHEMA_VERSION = 1;
export const MAX_POINTS = 360;
/** Rows sent for each table; the page says how many there are in all. */
const TABLE_ROWS = 15;
/** Series per chart. */
const CHART_SERIES = 5;

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** The line this series must stay under (backlog, soft RLIMIT_NOFILE), when known. */
  limit: number | null;
}

export interface DashboardState {
  schemaVersion: number;
  at: number;
  everyMs: number;
  hostname: string | null;
  kernel: string | null;
  asRoot: boolean;
  partial: boolean;
  notes: string[];
  counts: Model['counts'];
  sockets: number;
  listenerCount: number;
  processCount: number;
  fileNr: Model['fileNr'];
  spanMs: number;
  findings: FindingRow[];
  /** The findings in groups (src/render/groups.ts), what the page draws: one card per group (additive). */
  groups: GroupJson[];
  listeners: Array<Omit<ListenerRow, 'trend' | 'waitTrend'>>;
  processes: Array<Omit<ProcessRow, 'trend'> & { rateText: string; fullInText: string }>;
  /** Chart data: times in seconds since the epoch (uPlot's unit), one array per series, aligned. */
  charts: {
    times: number[];
    listeners: ChartSeries[];
    processes: ChartSeries[];
    rates: ChartSeries[];
    /** The longest wait of a queued client, seconds, for the listeners that keep clients waiting longest. */
    waits: ChartSeries[];
  };
}

/** Indices of at most `max` buckets over `n` samples: [start, end) pairs. */
function buckets(n: number, max: number): Array<[number, number]> {
  if (n <= max) return Array.from({ length: n }, (_, i) => [i, i + 1]);
  return Array.from({ length: max }, (_, b) => [Math.floor((b * n) / max), Math.floor(((b + 1) * n) / max)]);
}

function reduce(values: ReadonlyArray<number | null>, cuts: Array<[number, number]>): Array<number | null> {
  return cuts.map(([a, b]) => {
    let best: number | null = null;
    for (let i = a; i < b; i++) {
      const v = values[i];
      if (v !== null && (best === null || v > best)) best = v;
    }
    return best;
  });
}

function fullInText(p: ProcessRow): string {
  if (p.etaMs !== null) return approxDuration(p.etaMs);
  if (p.soft !== null && p.open >= p.soft) return 'full';
  return p.noForecast === 'too-few-samples' ? 'learning' : p.noForecast === 'sawtooth' ? 'sawtooth' : '—';
}

export function dashboardState(sample: Sample, history: History, everyMs: number): DashboardState {
  const m = buildModel(sample, history, 'fill');
  const times = m.times;
  const cuts = buckets(times.length, MAX_POINTS);
  const chartTimes = cuts.map(([a, b]) => times[b - 1] / 1000);
  const listeners = m.listeners.filter((l) => l.trend.some((v) => v !== null)).slice(0, CHART_SERIES);
  const waiting = m.listeners
    .filter((l) => l.waitTrend.some((v) => v !== null && v > 0))
    .sort((a, b) => (b.waitMs ?? 0) - (a.waitMs ?? 0))
    .slice(0, CHART_SERIES);
  // Processes worth a line: those with a forecast (soonest first), then those growing, then the fullest.
  const growing = m.processes.filter((p) => p.etaMs === null && (p.perSecond ?? 0) > 0).sort((a, b) => b.perSecond! - a.perSecond!);
  const charted = [...m.processes.filter((p) => p.etaMs !== null).sort((a, b) => a.etaMs! - b.etaMs!), ...growing, ...m.processes]
    .filter((p, i, all) => all.indexOf(p) === i && p.trend.length > 0)
    .slice(0, CHART_SERIES);
  // The table: processes with a forecast first (soonest first), then the fullest: on a host with
  // many processes at their limits, the one about to join them must not drop off the first rows.
  const forecast = m.processes.filter((p) => p.etaMs !== null).sort((a, b) => a.etaMs! - b.etaMs!);
  const tabled = [...forecast, ...m.processes.filter((p) => p.etaMs === null)].slice(0, TABLE_ROWS);
  return {
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    at: m.at,
    everyMs,
    hostname: m.hostname,
    kernel: m.kernel,
    asRoot: m.asRoot,
    partial: m.partial,
    notes: m.notes,
    counts: m.counts,
    sockets: m.sockets,
    listenerCount: m.listenerCount,
    processCount: m.processCount,
    fileNr: m.fileNr,
    spanMs: m.spanMs,
    findings: m.findings,
    groups: m.groups,
    listeners: m.listeners.slice(0, TABLE_ROWS).map(({ trend: _trend, waitTrend: _waitTrend, ...row }) => row),
    processes: tabled.map(({ trend: _trend, ...row }) => ({
      ...row,
      rateText: row.perSecond === null || row.perSecond === 0 ? '—' : ratePerMinute(row.perSecond),
      fullInText: fullInText({ ...row, trend: [] }),
    })),
    charts: {
      times: chartTimes,
      listeners: listeners.map((l) => ({ label: `${l.label} ${l.owner}`.trim(), values: reduce(l.trend, cuts), limit: l.backlog })),
      processes: charted.map((p) => ({
        label: `${p.pid} ${p.name}`,
        values: reduce(history.ring.values(processKey(p.pid, 'open')), cuts),
        limit: p.soft,
      })),
      rates: m.rates.map((r) => ({ label: r.counter.split('.')[1], values: reduce(r.trend, cuts), limit: null })),
      waits: waiting.map((l) => ({
        label: `${l.label} ${l.owner}`.trim(),
        values: reduce(history.ring.values(listenerKey(l.id, 'wait')), cuts).map((v) => (v === null ? null : v / 1000)),
        limit: null,
      })),
    },
  };
}

/** Formats the benchmark results: a table for people, an object for --json. Pure. */
import type { Measured } from './measure.js';
import { WITH_EXTRAS, WITHOUT_EXTRAS } from './tools.js';
import type { ServeLoadResult } from './serve-load.js';

export interface BenchResult {
  namespace: string;
  requestedSockets: number;
  /** Sockets the fleet holds (established ends + listeners). */
  expectedSockets: number;
  connections: number;
  processes: number;
  runs: number;
  buildSeconds: number;
  host: { kernel: string; cpus: number; node: string };
  rows: Measured[];
  /** Connections waiting in the accept queue of a listener that never accepts (--waiting). */
  waiting?: number;
  /** `node -e 0`: the start-up floor under both sockdoc rows. */
  nodeStartup: Measured;
  /** sockdoc's own per-probe times from the diagnose JSON, if it reports them. */
  phases: Phase[] | null;
  /** `sockdoc serve` over the same sockets: CPU per scrape and the load phase; null = skipped. */
  serve: ServeLoadResult | { error: string } | null;
  /** --unix: unix stream sockets built beside the TCP ones, and how many `sockets --unix` listed there. */
  unix?: { built: number; processes: number; seen: number | null };
  /** --baseline: the other checkout, and its own per-probe times. */
  baseline?: { dir: string; phases: Phase[] | null };
}

/** --baseline: this build's diagnosis against the other checkout's, as a ratio and a percentage. */
export function formatAb(r: BenchResult): string {
  const [mine, base] = r.rows;
  const num = (v: number | null) => (v === null ? '-' : v.toFixed(3));
  const out = [
    `${r.expectedSockets} TCP sockets (${r.connections} connections over ${r.processes} processes)` +
      (r.unix ? ` and ${r.unix.built} unix stream sockets (${r.unix.processes} processes; sockdoc sockets --unix listed ${r.unix.seen ?? '?'} in the namespace)` : '') +
      ` in netns ${r.namespace}`,
    `${r.runs} timed runs of each build, in turn, after one check run each; Linux ${r.host.kernel}, ${r.host.cpus} CPUs, node ${r.host.node}`,
    '',
    '| build | wall median s | wall min s | CPU median s | CPU min s | wall runs (s) | status |',
    '|---|---:|---:|---:|---:|---|---|',
    ...r.rows.map(
      (x) =>
        `| ${x.label} | ${num(x.medianS)} | ${num(x.minS)} | ${num(x.cpuMedianS ?? null)} | ${num(x.cpuS?.length ? Math.min(...x.cpuS) : null)} | ${x.timesS.map((t) => t.toFixed(3)).join(', ')} | ${x.status} |`,
    ),
    '',
  ];
  const ratio = (what: string, a: number | null | undefined, b: number | null | undefined) => {
    if (!a || !b) return;
    const q = a / b;
    out.push(`${what} (this build / baseline): ${q.toFixed(3)} (${q >= 1 ? '+' : ''}${((q - 1) * 100).toFixed(1)}%)`);
  };
  ratio('wall-time medians', mine?.medianS, base?.medianS);
  ratio('wall-time minimums', mine?.minS, base?.minS);
  ratio('CPU-time medians', mine?.cpuMedianS, base?.cpuMedianS);
  ratio('CPU-time minimums', mine?.cpuS?.length ? Math.min(...mine.cpuS) : null, base?.cpuS?.length ? Math.min(...base.cpuS) : null);
  const floor = r.nodeStartup;
  if (floor.status === 'ok' && floor.medianS !== null) out.push(`node start-up alone (node -e 0): median ${floor.medianS.toFixed(3)} s`);
  const probes = (label: string, phases: Phase[] | null) => {
    if (!phases?.length) return;
    out.push('', `${label}, time per probe in its check run:`);
    for (const p of phases) if (p.ms >= 1) out.push(`  ${pad(p.probe, 18)} ${pad(p.ms.toFixed(1), 9, true)} ms${p.count > 1 ? `  (${p.count} reads)` : ''}`);
  };
  probes('this build', r.phases);
  probes('baseline', r.baseline?.phases ?? null);
  return out.join('\n') + '\n';
}

/** The serve section of the table. */
export function formatServe(s: ServeLoadResult | { error: string }): string[] {
  if ('error' in s) return ['', `sockdoc serve: not measured: ${s.error}`];
  const l = s.load;
  const rss = l.rss.map(([, mib]) => mib);
  const after = l.rss.filter(([t]) => t >= Math.min(10, l.seconds / 3)).map(([, mib]) => mib);
  const out = [
    '',
    `sockdoc serve over the same sockets (exporter and client in the namespace, loopback):`,
    `  CPU per scrape (user+system, all threads, ${s.scrapes} sequential scrapes${s.warmupScrapes ? ` after ${s.warmupScrapes} warm-up ones` : ''}): ${s.cpuMsPerScrape.toFixed(0)} ms` +
      (s.userMsPerScrape !== undefined && s.systemMsPerScrape !== undefined ? ` (user ${s.userMsPerScrape.toFixed(0)}, system ${s.systemMsPerScrape.toFixed(0)})` : '') +
      (s.namespaces !== undefined ? `, ${s.namespaces} network namespaces read per scrape` : '') +
      `; wall ${s.wallMsPerScrape.join(', ')} ms`,
    ...(s.warmupCpuMsPerScrape !== undefined
      ? [`  the warm-up scrapes: ${s.warmupCpuMsPerScrape.toFixed(0)} ms CPU each (V8 compiling the scrape's code; the first also explains every selected process's limit)`]
      : []),
    ...(s.ssTanCpuMs !== undefined && s.ssTanCpuMs !== null
      ? [`  beside it, \`ss -tan\` (the sockets only, no process column) in the same namespace: ${s.ssTanCpuMs.toFixed(0)} ms CPU; a scrape costs ${(s.cpuMsPerScrape / s.ssTanCpuMs).toFixed(2)}x that`]
      : []),
    `  load: ${l.rate}/s for ${l.seconds} s: ${l.sent} sent, ${l.answered} answered (${l.withData} with host data, ${l.timedOut} timed out), ${l.failed} failed; latency p50 ${l.latencyMsP50?.toFixed(0) ?? '-'} ms, p99 ${l.latencyMsP99?.toFixed(0) ?? '-'} ms`,
    `  RSS MiB: start ${rss[0] ?? '-'}, after warm-up ${after.length ? `${Math.min(...after)}..${Math.max(...after)}` : '-'}, end ${rss.at(-1) ?? '-'}; exit after SIGTERM: ${s.exitCode}`,
  ];
  return out;
}

/** Time of one probe (summed over its reports, e.g. tcp + tcp6) in sockdoc's diagnose run. */
export interface Phase {
  probe: string;
  ms: number;
  /** Reports summed into this line. */
  count: number;
}

/** "12.3x slower" / "2.0x faster" / "same" relative to the baseline median. */
export function ratioText(label: string, median: number | null, baseline: number | null, baselineLabel: string): string {
  if (median === null || baseline === null || baseline <= 0) return '';
  if (label === baselineLabel) return 'baseline';
  const r = median / baseline;
  if (r >= 1.05) return `${label} is ${r.toFixed(1)}x slower`;
  if (r <= 1 / 1.05) return `${label} is ${(1 / r).toFixed(1)}x faster`;
  return `${label} is about the same`;
}

const BASELINE = 'sockdoc sockets';

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function formatTable(r: BenchResult): string {
  if (r.baseline) return formatAb(r);
  const base = r.rows.find((x) => x.label === BASELINE && x.status === 'ok')?.medianS ?? null;
  const header = ['tool', 'median s', 'min s', 'cpu s', 'peak RSS MiB', 'sockets seen', `vs ${BASELINE}`];
  const body = r.rows.map((x) => {
    const num = (v: number | null) => (v === null ? '-' : v.toFixed(3));
    const note = x.status === 'ok' ? ratioText(x.label, x.medianS, base, BASELINE) : x.status;
    return [x.label, num(x.medianS), num(x.minS), num(x.cpuMedianS ?? null), x.maxRssMiB == null ? '-' : String(x.maxRssMiB), x.seen === null ? '-' : String(x.seen), note];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i], i >= 1 && i <= 5)).join('  ').trimEnd();
  const out = [
    `${r.expectedSockets} TCP sockets (${r.connections} connections over ${r.processes} processes) in netns ${r.namespace}, built in ${r.buildSeconds.toFixed(1)} s`,
    ...(r.unix ? [`and ${r.unix.built} unix stream sockets over ${r.unix.processes} processes (sockdoc sockets --unix listed ${r.unix.seen ?? '?'} there)`] : []),
    `${r.runs} timed runs per tool after one check run; Linux ${r.host.kernel}, ${r.host.cpus} CPUs, node ${r.host.node}`,
    ...(r.waiting ? [`${r.waiting} of the connections wait in the accept queue of a listener that never accepts`] : []),
    '',
    line(header),
    ...body.map(line),
  ];
  const floor2 = floorRatios(r.rows);
  if (floor2) out.push('', floor2);
  const extras = extrasCost(r.rows);
  if (extras) out.push('', extras);
  const floor = r.nodeStartup;
  if (floor.status === 'ok' && floor.medianS !== null) out.push('', `node start-up alone (node -e 0): median ${floor.medianS.toFixed(3)} s`);
  if (r.phases?.length) {
    const total = r.phases.reduce((n, p) => n + p.ms, 0);
    out.push('', `sockdoc --interval 0 --json, time per probe in its check run (sum ${total.toFixed(0)} ms):`);
    for (const p of r.phases) {
      if (p.ms < 1) continue;
      out.push(`  ${pad(p.probe, 16)} ${pad(p.ms.toFixed(1), 9, true)} ms${p.count > 1 ? `  (${p.count} reads)` : ''}`);
    }
  }
  if (r.serve) out.push(...formatServe(r.serve));
  return out.join('\n') + '\n';
}

/**
 * `sockets` against the diagnosis (issue 23: within 1.2x, both read the same sockets) and every
 * sockdoc row against `ss -tan` (the kernel's dump alone), as ratios of wall-time medians.
 */
export function floorRatios(rows: Measured[]): string | null {
  const ok = (label: string) => rows.find((x) => x.label === label && x.status === 'ok' && x.medianS !== null);
  const diag = ok(WITH_EXTRAS);
  const ss = ok('ss -tan');
  const parts: string[] = [];
  for (const label of ['sockdoc sockets', 'sockdoc sockets --json']) {
    const x = ok(label);
    if (x && diag) parts.push(`${label} / ${WITH_EXTRAS}: ${(x.medianS! / diag.medianS!).toFixed(2)}`);
  }
  for (const label of ['sockdoc sockets', 'sockdoc sockets --json', WITH_EXTRAS]) {
    const x = ok(label);
    if (x && ss) parts.push(`${label} / ss -tan: ${(x.medianS! / ss.medianS!).toFixed(2)}`);
  }
  return parts.length ? `wall-time medians: ${parts.join('; ')}` : null;
}

/** What each listener's drops and its queue's waits cost the diagnosis: the pair's medians, CPU first. */
export function extrasCost(rows: Measured[]): string | null {
  const a = rows.find((x) => x.label === WITH_EXTRAS && x.status === 'ok');
  const b = rows.find((x) => x.label === WITHOUT_EXTRAS && x.status === 'ok');
  if (!a || !b) return null;
  const pct = (x: number | null, y: number | null) => (x === null || y === null || y <= 0 ? null : `${x >= y ? '+' : ''}${((x / y - 1) * 100).toFixed(1)}%`);
  const cpu = pct(a.cpuMedianS ?? null, b.cpuMedianS ?? null);
  const wall = pct(a.medianS, b.medianS);
  if (!cpu && !wall) return null;
  const parts = [
    ...(cpu ? [`CPU ${cpu} (median ${a.cpuMedianS!.toFixed(3)} s against ${b.cpuMedianS!.toFixed(3)} s)`] : []),
    ...(wall ? [`wall ${wall} (${a.medianS!.toFixed(3)} s against ${b.medianS!.toFixed(3)} s)`] : []),
  ];
  return `listener drops and accept waits (SKMEMINFO on listeners, tcp_info of queued connections) cost the diagnosis: ${parts.join('; ')}`;
}

/** The --json document: times in seconds, no captured output. */
export function toJson(r: BenchResult): object {
  return {
    ...r,
    rows: r.rows.map(({ output: _output, ...row }) => row),
    nodeStartup: (({ output: _output, ...row }) => row)(r.nodeStartup),
  };
}

/** Per-probe times from diagnose JSON: any array of {probe, ms} under a "probes" key. */
export function phasesFromDiagnosis(output: string): Phase[] | null {
  if (!output) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(output);
  } catch (err) {
    // Unparsable output is already reported on the diagnose row; no phases then.
    void err;
    return null;
  }
  const found: Array<{ probe: string; ms: number }> = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 4 || v === null || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v)) {
      if (k === 'probes' && Array.isArray(child)) {
        for (const p of child as Array<Record<string, unknown>>) {
          if (typeof p?.probe === 'string' && typeof p.ms === 'number') found.push({ probe: p.probe, ms: p.ms });
        }
      } else walk(child, depth + 1);
    }
  };
  walk(doc, 0);
  if (!found.length) return null;
  // One line per probe name: net-tcp reads tcp and tcp6, sysctl one file per tunable.
  const byName = new Map<string, { probe: string; ms: number; count: number }>();
  for (const f of found) {
    const e = byName.get(f.probe) ?? { probe: f.probe, ms: 0, count: 0 };
    e.ms += f.ms;
    e.count++;
    byName.set(f.probe, e);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}

/**
 * `npm run bench`: builds ~60k real TCP sockets in a private network namespace, then times
 * sockdoc against ss, netstat and lsof listing them. See docs/benchmarks.md.
 * Root only (ip netns add). The namespace and every process in it are removed on exit, on
 * SIGINT/SIGTERM/SIGHUP and on failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_USAGE, BenchUsageError, parseBenchArgs, type BenchOptions } from './bench/args.js';
import { BIG_PER_PROCESS, PER_PROCESS, planFleet, planUnixFleet, startFleet } from './bench/fleet.js';
import { createNetns, destroyNetns, inNetns, runOrThrow } from './bench/netns.js';
import { formatTable, phasesFromDiagnosis, toJson, type BenchResult } from './bench/report.js';
import { measureAll, type Measured } from './bench/measure.js';
import { benchTools, diagnoseSpec, nodeStartup, OWNER_TOOLS_MAX } from './bench/tools.js';
import { benchNamespaces, formatNamespacesBench } from './bench/namespaces.js';
import { benchScoped, formatScopedBench } from './bench/scoped.js';
import { benchFlood, benchStress, formatFlood, formatStress } from './bench/flood.js';
import type { ServeLoadResult } from './bench/serve-load.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/scripts
const repo = join(here, '..', '..');
const cli = join(repo, 'dist', 'src', 'cli', 'main.js');
const peerScript = join(here, 'bench', 'peer.js');
const timerScript = join(here, 'bench', 'timer.js');
const serveLoadScript = join(here, 'bench', 'serve-load.js');

/** Per tool run; lsof on 60k sockets takes seconds, not minutes. */
const RUN_TIMEOUT_MS = 180_000;

function progress(text: string): void {
  // One rewritten line on a terminal, plain lines otherwise (CI logs).
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(text + '\n');
}
function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}

async function bench(opts: BenchOptions, ns: string, ownPids: number[]): Promise<BenchResult> {
  createNetns(ns);
  // A wider ephemeral range in the namespace (per-netns sysctl, host untouched): clients need
  // one port per connection per destination; the listeners sit below it on 5000+.
  runOrThrow(...inNetns(ns, 'sh', ['-c', "echo '10000 65000' > /proc/sys/net/ipv4/ip_local_port_range"]));
  const plan = planFleet(opts.sockets, 4, opts.waiting, opts.sockets > OWNER_TOOLS_MAX ? BIG_PER_PROCESS : PER_PROCESS);
  const t0 = Date.now();
  let lastLine = 0;
  const peers = await startFleet(ns, peerScript, plan, 60_000 + opts.sockets * 2, (held, total) => {
    if (!process.stderr.isTTY && Date.now() - lastLine < 2000 && held < total) return;
    lastLine = Date.now();
    progress(`building sockets: ${held}/${total} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  });
  for (const p of peers) if (p.child.pid) ownPids.push(p.child.pid);
  const buildSeconds = (Date.now() - t0) / 1000;
  progressDone();
  process.stderr.write(`built ${2 * plan.connections} sockets + ${plan.peers.length / 2} listeners in ${buildSeconds.toFixed(1)} s\n`);

  let unix: BenchResult['unix'];
  if (opts.unix > 0) {
    const uplan = planUnixFleet(opts.unix, String(process.pid));
    const u0 = Date.now();
    const upeers = await startFleet(ns, peerScript, uplan, 60_000 + opts.unix * 2, (held, total) => progress(`building unix sockets: ${held}/${total}`));
    for (const p of upeers) if (p.child.pid) ownPids.push(p.child.pid);
    progressDone();
    unix = { built: uplan.expectedSockets, processes: uplan.peers.length, seen: unixSocketsSeen(ns) };
    process.stderr.write(`built ${uplan.expectedSockets} unix sockets in ${((Date.now() - u0) / 1000).toFixed(1)} s; sockdoc sockets --unix lists ${unix.seen ?? '?'} in ${ns}\n`);
  }

  const baselineCli = opts.baseline ? join(opts.baseline, 'dist', 'src', 'cli', 'main.js') : null;
  const specs = baselineCli
    ? [diagnoseSpec(cli, 'this build'), diagnoseSpec(baselineCli, `baseline ${opts.baseline}`), nodeStartup()]
    : [...benchTools(cli, ns, opts.sockets), nodeStartup()];
  const ctx = { ns, timerScript, timeoutMs: RUN_TIMEOUT_MS };
  // A/B: both builds read the whole host (other namespaces' sockets too), so the check is "at least
  // the fleet", not "about the fleet"; the tool comparison keeps the 2% check.
  // lsof lists fds: a connection waiting in a queue (--waiting) has none yet, so lsof cannot see it.
  const expected = (s: (typeof specs)[number]) => (s === specs[specs.length - 1] || baselineCli ? null : s.cmd === 'lsof' ? plan.expectedSockets - plan.waiting : plan.expectedSockets);
  const measured = await measureAll(ctx, specs, opts.runs, expected, progress);
  if (baselineCli) {
    for (const row of measured.slice(0, -1)) {
      if (row.status === 'ok' && row.seen !== null && row.seen < plan.expectedSockets) row.status = `saw ${row.seen} sockets, fewer than the ${plan.expectedSockets} built`;
    }
  }
  progressDone();
  const rows: Measured[] = measured.slice(0, -1);
  const startup = measured[measured.length - 1];
  const diag = rows.find((r) => r.label.startsWith('sockdoc --interval'));
  let serve: BenchResult['serve'] = null;
  if (opts.serveRate > 0 && !baselineCli) {
    progress(`sockdoc serve: 5 warm-up scrapes, 20 measured, then ${opts.serveRate}/s for ${opts.serveSeconds} s`);
    const [cmd, args] = inNetns(ns, process.execPath, [serveLoadScript, cli, '20', String(opts.serveRate), String(opts.serveSeconds)]);
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: (opts.serveSeconds + 180) * 1000 });
    progressDone();
    try {
      serve = r.status === 0 ? (JSON.parse(r.stdout) as ServeLoadResult) : { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim() };
    } catch (err) {
      serve = { error: `unreadable result: ${(err as Error).message}` };
    }
  }
  return {
    serve,
    namespace: ns,
    requestedSockets: opts.sockets,
    expectedSockets: plan.expectedSockets,
    connections: plan.connections,
    processes: plan.peers.length,
    runs: opts.runs,
    buildSeconds,
    host: { kernel: release(), cpus: cpus().length, node: process.version },
    rows,
    waiting: plan.waiting,
    nodeStartup: startup,
    phases: phasesFromDiagnosis(diag?.output ?? ''),
    unix,
    baseline: opts.baseline ? { dir: opts.baseline, phases: phasesFromDiagnosis(rows[1]?.output ?? '') } : undefined,
  };
}

/** Unix sockets `sockdoc sockets --unix --json` lists in the benchmark namespace (untimed check). */
function unixSocketsSeen(ns: string): number | null {
  const [cmd, args] = inNetns(ns, process.execPath, [cli, 'sockets', '--unix', '--json']);
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, timeout: RUN_TIMEOUT_MS });
  try {
    return (JSON.parse(r.stdout) as Array<{ namespace?: string }>).filter((row) => row.namespace === ns).length;
  } catch {
    return null;
  }
}

/**
 * A row that makes namespaces of its own (--namespaces, --scoped): run, printed, and every
 * namespace it made removed, also on exit and failure.
 */
async function namespaceRow<T>(run: (made: string[]) => Promise<T>, format: (r: T) => string, json: boolean): Promise<number> {
  const made: string[] = [];
  const cleanupAll = () => {
    for (const n of made.splice(0)) for (const problem of destroyNetns(n)) process.stderr.write(`sockdoc bench: cleanup: ${problem}\n`);
  };
  process.on('exit', cleanupAll);
  try {
    const r = await run(made);
    progressDone();
    process.stdout.write(json ? JSON.stringify(r, null, 2) + '\n' : format(r));
    return 0;
  } catch (err) {
    process.stderr.write(`\nsockdoc bench: ${(err as Error).message}\n`);
    return 1;
  } finally {
    cleanupAll();
  }
}

async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err;
    process.stderr.write(`sockdoc bench: ${err.message}\n${BENCH_USAGE}\n`);
    return 3;
  }
  if (opts.help) {
    process.stdout.write(BENCH_USAGE + '\n');
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('sockdoc bench: needs root (it creates a network namespace with ip netns add)\n');
    return 3;
  }
  for (const f of [peerScript, timerScript]) {
    if (!existsSync(f)) {
      process.stderr.write(`sockdoc bench: ${f} missing; run it with npm run bench (builds first)\n`);
      return 3;
    }
  }

  const ns = `sockdoc-bench-${process.pid}`;
  const ownPids: number[] = [];
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    progressDone();
    for (const problem of destroyNetns(ns, ownPids)) process.stderr.write(`sockdoc bench: cleanup: ${problem}\n`);
  };
  process.on('exit', cleanup);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nsockdoc bench: ${sig}, removing ${ns}\n`);
      cleanup();
      process.exit(code);
    });
  }

  if (opts.flood === 'serve') {
    try {
      const r = await benchStress(opts.stressSeconds, opts.sockets, opts.floodCount ?? 2000, cli, peerScript, progress);
      progressDone();
      process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatStress(r));
      return r.scrapes.timedOut === 0 && r.scrapes.readFailed === 0 && r.scrapes.failed === 0 ? 0 : 1;
    } catch (err) {
      process.stderr.write(`\nsockdoc bench: ${(err as Error).message}\n`);
      return 1;
    }
  }
  if (opts.flood !== null) {
    try {
      const r = await benchFlood(opts.flood, opts.floodCount ?? (opts.flood === 'namespaces' ? 2000 : 15_000), cli, progress);
      progressDone();
      process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatFlood(r));
      return 0;
    } catch (err) {
      process.stderr.write(`\nsockdoc bench: ${(err as Error).message}\n`);
      return 1;
    }
  }

  if (opts.scoped > 0) return namespaceRow((made) => benchScoped(opts, cli, made, progress), formatScopedBench, opts.json);
  if (opts.namespaces > 0) return namespaceRow((made) => benchNamespaces(opts, cli, peerScript, made, progress), formatNamespacesBench, opts.json);

  try {
    const result = await bench(opts, ns, ownPids);
    process.stdout.write(opts.json ? JSON.stringify(toJson(result), null, 2) + '\n' : formatTable(result));
    return result.rows.some((r) => r.status !== 'ok' && r.status !== 'not installed' && !r.status.startsWith('not built') && !r.status.startsWith('not timed')) ? 1 : 0;
  } catch (err) {
    process.stderr.write(`\nsockdoc bench: ${(err as Error).message}\n`);
    return 1;
  } finally {
    cleanup();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));

/**
 * `npm run bench -- --scoped N`: what a filter costs when the host holds many namespaces. A docker
 * container (the tests' private dockerd: its own data root, no network, nothing pulled) holds a
 * listener and a few connections; `sockdoc --container NAME --interval 0 --json` is timed from the
 * host with no other namespace, then with N `ip netns` namespaces beside it, each with a process
 * holding a listener and two connections (a tenant's containers). A filter reads only the
 * namespace it names (snapshot/netns-plan.ts): the ratio says what the others still cost (their
 * discovery and naming). The unscoped read of the same host is timed once for contrast.
 *
 * Each run's CPU (user + system of sockdoc and whatever it started: this process's cutime + cstime
 * grow by exactly that once spawnSync has reaped it, proc(5)) is measured beside its wall time: on
 * a shared machine whose load comes and goes between the two layouts, the CPU ratio is the one
 * that says what the other namespaces cost; the wall ratio is printed too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createNetns, destroyNetns, inNetns } from './netns.js';
import { median } from './measure.js';
import { dockerMissing, startPrivateDocker } from '../../src/lab/private-docker.js';

/** A listener on 127.0.0.1:8080 and two connections to it, accepted: five sockets; "ready", then held. */
const HOLDER = `
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 8080)); s.listen(16)
held = [s]
for _ in range(2):
    c = socket.create_connection(("127.0.0.1", 8080)); a, _ = s.accept(); held += [c, a]
print("ready", flush=True)
time.sleep(float(sys.argv[1]))
`;

export interface ScopedLayout {
  others: number;
  timesS: number[];
  medianS: number | null;
  /** CPU seconds (user + system) of each run, and their median. */
  cpuS: number[];
  medianCpuS: number | null;
}

export interface ScopedBenchResult {
  container: string;
  runs: number;
  layouts: [ScopedLayout, ScopedLayout];
  /** median(N others) / median(none), wall time. */
  ratio: number | null;
  /** The same for CPU time: what the others cost, whatever else the machine runs meanwhile. */
  cpuRatio: number | null;
  /** The same host read whole (no filter), once, with the N namespaces: what the filter saves. */
  unscopedS: number | null;
  /** Load average before the timed runs (quoted with the numbers). */
  loadavg: string;
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux x86/arm: 100

/** CPU seconds of this process's reaped children so far: cutime + cstime, fields 16 and 17 of /proc/self/stat (proc(5)). */
function childrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

function timeRun(cli: string, args: string[]): { wallS: number; cpuS: number } {
  const c0 = childrenCpuS();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, ...args, '--interval', '0', '--json'], { encoding: 'utf8', maxBuffer: 512 << 20, timeout: 300_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status === null || r.status > 2) throw new Error(`sockdoc ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.split('\n')[0]}`);
  return { wallS: ms / 1000, cpuS: childrenCpuS() - c0 };
}

function layout(cli: string, container: string, others: number, runs: number, progress: (t: string) => void): ScopedLayout {
  timeRun(cli, ['--container', container]); // untimed: caches warm, as for every row
  const timesS: number[] = [];
  const cpuS: number[] = [];
  for (let i = 0; i < runs; i++) {
    progress(`--container, ${others} other namespaces: run ${i + 1}/${runs}`);
    const t = timeRun(cli, ['--container', container]);
    timesS.push(t.wallS);
    cpuS.push(t.cpuS);
  }
  return { others, timesS, medianS: median(timesS), cpuS, medianCpuS: median(cpuS) };
}

/** Starts a holder in `ns` and resolves when it holds its sockets. */
function startHolder(ns: string, lifetimeS: number): Promise<ChildProcess> {
  const [cmd, args] = inNetns(ns, 'python3', ['-c', HOLDER, String(lifetimeS)]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`holder in ${ns}: not ready after 30 s`)), 30_000);
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`holder in ${ns} exited ${code}`)));
  });
}

export async function benchScoped(opts: { scoped: number; runs: number }, cli: string, made: string[], progress: (t: string) => void): Promise<ScopedBenchResult> {
  const why = dockerMissing();
  if (why) throw new Error(`--scoped needs a private dockerd: ${why}`);
  const docker = startPrivateDocker(`sockdoc-bench-${process.pid}`);
  const holders: ChildProcess[] = [];
  try {
    const container = `web-bench-${process.pid}`;
    docker.run(container, {}, ['/usr/bin/python3', '-c', HOLDER, '3600']);
    // The container's holder is ready when its listener is (its stdout is docker's).
    for (let i = 0; i < 100 && !/\bLISTEN\b/.test(spawnSync(process.execPath, [cli, 'sockets', '--container', container], { encoding: 'utf8' }).stdout); i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const none = layout(cli, container, 0, opts.runs, progress);
    for (let i = 0; i < opts.scoped; i += 20) {
      const batch = Array.from({ length: Math.min(20, opts.scoped - i) }, (_, k) => `sockdoc-bench-${process.pid}-s${i + k}`);
      for (const ns of batch) {
        createNetns(ns);
        made.push(ns);
      }
      holders.push(...(await Promise.all(batch.map((ns) => startHolder(ns, 3600)))));
      progress(`${made.length}/${opts.scoped} namespaces holding sockets`);
    }
    const loadavg = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
    const many = layout(cli, container, opts.scoped, opts.runs, progress);
    progress('the same host, unscoped');
    const unscopedS = timeRun(cli, []).wallS;
    const ratio = none.medianS && many.medianS ? many.medianS / none.medianS : null;
    const cpuRatio = none.medianCpuS && many.medianCpuS ? many.medianCpuS / none.medianCpuS : null;
    return { container, runs: opts.runs, layouts: [none, many], ratio, cpuRatio, unscopedS, loadavg };
  } finally {
    for (const h of holders) h.kill('SIGKILL');
    for (const ns of made.splice(0)) destroyNetns(ns);
    docker.close();
  }
}

export function formatScopedBench(r: ScopedBenchResult): string {
  const rows = r.layouts.map(
    (l) =>
      `| sockdoc --container web --interval 0 --json, ${l.others} other namespaces | ${l.medianS?.toFixed(3) ?? '-'} s | ${l.timesS.map((t) => t.toFixed(3)).join(', ')} | ${l.medianCpuS?.toFixed(2) ?? '-'} s | ${l.cpuS.map((t) => t.toFixed(2)).join(', ')} |`,
  );
  return [
    `A docker container (${r.container}) holding 5 sockets; the other namespaces hold 5 sockets each, in a process of their own. ${r.runs} timed runs each; load ${r.loadavg}.`,
    '',
    '| run | median wall | runs (wall) | median CPU | runs (CPU, user+system) |',
    '|---|---|---|---|---|',
    ...rows,
    `| sockdoc --interval 0 --json (unscoped), ${r.layouts[1].others} other namespaces | ${r.unscopedS?.toFixed(3) ?? '-'} s | 1 run | | |`,
    '',
    `ratio (${r.layouts[1].others} other namespaces / none): wall ${r.ratio?.toFixed(2) ?? '-'}, CPU ${r.cpuRatio?.toFixed(2) ?? '-'} (target <= 1.5)`,
    '',
  ].join('\n');
}

/**
 * `sockdoc serve` under measurement, run from INSIDE the benchmark namespace (so it sees the
 * bench's sockets):
 *   node serve-load.js CLI SCRAPES RATE SECONDS [WARMUP]
 * 1. CPU per scrape: SCRAPES sequential scrapes after WARMUP (default 5) warm-up ones; the serve
 *    process's user + system time (all its threads, /proc/PID/stat utime+stime) divided by
 *    SCRAPES. The warm-up scrapes are measured apart: V8 compiles the scrape's functions over its
 *    first few scrapes (each runs a few times per scrape), and the first also explains every
 *    selected process's limit; an exporter runs for days, so the steady state is the number.
 * 2. Load: RATE scrapes per second for SECONDS on loopback, each with a 15 s client timeout;
 *    counts answers, answers with host data, and samples the exporter's RSS every second.
 * Then SIGTERM, and the exit code. Prints one JSON object (ServeLoadResult).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

export interface ServeLoadResult {
  scrapes: number;
  cpuMsPerScrape: number;
  /** Warm-up scrapes before the measured ones, and their CPU per scrape (JIT compilation, first limit explanations). */
  warmupScrapes?: number;
  warmupCpuMsPerScrape?: number;
  /** The same split: user-space (JavaScript, the addon's decoding) and kernel (sock_diag dumps, the fd iterator, /proc reads). */
  userMsPerScrape?: number;
  systemMsPerScrape?: number;
  /** Network namespaces each scrape read (sockdoc_namespace_info series): each costs a walk of the kernel's socket hash. */
  namespaces?: number;
  /**
   * `ss -tan` (every TCP socket, no process column) in the same namespace, user + system ms, the
   * median of 3: what listing the sockets costs with no attribution to processes at all.
   */
  ssTanCpuMs?: number | null;
  wallMsPerScrape: number[];
  load: {
    rate: number;
    seconds: number;
    sent: number;
    answered: number;
    withData: number;
    timedOut: number;
    failed: number;
    latencyMsP50: number | null;
    latencyMsP99: number | null;
    /** [seconds since start, RSS MiB] every second. */
    rss: Array<[number, number]>;
  };
  exitCode: number | null;
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux x86/arm: 100

/** [user, system] CPU ms of a process, all its threads. */
function cpuSplit(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) are 11 and 12 after the state field (proc(5)).
  return [(Number(f[11]) * 1000) / CLK_TCK, (Number(f[12]) * 1000) / CLK_TCK];
}

function cpuMs(pid: number): number {
  const [u, s] = cpuSplit(pid);
  return u + s;
}

/**
 * CPU of one `ss -tan > /dev/null`: the shell reaps it and reads its own cutime + cstime (fields
 * 16 and 17 of /proc/PID/stat, proc(5)), which then hold exactly that child's time.
 */
function ssTanCpuMs(): number | null {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync('sh', ['-c', 'ss -tan > /dev/null && cat /proc/$$/stat'], { encoding: 'latin1', timeout: 60_000 });
    if (r.status !== 0) return null;
    const f = r.stdout.slice(r.stdout.lastIndexOf(')') + 2).split(' ');
    runs.push(((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK);
  }
  return runs.sort((a, b) => a - b)[1];
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function get(port: number): Promise<{ status: number; body: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

function quantile(xs: number[], q: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main(argv: string[]): Promise<number> {
  const [cli, scrapesText, rateText, secondsText, warmupText] = argv;
  const scrapes = Number(scrapesText);
  const warmupScrapes = Math.max(1, Number(warmupText ?? 5));
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  const serve = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--timeout', '10s'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    serve.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on http:\/\/[^\s]*:(\d+)\//.exec(err);
      if (m) resolve(Number(m[1]));
    });
    serve.on('exit', () => reject(new Error(`serve exited: ${err}`)));
  });
  const pid = serve.pid!;
  const exited = new Promise<number | null>((resolve) => serve.on('exit', (code) => resolve(code)));
  try {
    const [uw, sw] = cpuSplit(pid);
    const warm = await get(port); // warm-up: the first scrape also explains every selected process's limit
    for (let i = 1; i < warmupScrapes; i++) await get(port);
    const namespaces = (warm.body.match(/^sockdoc_namespace_info\{/gm) ?? []).length;
    const [u0, s0] = cpuSplit(pid);
    const warmup = { warmupScrapes, warmupCpuMsPerScrape: (u0 + s0 - uw - sw) / warmupScrapes };
    const wall: number[] = [];
    for (let i = 0; i < scrapes; i++) wall.push((await get(port)).ms);
    const [u1, s1] = cpuSplit(pid);
    const cpu = (u1 + s1 - u0 - s0) / scrapes;
    const split = { userMsPerScrape: (u1 - u0) / scrapes, systemMsPerScrape: (s1 - s0) / scrapes, namespaces, ssTanCpuMs: ssTanCpuMs() };

    const load = { rate, seconds, sent: 0, answered: 0, withData: 0, timedOut: 0, failed: 0, latencyMsP50: null as number | null, latencyMsP99: null as number | null, rss: [] as Array<[number, number]> };
    const latencies: number[] = [];
    const inflight: Array<Promise<void>> = [];
    const t0 = performance.now();
    let nextSample = 0;
    for (let i = 0; i < rate * seconds; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = (performance.now() - t0) / 1000;
      if (t >= nextSample) {
        load.rss.push([Math.round(t), Math.round(rssMiB(pid) * 10) / 10]);
        nextSample++;
      }
      load.sent++;
      inflight.push(
        get(port).then(
          (r) => {
            if (r.status !== 200) return void load.failed++;
            load.answered++;
            latencies.push(r.ms);
            if (/^sockdoc_scrape_timed_out 0$/m.test(r.body)) load.withData++;
            else load.timedOut++;
          },
          () => void load.failed++,
        ),
      );
    }
    await Promise.all(inflight);
    load.rss.push([Math.round((performance.now() - t0) / 1000), Math.round(rssMiB(pid) * 10) / 10]);
    load.latencyMsP50 = quantile(latencies, 0.5);
    load.latencyMsP99 = quantile(latencies, 0.99);
    serve.kill('SIGTERM');
    const exitCode = await exited;
    const result: ServeLoadResult = { scrapes, cpuMsPerScrape: cpu, ...warmup, ...split, wallMsPerScrape: wall.map((w) => Math.round(w)), load, exitCode };
    process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  } finally {
    if (serve.exitCode === null) serve.kill('SIGKILL');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`serve-load: ${e.message}\n`);
    process.exit(1);
  },
);

/**
 * `npm run bench -- --flood namespaces|processes [--flood-count N]`: what a local user can make
 * sockdoc pay (issue 23). Each phase times, from the host namespace:
 * - `sockdoc --no-color` (the default 1 s window): wall time of each run and the report's lines
 *   (piped: 100 columns);
 * - `sockdoc serve`: a warm-up scrape, then timed scrapes; how many answered with host data
 *   (`sockdoc_scrape_timed_out 0`), and the series of the last one.
 * Phases: `namespaces` makes N empty `ip netns` namespaces (default 2,000; any user may make
 * them), then gives each a listener with a full queue (one holder process enters every namespace
 * with setns(2): one process, not N); `processes` starts N small holders (default 15,000: `sleep`
 * children of one parent, each holding the parent's listening socket) in a namespace of their own.
 * Everything is removed at the end, also on failure (the holders die with their parent:
 * PR_SET_PDEATHSIG, and are killed by process group and namespace).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { createNetns, destroyNetns } from './netns.js';
import { median } from './measure.js';
import { planFleet, startFleet } from './fleet.js';

export type FloodKind = 'namespaces' | 'processes';

export interface FloodPhase {
  name: string;
  diagnoseS: number[];
  reportLines: number;
  exitCode: number | null;
  scrapeS: number[];
  scrapesWithData: number;
  series: number;
}

export interface FloodResult {
  kind: FloodKind;
  count: number;
  load: string;
  phases: FloodPhase[];
}

const RUNS = 3;
const SCRAPES = 4;

/** Runs `ip -batch -` with these lines (one `ip` for thousands of namespaces). */
function ipBatch(lines: string[]): void {
  const r = spawnSync('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`ip -batch: ${r.stderr.split('\n').slice(0, 3).join(' ')}`);
}

/**
 * ipBatch without blocking this process: the stress scene scrapes while it churns, and a
 * spawnSync of thousands of `netns add` stopped the scraper's event loop for seconds, which then
 * counted as the exporter's latency (and fired the client's timeout).
 */
function ipBatchAsync(lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`ip -batch: ${err.split('\n').slice(0, 3).join(' ')}`));
    });
    child.stdin!.end(lines.join('\n') + '\n');
  });
}

function timeDiagnose(cli: string): { s: number; lines: number; code: number | null } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, '--no-color'], { encoding: 'utf8', maxBuffer: 512 << 20, timeout: 600_000, env: { ...process.env, NO_COLOR: '1' } });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status === null || r.status > 2) throw new Error(`sockdoc exited ${r.status ?? r.signal}: ${(r.stderr ?? '').split('\n')[0]}`);
  return { s, lines: r.stdout.trimEnd().split('\n').length, code: r.status };
}

function get(port: number, timeoutMs = 60_000): Promise<{ body: string; s: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ body, s: (performance.now() - t0) / 1000 }));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** `sockdoc serve --listen 127.0.0.1:0` with its default --timeout, and the port it listens on. */
async function startServe(cli: string): Promise<{ serve: ChildProcess; port: number }> {
  const serve = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen: ${err}`)), 60_000);
    serve.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on http:\/\/[^\s]*:(\d+)\//.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    serve.on('exit', () => reject(new Error(`serve exited: ${err}`)));
  });
  return { serve, port };
}

function stopServe(serve: ChildProcess): void {
  serve.kill('SIGTERM');
  setTimeout(() => serve.exitCode === null && serve.kill('SIGKILL'), 5000).unref();
}

/** serve with its default --timeout: one warm-up scrape, then SCRAPES timed ones. */
async function timeScrapes(cli: string): Promise<Pick<FloodPhase, 'scrapeS' | 'scrapesWithData' | 'series'>> {
  const { serve, port } = await startServe(cli);
  try {
    await get(port);
    const scrapeS: number[] = [];
    let withData = 0;
    let body = '';
    for (let i = 0; i < SCRAPES; i++) {
      const r = await get(port);
      scrapeS.push(r.s);
      body = r.body;
      if (/^sockdoc_scrape_timed_out 0$/m.test(r.body)) withData++;
    }
    const series = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    return { scrapeS, scrapesWithData: withData, series };
  } finally {
    stopServe(serve);
  }
}

async function phase(name: string, cli: string, progress: (t: string) => void): Promise<FloodPhase> {
  const diagnoseS: number[] = [];
  let last = { s: 0, lines: 0, code: null as number | null };
  for (let i = 0; i < RUNS; i++) {
    progress(`${name}: diagnose ${i + 1}/${RUNS}`);
    last = timeDiagnose(cli);
    diagnoseS.push(last.s);
  }
  progress(`${name}: serve scrapes`);
  return { name, diagnoseS, reportLines: last.lines, exitCode: last.code, ...(await timeScrapes(cli)) };
}

/**
 * One process that enters each namespace (setns with the /run/netns file), brings its loopback up
 * (SIOCSIFFLAGS), listens with backlog 0 on 127.0.0.1:9400 and connects once (the queue is full:
 * 1 > 0), then returns home. Says "ready", exits when its stdin closes.
 */
const NETNS_HOLDER = `
import ctypes, fcntl, os, resource, select, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
home = os.open('/proc/self/ns/net', os.O_RDONLY)
keep = []
for name in sys.argv[1:]:
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), 'setns ' + name)
    os.close(fd)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flags = struct.unpack('16sh', fcntl.ioctl(u, 0x8913, struct.pack('16sh', b'lo', 0)))[1]
    fcntl.ioctl(u, 0x8914, struct.pack('16sh', b'lo', flags | 1))
    u.close()
    s = socket.socket()
    s.bind(('127.0.0.1', 9400))
    s.listen(0)
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(('127.0.0.1', 9400))
    except BlockingIOError:
        pass
    keep += [s, c]
    libc.setns(home, 0x40000000)
print('ready', flush=True)
select.select([sys.stdin], [], [])
`;

/**
 * A parent listening on 127.0.0.1:9500 with backlog 0 and one client queued, then N children:
 * each sets PR_SET_PDEATHSIG and execs `sleep` holding the listening socket. Says "ready N",
 * exits when its stdin closes (its children with it).
 */
const PROCESS_HOLDER = `
import ctypes, os, select, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
os.setpgrp()
s = socket.socket()
s.bind(('127.0.0.1', 9500))
s.listen(0)
s.set_inheritable(True)
c = socket.socket()
c.setblocking(False)
try:
    c.connect(('127.0.0.1', 9500))
except BlockingIOError:
    pass
n = int(sys.argv[1])
for i in range(n):
    if os.fork() == 0:
        libc.prctl(1, 9)
        os.execv('/bin/sleep', ['sleep', '3600'])
print('ready', n, flush=True)
select.select([sys.stdin], [], [])
`;

function startHolder(argv: string[], progress: (t: string) => void, what: string): Promise<ChildProcess> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not ready after 10 min`)), 600_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready')) {
        clearTimeout(timer);
        progress(`${what}: ${line}`);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code}`));
    });
  });
}

function stop(child: ChildProcess | null): void {
  if (!child || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL'); // the process holder's group (os.setpgrp)
  } catch {
    /* not a group leader, or gone */
  }
  if (child.exitCode === null) child.kill('SIGKILL');
}

export async function benchFlood(kind: FloodKind, count: number, cli: string, progress: (t: string) => void): Promise<FloodResult> {
  const tag = `sockdoc-flood-${process.pid}`;
  const load = () => spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
  const phases: FloodPhase[] = [];
  const loadAtStart = load();
  if (kind === 'namespaces') {
    const names = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
    let holder: ChildProcess | null = null;
    try {
      progress(`making ${count} namespaces`);
      ipBatch(names.map((n) => `netns add ${n}`));
      phases.push(await phase(`${count} empty namespaces`, cli, progress));
      holder = await startHolder(['python3', '-c', NETNS_HOLDER, ...names], progress, `a full listener in each of ${count} namespaces`);
      phases.push(await phase(`${count} namespaces, a full listener in each`, cli, progress));
    } finally {
      stop(holder);
      progress(`removing ${count} namespaces`);
      try {
        ipBatch(names.map((n) => `netns del ${n}`));
      } catch (err) {
        process.stderr.write(`sockdoc bench: cleanup: ${(err as Error).message}\n`);
      }
    }
  } else {
    let holder: ChildProcess | null = null;
    try {
      spawnSync('ip', ['netns', 'add', tag]);
      spawnSync('ip', ['-n', tag, 'link', 'set', 'lo', 'up']);
      holder = await startHolder(['ip', 'netns', 'exec', tag, 'python3', '-c', PROCESS_HOLDER, String(count)], progress, `${count} processes`);
      phases.push(await phase(`${count} small processes (one shared listener, full)`, cli, progress));
    } finally {
      stop(holder);
      for (const problem of destroyNetns(tag)) process.stderr.write(`sockdoc bench: cleanup: ${problem}\n`);
    }
  }
  return { kind, count, load: `${loadAtStart} at the start, ${load()} at the end`, phases };
}

export function formatFlood(r: FloodResult): string {
  const f = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  return [
    `Flood: ${r.count} ${r.kind}; load ${r.load}. diagnose: sockdoc --no-color (1 s window), ${RUNS} runs; scrapes: sockdoc serve (default --timeout), after one warm-up.`,
    '',
    '| scene | diagnose median (runs) | report lines | scrape median (runs) | with host data | series |',
    '|---|---|---|---|---|---|',
    ...r.phases.map((p) => `| ${p.name} | ${median(p.diagnoseS)?.toFixed(2)} s (${f(p.diagnoseS)}) | ${p.reportLines} | ${median(p.scrapeS)?.toFixed(2)} s (${f(p.scrapeS)}) | ${p.scrapesWithData}/${p.scrapeS.length} | ${p.series} |`),
    '',
  ].join('\n');
}

export interface StressResult {
  seconds: number;
  sockets: number;
  namespacesPerCycle: number;
  cycles: number;
  /** failed: no answer (client timeout, refused); readFailed: answered without host data because the read failed (not a timeout). */
  scrapes: { sent: number; answered: number; withData: number; timedOut: number; readFailed: number; failed: number; p50S: number | null; maxS: number | null; within2S: number };
  /** Namespaces not read by a scrape (--netns-budget): the oldest carried read served (s), and the scrapes that had some unread. */
  namespaces: { maxAgeS: number; scrapesWithUnread: number; maxUnread: number };
  rssMiB: { start: number; peak: number; end: number; samples: Array<[number, number]> };
  /** Peak and last V8 heap in use per thread of the exporter (sockdoc_exporter_heap_used_bytes), MiB. */
  heapMiB: Record<string, { peak: number; end: number }>;
  load: string;
}

/** sockdoc_exporter_heap_used_bytes{thread} of a scrape's body, MiB per thread. */
export function heapsOf(body: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of body.matchAll(/^sockdoc_exporter_heap_used_bytes\{thread="([^"]+)"\} (\S+)$/gm)) out[m[1]] = Math.round(Number(m[2]) / 104857.6) / 10;
  return out;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The serve stress scene: SOCKETS TCP sockets held in a namespace of their own (the bench's
 * fleet), then for SECONDS a scrape every second (15 s client timeout) while NAMESPACES
 * namespaces are made, each given a full listener, and removed, cycle after cycle; the
 * exporter's RSS sampled every second; then 30 s of scrapes on a quiet host (is the memory
 * returned?). End RSS is the last sample.
 */
export async function benchStress(seconds: number, sockets: number, namespaces: number, cli: string, peerScript: string, progress: (t: string) => void): Promise<StressResult> {
  const tag = `sockdoc-stress-${process.pid}`;
  const load = () => readFileSync('/proc/loadavg', 'utf8').trim();
  const loadAtStart = load();
  let holder: ChildProcess | null = null;
  let names: string[] = [];
  let serve: ChildProcess | null = null;
  try {
    if (sockets > 0) {
      createNetns(tag);
      spawnSync('ip', ['netns', 'exec', tag, 'sh', '-c', "echo '10000 65000' > /proc/sys/net/ipv4/ip_local_port_range"]);
      await startFleet(tag, peerScript, planFleet(sockets), 60_000 + sockets * 2, (held, total) => progress(`stress: building sockets ${held}/${total}`));
    }
    const started = await startServe(cli);
    serve = started.serve;
    const pid = serve.pid!;
    const t0 = performance.now();
    const samples: Array<[number, number]> = [[0, rssMiB(pid)]];
    const scrapes = { sent: 0, answered: 0, withData: 0, timedOut: 0, readFailed: 0, failed: 0, p50S: null as number | null, maxS: null as number | null, within2S: 0 };
    const ns = { maxAgeS: 0, scrapesWithUnread: 0, maxUnread: 0 };
    const took: number[] = [];
    const heapMiB: StressResult['heapMiB'] = {};
    let churning = true;
    let cycles = 0;
    const churn = (async () => {
      while (churning) {
        names = Array.from({ length: namespaces }, (_, i) => `${tag}-c${cycles}-${i}`);
        progress(`stress: cycle ${cycles + 1}, making ${namespaces} namespaces`);
        await ipBatchAsync(names.map((n) => `netns add ${n}`));
        if (!churning) break;
        holder = await startHolder(['python3', '-c', NETNS_HOLDER, ...names], () => {}, 'stress holder');
        await sleep(5000);
        stop(holder);
        holder = null;
        await ipBatchAsync(names.map((n) => `netns del ${n}`));
        names = [];
        cycles++;
      }
    })();
    const churnEnd = t0 + seconds * 1000;
    const end = churnEnd + 30_000;
    while (performance.now() < end) {
      const tick = performance.now();
      if (tick >= churnEnd && churning) churning = false;
      scrapes.sent++;
      try {
        const r = await get(started.port, 15_000);
        scrapes.answered++;
        took.push(r.s);
        if (!/^sockdoc_scrape_timed_out 0$/m.test(r.body)) scrapes.timedOut++;
        else if (/^sockdoc_snapshot_age_seconds /m.test(r.body)) {
          scrapes.withData++;
          if (r.s <= 2) scrapes.within2S++;
        } else scrapes.readFailed++;
        const age = Number(/^sockdoc_namespaces_max_age_seconds (\S+)$/m.exec(r.body)?.[1] ?? 0);
        const unread = Number(/^sockdoc_namespaces_unread (\S+)$/m.exec(r.body)?.[1] ?? 0);
        ns.maxAgeS = Math.max(ns.maxAgeS, age);
        ns.maxUnread = Math.max(ns.maxUnread, unread);
        if (unread > 0) ns.scrapesWithUnread++;
        for (const [thread, mib] of Object.entries(heapsOf(r.body))) heapMiB[thread] = { peak: Math.max(heapMiB[thread]?.peak ?? 0, mib), end: mib };
      } catch {
        scrapes.failed++;
      }
      samples.push([Math.round((performance.now() - t0) / 1000), rssMiB(pid)]);
      progress(`stress: ${Math.round((performance.now() - t0) / 1000)} s, ${scrapes.answered} answered, ${scrapes.timedOut} timed out, RSS ${samples[samples.length - 1][1]} MiB, heap ${Object.entries(heapMiB).map(([t, h]) => `${t} ${h.end}`).join(' ')} MiB`);
      await sleep(Math.max(0, 1000 - (performance.now() - tick)));
    }
    churning = false;
    await churn;
    took.sort((a, b) => a - b);
    scrapes.p50S = took.length ? took[Math.floor(took.length / 2)] : null;
    scrapes.maxS = took.length ? took[took.length - 1] : null;
    const rss = samples.map((x) => x[1]);
    return { seconds, sockets, namespacesPerCycle: namespaces, cycles, scrapes, namespaces: ns, rssMiB: { start: rss[0], peak: Math.max(...rss), end: rss[rss.length - 1], samples }, heapMiB, load: `${loadAtStart} at the start, ${load()} at the end` };
  } finally {
    if (serve) stopServe(serve);
    stop(holder);
    if (names.length) {
      try {
        ipBatch(names.map((n) => `netns del ${n}`));
      } catch {
        /* reported by the caller's check */
      }
    }
    if (sockets > 0) for (const problem of destroyNetns(tag)) process.stderr.write(`sockdoc bench: cleanup: ${problem}\n`);
  }
}

export function formatStress(r: StressResult): string {
  const s = r.scrapes;
  return [
    `Serve stress: ${r.sockets} sockets held; ${r.seconds} s of 1 s scrapes while ${r.namespacesPerCycle} namespaces were made, given a full listener each and removed (${r.cycles} cycles), then 30 s quiet; load ${r.load}.`,
    '',
    '| RSS start | RSS peak | RSS end | scrapes sent | answered | with host data | of those ≤ 2 s | timed out | read failed | no answer | scrape p50 | scrape max |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    `| ${r.rssMiB.start} MiB | ${r.rssMiB.peak} MiB | ${r.rssMiB.end} MiB | ${s.sent} | ${s.answered} | ${s.withData} | ${s.within2S} | ${s.timedOut} | ${s.readFailed} | ${s.failed} | ${s.p50S?.toFixed(2)} s | ${s.maxS?.toFixed(2)} s |`,
    '',
    `Namespaces not reached within a scrape's --netns-budget: the oldest carried read served was ${r.namespaces.maxAgeS.toFixed(1)} s old; ${r.namespaces.scrapesWithUnread} scrapes had unread namespaces (at most ${r.namespaces.maxUnread}).`,
    '',
    `V8 heap in use (sockdoc_exporter_heap_used_bytes), peak / end: ${Object.entries(r.heapMiB).map(([t, h]) => `${t} ${h.peak} / ${h.end} MiB`).join(', ') || 'not reported'}.`,
    '',
  ].join('\n');
}

/**
 * The exporter's web side under attack, measured (not part of the test suite; root; numbers for
 * docs/safety.md). Each mode starts `sockdoc serve` from CLI (default: this checkout's), so an
 * older build can be measured the same way.
 *
 *   node dist/scripts/measure-serve-web.js hold [SECONDS] [CLI] [--root DIR]
 *       uid 65534 holds 300 connections (HOARD_COUNT; reopening each one closed after HOARD_DELAY_MS,
 *       default 5) while a scraper asks for
 *       /metrics every 250 ms on a new connection: how many are answered.
 *   node dist/scripts/measure-serve-web.js sse [SECONDS] [CLI]
 *       500 full accept queues in a namespace of its own, 32 event streams that never read:
 *       serve's RSS every 10 s.
 *   node dist/scripts/measure-serve-web.js sampling [SECONDS] [CLI]
 *       a page (the dashboard, then its event stream read for 20 s), then closed: serve's CPU time
 *       every 10 s after (sampling costs CPU) and what its log says.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../src/testing/paths.js';
import { diesWithTest } from '../src/testing/bounded.js';

const [mode = 'hold', secondsArg, cliArg, ...rest] = process.argv.slice(2);
const seconds = Number(secondsArg ?? (mode === 'hold' ? 45 : 90));
const cli = cliArg && cliArg !== '-' ? cliArg : cliPath;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

function startServe(args: string[], prefix: string[] = []): Promise<{ child: ChildProcess; port: number; log: () => string }> {
  // Killed with this script however it ends (no exporter outlives a measurement).
  const argv = diesWithTest([...prefix, process.execPath, cli, 'serve', '--listen', '127.0.0.1:0', ...args]);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      const m = /listening on http:\/\/[^\s]*:(\d+)\//.exec(log);
      if (m) {
        clearInterval(t);
        resolve({ child, port: Number(m[1]), log: () => log });
      }
    }, 50);
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
  });
}

/** SIGTERM, then SIGKILL after 5 s: no exporter outlives a measurement. */
async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([closed, sleep(5000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** serve's resident memory from /proc/PID/status. */
function rssOf(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0) * 1024;
}

function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks (USER_HZ 100)
}

function get(port: number, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

const HOARDER = `
const net = require('node:net');
const [port, count, delay] = process.argv.slice(2).map(Number);
let open = 0, opened = 0;
function one() {
  const s = net.connect({ host: '127.0.0.1', port });
  let connected = false;
  opened++;
  s.on('connect', () => { connected = true; open++; s.write('GET /metrics HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n'); });
  s.on('error', () => {});
  s.on('close', () => { if (connected) open--; setTimeout(one, delay); });
}
for (let i = 0; i < count; i++) one();
setInterval(() => process.stdout.write(JSON.stringify({ open, opened }) + '\\n'), 1000);
`;

async function hold(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-hoard-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'h.cjs'), HOARDER, { mode: 0o644 });
  const serve = await startServe(rest);
  const count = Number(process.env.HOARD_COUNT ?? 300);
  const delay = Number(process.env.HOARD_DELAY_MS ?? 5);
  const hoarder = spawn(process.execPath, [join(dir, 'h.cjs'), String(serve.port), String(count), String(delay)], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'ignore'] });
  let last = '';
  hoarder.stdout!.on('data', (d: Buffer) => (last = d.toString().trim().split('\n').pop() ?? last));
  await sleep(5000);
  let asked = 0;
  let answered = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    asked++;
    if ((await get(serve.port, '/metrics', 10_000)) === 200) answered++;
    await sleep(250);
  }
  console.log(`hold: ${answered}/${asked} scrapes answered (${((100 * answered) / asked).toFixed(1)}%) while uid 65534 held ${count} connections, reopening each after ${delay} ms (${last}); serve CPU ${cpuOf(serve.child.pid!).toFixed(1)} s; serve ${cli}${rest.length ? ` ${rest.join(' ')}` : ''}; load ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
  hoarder.kill('SIGKILL');
  await stopServe(serve.child);
  rmSync(dir, { recursive: true, force: true });
}

const FULL_QUEUES = `
import socket, resource, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
held = []
for i in range(500):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 20000 + i)); s.listen(1); held.append(s)
for i in range(500):
    for k in range(2):
        c = socket.socket(); c.setblocking(False); c.connect_ex(('127.0.0.1', 20000 + i)); held.append(c)
print('ready', flush=True)
time.sleep(3600)
`;

/** An event stream that reads nothing after its request. */
function unread(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      s.pause();
      resolve(s);
    });
    s.on('error', () => undefined);
  });
}

async function sse(): Promise<void> {
  const ns = `sockdoc-measure-${process.pid}`;
  spawnSync('ip', ['netns', 'add', ns]);
  spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-full-'));
  writeFileSync(join(dir, 'full.py'), FULL_QUEUES);
  const queues = spawn('ip', ['netns', 'exec', ns, 'python3', join(dir, 'full.py')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => queues.stdout!.once('data', () => r()));
  await sleep(2000);
  const serve = await startServe(rest);
  const streams: Socket[] = [];
  try {
    await get(serve.port, '/', 5000); // the page: sampling starts
    await sleep(3000);
    // Before the streams: 32 of them are as many connections as one user may hold.
    const state = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: serve.port, path: '/api/state', agent: false }, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => (n += d.length));
        res.on('end', () => resolve(n));
      });
      req.on('error', () => resolve(0));
      req.end();
    });
    const before = rssOf(serve.child.pid!);
    const count = Number(process.env.STREAMS ?? 32);
    for (let i = 0; i < count; i++) streams.push(await unread(serve.port));
    const rows: string[] = [];
    let max = before;
    for (let t = 10; t <= seconds; t += 10) {
      await sleep(10_000);
      const rss = rssOf(serve.child.pid!);
      max = Math.max(max, rss);
      rows.push(`${t}s ${(rss / MB).toFixed(0)} MB`);
    }
    console.log(`sse: ${count} unread event streams, 500 full queues (state ${(state / MB).toFixed(2)} MB): RSS ${(before / MB).toFixed(0)} MB before, ${(max / MB).toFixed(0)} MB at most over ${seconds} s (+${((max - before) / MB).toFixed(0)} MB); ${rows.join(', ')}; serve ${cli}; load ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
  } finally {
    for (const s of streams) s.destroy();
    await stopServe(serve.child);
    queues.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sampling(): Promise<void> {
  const serve = await startServe(rest);
  try {
    await sleep(2000);
    const base = cpuOf(serve.child.pid!);
    console.log(`sampling: before the visit ${base.toFixed(2)} s CPU`);
    // A page: its document, then its event stream read for 20 s, then the tab closed.
    await get(serve.port, '/', 5000);
    let events = 0;
    const stream = connect({ host: '127.0.0.1', port: serve.port }, () => stream.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    stream.on('data', (d: Buffer) => (events += (d.toString('latin1').match(/^event: state$/gm) ?? []).length));
    stream.on('error', () => undefined);
    await sleep(20_000);
    stream.destroy();
    const closedAt = Date.now();
    console.log(`sampling: page open 20 s, ${events} state events received, ${(cpuOf(serve.child.pid!) - base).toFixed(2)} s CPU meanwhile; closed`);
    const rows: string[] = [];
    let prev = cpuOf(serve.child.pid!);
    for (let t = 10; t <= seconds; t += 10) {
      await sleep(closedAt + t * 1000 - Date.now());
      const cpu = cpuOf(serve.child.pid!);
      rows.push(`${t - 10}-${t}s +${(cpu - prev).toFixed(2)} s`);
      prev = cpu;
    }
    console.log(`sampling: serve's CPU per 10 s after the last page closed: ${rows.join(', ')}; log: ${serve.log().split('\n').filter((l) => /dashboard/.test(l)).join(' | ')}; serve ${cli}; load ${readFileSync('/proc/loadavg', 'latin1').trim()}`);
  } finally {
    await stopServe(serve.child);
  }
}
if (process.getuid?.() !== 0) {
  console.error('measure-serve-web: run as root (a second user, a network namespace)');
  process.exit(3);
}
await ({ hold, sse, sampling } as Record<string, () => Promise<void>>)[mode]?.();
process.exit(0);

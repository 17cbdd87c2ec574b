/**
 * `sockdoc serve` as a user meets it, through the real binary: the endpoints, a bad --listen, a
 * port already in use, SIGTERM in the middle of a scrape. Loopback only, every process stopped in
 * `finally`.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath, fixture } from '../testing/paths.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpGet, start, startServe, stopHard, waitForOutput, type Started } from '../serve/testing/processes.js';
import { buildFamilyRefuser } from '../testing/no-netlink.js';

const SEED = fixture('hosts', 'seed-queue-full');

function sockdoc(args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('serve answers /metrics, /-/healthy and / and says 404/405 for the rest', async () => {
  const s = await startServe(['--root', SEED, '--listen', '127.0.0.1:0']);
  try {
    const at = { host: '127.0.0.1', port: s.port };
    const health = await httpGet(at, '/-/healthy');
    assert.deepEqual([health.status, health.body], [200, 'OK\n']);
    const landing = await httpGet(at, '/');
    assert.equal(landing.status, 200);
    assert.match(landing.body, /<a href="\/metrics">\/metrics<\/a>/);
    const metrics = await httpGet(at, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^sockdoc_listener_accept_queue\{.*port="8889".*\} 129$/m);
    assert.match(metrics.body, /^sockdoc_scrape_timed_out 0$/m);
    assert.equal((await httpGet(at, '/nope')).status, 404);
    const post = await httpGet(at, '/metrics', 'POST');
    assert.deepEqual([post.status, post.headers.allow], [405, 'GET, HEAD']);
    const head = await httpGet(at, '/metrics', 'HEAD');
    assert.deepEqual([head.status, head.body], [200, '']);
  } finally {
    await stopHard(s);
  }
});

test('/metrics is gzip when the client asks (curl --compressed, as Prometheus does), plain text when it does not', async () => {
  const s = await startServe(['--root', SEED, '--listen', '127.0.0.1:0']);
  try {
    const url = `http://127.0.0.1:${s.port}/metrics`;
    const curl = (args: string[]) => spawnSync('curl', ['-sS', '--max-time', '10', '-D', '-', ...args, url], { encoding: 'utf8' });
    const gz = curl(['--compressed']);
    assert.equal(gz.status, 0, gz.stderr);
    const [gzHead, gzBody] = gz.stdout.split('\r\n\r\n');
    assert.match(gzHead, /^content-encoding: gzip$/im);
    assert.match(gzHead, /^vary: Accept-Encoding$/im);
    const plain = curl([]);
    const [plainHead, plainBody] = plain.stdout.split('\r\n\r\n');
    assert.doesNotMatch(plainHead, /content-encoding/i);
    // Decoded, the same exposition (the exporter's own timings aside).
    const hostPart = (t: string) => t.split('\n').filter((l) => l.startsWith('sockdoc_listener') || l.startsWith('sockdoc_finding'));
    assert.ok(hostPart(plainBody).length > 5);
    assert.deepEqual(hostPart(gzBody), hostPart(plainBody));
    assert.match(gzBody, /^sockdoc_scrape_timed_out 0$/m);
    // The raw bytes are gzip: smaller than the text.
    const raw = spawnSync('curl', ['-sS', '--max-time', '10', '-H', 'Accept-Encoding: gzip', url]);
    assert.deepEqual([...raw.stdout.subarray(0, 2)], [0x1f, 0x8b]);
    assert.ok(raw.stdout.length < Buffer.byteLength(plainBody) / 3, `${raw.stdout.length} vs ${Buffer.byteLength(plainBody)}`);
  } finally {
    await stopHard(s);
  }
});

test('a burst of 200 concurrent scrapes from one user: at most 32 held at once, each answered with the host data, the rest refused at once; it keeps answering', async () => {
  const s = await startServe(['--root', SEED, '--listen', '127.0.0.1:0']);
  try {
    const settled = await Promise.allSettled(Array.from({ length: 200 }, () => httpGet({ host: '127.0.0.1', port: s.port }, '/metrics', 'GET', 30_000)));
    const answers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    // One user's connections are bounded (connection-limits.ts): the burst is served 32 at a time at
    // least, and what is refused is refused at once (a reset), not left hanging to the 30 s timeout.
    assert.ok(answers.length >= 32, `${answers.length} answered`);
    for (const r of settled) if (r.status === 'rejected') assert.match(String(r.reason), /ECONNRESET|socket hang up/);
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
    for (const a of answers) assert.match(a.body, /^sockdoc_listener_accept_queue\{.*port="8889".*\} 129$/m);
    // ... and it still answers afterwards.
    assert.equal((await httpGet({ host: '127.0.0.1', port: s.port }, '/-/healthy')).status, 200);
  } finally {
    await stopHard(s);
  }
});

test('a bad --listen or flag is one line on stderr and exit 3', () => {
  for (const [args, message] of [
    [['serve', '--listen', 'nope'], /^sockdoc: --listen 'nope': expected HOST:PORT/],
    [['serve', '--listen', '127.0.0.1:99999'], /port 99999 is above 65535/],
    [['serve', '--listen', '192.0.2.1:9659'], /^sockdoc: cannot listen on 192\.0\.2\.1:9659: no interface of this host has that address$/m],
    [['serve', '--timeout', '5ms'], /^sockdoc: --timeout must be from 100ms to 60s, got '5ms'$/m],
    // A negative value after a space: the shared one-liner of parse(); written --timeout=-1s, the flag's own.
    [['serve', '--timeout', '-1s'], /^sockdoc: --timeout -1s: a value cannot start with '-' \(none of sockdoc's options takes a negative number\)$/m],
    [['serve', '--timeout=-1s'], /^sockdoc: --timeout expects a duration from 100ms to 60s like 1, 0\.5, 500ms or 2s, got '-1s'$/m],
    [['serve', '--timeout', '2m'], /^sockdoc: --timeout expects a duration from 100ms to 60s like 1, 0\.5, 500ms or 2s, got '2m'$/m],
    [['serve', '--timeout', '61s'], /^sockdoc: --timeout must be from 100ms to 60s, got '61s'$/m],
    [['serve', '--timeout'], /^sockdoc: Option '--timeout <value>' argument missing$/m],
    [['serve', '--timeout', '--top', '3'], /^sockdoc: --timeout --top: a value cannot start with '-'/m],
    [['serve', '--top', 'x'], /--top expects a whole number from 0 to 10000, got 'x'/],
    [['serve', '--top', '-1'], /^sockdoc: --top -1: a value cannot start with '-'/m],
    [['serve', '--top=-1'], /^sockdoc: --top expects a whole number from 0 to 10000, got '-1'$/m],
    [['serve', '--top', '1e9'], /^sockdoc: --top expects a whole number from 0 to 10000, got '1e9'$/m],
    [['serve', '--top', '99999'], /^sockdoc: --top must be between 0 and 10000, got '99999'$/m],
    [['serve', '--max-listeners', '0'], /^sockdoc: --max-listeners must be between 1 and 100000, got '0'$/m],
    [['serve', '--max-processes=-5'], /^sockdoc: --max-processes expects a whole number from 1 to 100000, got '-5'$/m],
    [['serve', '--process-ratio', '2'], /^sockdoc: --process-ratio must be in \(0, 1\] \(or 1%\.\.100%\), got '2'$/m],
    [['serve', '--process-ratio=-0.5'], /^sockdoc: --process-ratio expects a ratio like 0\.8 or 80%, got '-0\.5'$/m],
    [['serve', '--listen', 'garbage'], /^sockdoc: --listen 'garbage': expected HOST:PORT/m],
    [['serve', '--listen', '[::1]:99999'], /^sockdoc: --listen '\[::1\]:99999': port 99999 is above 65535$/m],
    [['serve', '--root', '/no/such/dir'], /--root \/no\/such\/dir: no such directory/],
  ] as Array<[string[], RegExp]>) {
    const r = sockdoc(args);
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
});

test("a bad flag points at 'sockdoc serve --help'; an address that cannot be bound points at nothing", () => {
  assert.match(sockdoc(['serve', '--listen', 'nope']).stderr, /\nTry 'sockdoc serve --help'\.\n$/);
  const bind = sockdoc(['serve', '--listen', '192.0.2.1:9659']);
  assert.equal(bind.code, 3);
  assert.doesNotMatch(bind.stderr, /Try/);
});

test('a second serve on a busy port says so and exits 3; the first keeps serving', async () => {
  const first = await startServe(['--root', SEED, '--listen', '127.0.0.1:0']);
  try {
    const r = sockdoc(['serve', '--root', SEED, '--listen', `127.0.0.1:${first.port}`]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`^sockdoc: cannot listen on 127\\.0\\.0\\.1:${first.port}: the port is already in use`));
    assert.equal((await httpGet({ host: '127.0.0.1', port: first.port }, '/-/healthy')).status, 200);
  } finally {
    await stopHard(first);
  }
});

test('SIGTERM in the middle of a scrape closes the port and exits 0, leaving nothing', async () => {
  // Every process selected, so the first scrape explains every limit: long enough to be caught in the middle.
  let s: (Started & { port: number }) | undefined;
  let again: (Started & { port: number }) | undefined;
  try {
    s = await startServe(['--listen', '127.0.0.1:0', '--top', '10000', '--process-ratio', '0.01']);
    const scrape = httpGet({ host: '127.0.0.1', port: s.port }, '/metrics').then(
      (r) => `answered ${r.status}`,
      (e: Error) => `cut: ${e.message}`,
    );
    await new Promise((r) => setTimeout(r, 30));
    s.child.kill('SIGTERM');
    const exit = await s.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, s.output());
    assert.match(s.output(), /SIGTERM: closed 127\.0\.0\.1:\d+ \(the scrape in flight was abandoned\)/);
    assert.match(await scrape, /^(cut|answered)/);
    // Nothing left behind: the same port can be bound again at once.
    again = await startServe(['--root', SEED, '--listen', `127.0.0.1:${s.port}`]);
    assert.equal(again.port, s.port);
  } finally {
    await stopHard(s);
    await stopHard(again);
  }
});

test('SIGHUP (the terminal of an ssh session closed) closes the port and exits 0, said on stderr', async () => {
  let s: (Started & { port: number }) | undefined;
  try {
    s = await startServe(['--root', SEED, '--listen', '127.0.0.1:0']);
    s.child.kill('SIGHUP');
    assert.deepEqual(await s.exited, { code: 0, signal: null }, s.output());
    assert.match(s.output(), /SIGHUP: closed 127\.0\.0\.1:\d+\n/);
  } finally {
    await stopHard(s);
  }
});

test('SIGUSR1 and SIGUSR2 are logged and ignored: no Node inspector opens in the exporter, and it keeps serving', async () => {
  let s: (Started & { port: number }) | undefined;
  try {
    s = await startServe(['--root', SEED, '--listen', '127.0.0.1:0']);
    s.child.kill('SIGUSR1');
    await waitForOutput(s, /SIGUSR1 ignored/);
    s.child.kill('SIGUSR2');
    await waitForOutput(s, /SIGUSR2 ignored/);
    assert.equal((await httpGet({ host: '127.0.0.1', port: s.port }, '/-/healthy')).status, 200);
    assert.doesNotMatch(s.output(), /Debugger listening/);
    s.child.kill('SIGTERM');
    assert.deepEqual(await s.exited, { code: 0, signal: null }, s.output());
  } finally {
    await stopHard(s);
  }
});

test('serving beyond loopback is allowed when asked, with a warning line', async () => {
  const s = start(process.execPath, [cliPath, 'serve', '--root', SEED, '--listen', '0.0.0.0:0']);
  try {
    await waitForOutput(s, /is reachable from other hosts/);
  } finally {
    await stopHard(s);
  }
});

test("':PORT' serves IPv4 and IPv6 clients; on a host without IPv6 (socket(AF_INET6) refused, as with ipv6.disable=1) every IPv4 address", { skip: spawnSync('sh', ['-c', 'command -v cc'], { stdio: 'ignore' }).status === 0 ? false : 'needs cc' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-noinet6-'));
  let both: (Started & { port: number }) | undefined;
  let v4: (Started & { port: number }) | undefined;
  try {
    both = await startServe(['--root', SEED, '--listen', ':0']);
    assert.match(both.output(), /listening on http:\/\/\[::\]:\d+\/metrics/);
    await waitForOutput(both, /is reachable from other hosts/);
    assert.equal((await httpGet({ host: '127.0.0.1', port: both.port }, '/-/healthy')).status, 200);
    assert.equal((await httpGet({ host: '::1', port: both.port }, '/-/healthy')).status, 200);
    v4 = await startServe(['--root', SEED, '--listen', ':0'], [buildFamilyRefuser(dir, 'AF_INET6')]);
    assert.match(v4.output(), /listening on http:\/\/0\.0\.0\.0:\d+\/metrics/);
    await waitForOutput(v4, /is reachable from other hosts/);
    assert.equal((await httpGet({ host: '127.0.0.1', port: v4.port }, '/-/healthy')).status, 200);
  } finally {
    await stopHard(both);
    await stopHard(v4);
    rmSync(dir, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backlogsFromSs, CAPTURE_SS, listenerKey, loadNativeAddon, readListenBacklogs } from './sock-diag.js';
import { fixture } from '../testing/paths.js';
import { uniqueName } from '../testing/unique.js';

const busy = fixture('net', 'busy');
const notRoot = process.getuid?.() === 0 ? false : 'needs root: creates a network namespace';

test('a captured tree: backlog limits from the raw dump, keyed like /proc/net/tcp names listeners', () => {
  const r = readListenBacklogs(busy);
  assert.equal(r.source, 'sock_diag');
  assert.equal(r.report.status, 'ok');
  assert.deepEqual(
    [...r.backlogs],
    [
      ['4|0.0.0.0|8084|344027', 32],
      ['4|127.0.0.1|8080|344023', 128],
      ['6|::|8082|344025', 64],
      ['6|::|8083|344026', 10],
      ['6|::1|8081|344024', 128],
    ],
  );
  assert.equal(r.backlogs.get(listenerKey(4, '127.0.0.1', 8080, 344023)), 128);
});

test('ss output captured at the same moment agrees on every listener', () => {
  const diag = readListenBacklogs(busy).backlogs;
  const ss = backlogsFromSs(readFileSync(join(busy, CAPTURE_SS), 'utf8'));
  for (const [key, limit] of diag) assert.equal(ss.get(key), limit, key);
});

test('a captured tree with only ss output uses it; with neither, the limits are unknown and said so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-ss-only-'));
  try {
    mkdirSync(join(dir, 'sock_diag'));
    copyFileSync(join(busy, CAPTURE_SS), join(dir, CAPTURE_SS));
    const r = readListenBacklogs(dir);
    assert.equal(r.source, 'ss');
    assert.equal(r.backlogs.get('4|127.0.0.1|8080|344023'), 128);
  } finally {
    rmSync(dir, { recursive: true });
  }
  const none = readListenBacklogs(fixture('net', 'no-ipv6'));
  assert.equal(none.source, null);
  assert.equal(none.backlogs.size, 0);
  assert.equal(none.report.status, 'absent');
  assert.match(none.report.detail ?? '', /backlog limits of listeners are unknown/);
});

test('a broken capture fails with the ParseError, no limits', () => {
  const r = readListenBacklogs(fixture('net', 'broken'));
  assert.equal(r.source, null);
  assert.equal(r.report.status, 'failed');
  assert.match(r.report.detail ?? '', /tcp-listen\.bin:2: message length 124 runs past/);
});

test('the native addon is built and reports kernel errors with their errno name', () => {
  const addon = loadNativeAddon();
  assert.throws(() => addon.inetDiagDump(99, 6, 1 << 10), (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && e.errno === -22);
  assert.throws(() => (addon.inetDiagDump as unknown as (a: number) => Buffer)(2), TypeError);
  assert.throws(() => loadNativeAddon('/nonexistent/sockdoc_native.node'), /Cannot find module/);
});

test('live fallback chain: no addon -> ss; no addon and no ss -> unknown, with the reasons', () => {
  const mod = new URL('./sock-diag.js', import.meta.url).href;
  const script = `const m = await import(${JSON.stringify(mod)});
    const r = m.readListenBacklogs('/', { addonPath: '/nonexistent/sockdoc_native.node' });
    console.log(JSON.stringify({ source: r.source, report: r.report, n: r.backlogs.size }));`;
  const run = (env: NodeJS.ProcessEnv) => {
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout);
  };
  const withSs = run(process.env);
  assert.equal(withSs.source, 'ss');
  assert.equal(withSs.report.status, 'ok');
  assert.match(withSs.report.detail, /^native sock_diag module not built \(\/nonexistent\/sockdoc_native\.node missing\); used ss instead$/);
  const without = run({ ...process.env, PATH: '/nonexistent' });
  assert.equal(without.source, null);
  assert.equal(without.n, 0);
  assert.equal(without.report.status, 'absent');
  assert.match(without.report.detail, /unknown: native sock_diag module not built .*; ss is not installed \(package iproute2\)$/);
});

test('live: listen(511) under somaxconn 128 -> sock_diag says 128, and ss agrees', { skip: notRoot }, async () => {
  const ns = uniqueName('sdtest');
  const inNs = (...cmd: string[]) => ['netns', 'exec', ns, ...cmd];
  execFileSync('ip', ['netns', 'add', ns]);
  let server: ReturnType<typeof spawn> | undefined;
  try {
    execFileSync('ip', inNs('ip', 'link', 'set', 'lo', 'up'));
    execFileSync('ip', inNs('sysctl', '-qw', 'net.core.somaxconn=128'));
    const listen = `require('net').createServer().listen({ host: '127.0.0.1', port: 9511, backlog: 511 }, () => console.log('ready'))`;
    server = spawn('ip', inNs(process.execPath, '-e', listen), { stdio: ['ignore', 'pipe', 'inherit'] });
    const [chunk] = (await once(server.stdout!, 'data', { signal: AbortSignal.timeout(10_000) })) as [Buffer];
    assert.match(chunk.toString(), /ready/);

    const url = (f: string) => JSON.stringify(new URL(f, import.meta.url).href);
    const probe = `const sd = await import(${url('./sock-diag.js')});
      const nt = await import(${url('./net-tcp.js')});
      const ss = await import(${url('./ss-listen.js')});
      const live = sd.readListenBacklogs('/');
      console.log(JSON.stringify({
        source: live.source,
        backlogs: [...live.backlogs],
        ss: [...sd.backlogsFromSs(ss.runSsListen())],
        listeners: nt.readNetTcp('/').table.toArray().filter((s) => s.state === 'LISTEN'),
      }));`;
    const out = JSON.parse(execFileSync('ip', inNs(process.execPath, '--input-type=module', '-e', probe), { encoding: 'utf8' }));
    assert.equal(out.listeners.length, 1);
    const l = out.listeners[0];
    const key = listenerKey(4, '127.0.0.1', 9511, l.inode);
    assert.equal(out.source, 'sock_diag');
    assert.deepEqual(out.backlogs, [[key, 128]]);
    assert.equal(new Map<string, number>(out.ss).get(key), 128);
  } finally {
    if (server && server.exitCode === null) {
      server.kill();
      await once(server, 'exit');
    }
    execFileSync('ip', ['netns', 'del', ns]);
  }
});

/**
 * readLiveNetns skips the sock_diag dump of a namespace whose sockstat says no TCP socket is in use
 * and none is in TIME_WAIT (native/netns.c tcp_nothing_in_use: each dump walks the host's shared
 * established hash), and reads nothing but that sockstat of one with no socket at all (`empty`:
 * "sockets: used 0" too). It must still list what `ss -tan` lists in namespaces holding only an IPv6
 * listener (counted in sockstat6, not sockstat) or only a TIME_WAIT socket (no process left, not in
 * "sockets: used"), and read a namespace holding only a unix-domain listener whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { readLiveNetns } from './netns-read.js';
import { uniqueName } from '../testing/unique.js';

const asRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v python3 && command -v ss'], { stdio: 'ignore' }).status === 0;
const skip = !asRoot ? 'needs root: creates network namespaces' : !hasTools ? 'needs ip, python3, ss' : false;

function run(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const V6_LISTENER = "import socket,time; s=socket.socket(socket.AF_INET6); s.setsockopt(41, 26, 1); s.bind(('::1', 7200)); s.listen(); print('up', flush=True); time.sleep(60)";
const UNIX_LISTENER = "import socket,time; s=socket.socket(socket.AF_UNIX); s.bind('\\0sockdoc-empty-test'); s.listen(); print('up', flush=True); time.sleep(60)";
const TIME_WAIT = "import socket; s=socket.socket(); s.bind(('127.0.0.1', 7100)); s.listen(); c=socket.create_connection(('127.0.0.1', 7100)); a,_=s.accept(); c.close(); a.recv(1); a.close(); s.close()";

function hold(netns: string, script: string, held: ChildProcess[]): Promise<void> {
  const p = spawn('ip', ['netns', 'exec', netns, 'python3', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  held.push(p);
  return new Promise<void>((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (code) => reject(new Error(`the holder in ${netns} exited (${code})`)));
  });
}

test('namespaces with nothing in use are not dumped, yet an IPv6-only listener and a lone TIME_WAIT are listed', { skip, timeout: 60_000 }, async () => {
  const names = ['empty', 'v6', 'tw', 'unix'].map((n) => uniqueName(`sockdoc-ss-${n}`));
  const held: ChildProcess[] = [];
  try {
    for (const n of names) {
      run(['ip', 'netns', 'add', n]);
      run(['ip', 'netns', 'exec', n, 'ip', 'link', 'set', 'lo', 'up']);
    }
    await hold(names[1], V6_LISTENER, held);
    await hold(names[3], UNIX_LISTENER, held);
    run(['ip', 'netns', 'exec', names[2], 'python3', '-c', TIME_WAIT]);
    const targets = names.map((n) => ({ inode: statSync(`/run/netns/${n}`).ino, pids: [], namedPath: `/run/netns/${n}`, label: `netns ${n}` }));
    const read = await readLiveNetns(targets);
    const got = read.map((d) => d.table.toArray().map((s) => `${s.state} ${s.localAddress}:${s.localPort}`).sort());
    const ss = names.map((n) =>
      run(['ip', 'netns', 'exec', n, 'ss', '-tanH'])
        .split('\n')
        .filter(Boolean).length,
    );
    assert.deepEqual(got[0], []);
    assert.deepEqual(got[1], ['LISTEN ::1:7200']);
    assert.ok(got[2].includes('TIME_WAIT 127.0.0.1:' + got[2].find((x) => x.startsWith('TIME_WAIT'))!.split(':').pop()), got[2].join(', '));
    assert.deepEqual(got[3], []);
    assert.deepEqual(got.map((g) => g.length), ss, 'the same count as ss -tan in each namespace');
    for (const d of read) {
      assert.equal(d.socketSource, 'sock_diag');
      assert.equal(d.partial, false, d.notes.join(' '));
    }
    // No socket at all: only its sockstat was read; nothing unknown is reported as failed.
    assert.equal(read[0].empty, true);
    assert.equal(read[0].tunables['net.core.somaxconn'], null);
    assert.equal(read[0].counters, null);
    assert.deepEqual(read[0].reports, []);
    assert.equal(read[0].unix.source, 'unix_diag');
    // Holding a socket of any kind (a TIME_WAIT, which "sockets: used" does not count, included): read whole.
    for (const d of read.slice(1)) {
      assert.ok(!d.empty, `${d.inode} holds a socket`);
      assert.ok(d.tunables['net.core.somaxconn'] !== null, 'the files are still read inside an undumped namespace');
      assert.ok(d.counters && d.counters['TcpExt.ListenOverflows'] !== undefined);
    }
    assert.deepEqual(read[3].unix.listening.map((u) => u.name), ['@sockdoc-empty-test']);
  } finally {
    for (const p of held) p.kill('SIGKILL');
    for (const n of names) spawnSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
  }
});

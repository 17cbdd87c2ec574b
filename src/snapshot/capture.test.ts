import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureHost, withAncestors } from './capture.js';
import { buildSnapshot } from './build.js';
import { fixture } from '../testing/paths.js';
import { readUnitLimit, systemScope } from '../provenance/systemd.js';
import { builtinDefault } from '../provenance/systemd-defaults.js';

test('withAncestors follows ppid up to pid 1 in a captured tree', () => {
  // limits/shell-ulimit: server 6020 <- bash 6010 <- 1
  const root = fixture('limits', 'shell-ulimit');
  const chain = withAncestors(root, [6020]);
  assert.deepEqual(chain, [1, 6010, 6020]);
  assert.deepEqual(withAncestors(root, [6020, 6010]), [1, 6010, 6020], 'shared ancestors once');
});

test('capture of one live process takes its ancestors and its fd links; --root reads it back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-capture-'));
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const r = captureHost(join(dir, 'tree'), { pids: [child.pid!], now: new Date('2026-11-30T03:00:00Z') });
    assert.ok(r.pids.includes(child.pid!));
    assert.ok(r.pids.includes(process.pid), 'the parent (this test) is captured too');
    const fd0 = join(dir, 'tree', 'proc', String(child.pid), 'fd', '0');
    assert.equal(readlinkSync(fd0), '/dev/null');
    assert.ok(existsSync(join(dir, 'tree', 'proc', 'net', 'tcp')));
    const snap = await buildSnapshot({ root: join(dir, 'tree'), intervalMs: 0 });
    const p = snap.processes.find((x) => x.pid === child.pid);
    assert.equal(p?.name, 'sleep');
    assert.equal(p?.ppid, process.pid);
    // The capture's own time, not the time it is read back.
    assert.equal(snap.host.capturedAt, '2026-11-30T03:00:00.000Z');
    assert.notEqual(snap.host.takenAt, snap.host.capturedAt);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('capture records what the conntrack, port, TCP memory and softnet rules read; --root reads them back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-capture-'));
  try {
    captureHost(join(dir, 'tree'), { pids: [process.pid] });
    const snap = await buildSnapshot({ root: join(dir, 'tree'), intervalMs: 0 });
    const live = await buildSnapshot({ root: '/', intervalMs: 0, pids: [process.pid] });
    assert.ok(snap.sockstat, 'sockstat read back');
    assert.ok(snap.softnet && snap.softnet.cpus.length === live.softnet?.cpus.length, 'softnet_stat read back, one row per CPU');
    assert.deepEqual(snap.tunables['net.ipv4.tcp_mem'], live.tunables['net.ipv4.tcp_mem']);
    assert.deepEqual(snap.tunables['net.ipv4.ip_local_reserved_ports'], live.tunables['net.ipv4.ip_local_reserved_ports']);
    assert.equal(snap.tunables['net.ipv4.tcp_max_orphans'], live.tunables['net.ipv4.tcp_max_orphans']);
    // nf_conntrack may or may not be loaded: the capture mirrors the host either way.
    assert.equal(snap.conntrack === null, live.conntrack === null);
    if (live.conntrack) {
      assert.equal(snap.conntrack?.max, live.conntrack.max);
      assert.ok(snap.conntrack?.stats, 'the stat table was captured');
    }
    assert.equal(snap.softnet?.droppedDelta, null, 'one reading: no rate');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a masked unit in the tree is captured as a link to /dev/null and read back as masked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-capture-'));
  try {
    const r = captureHost(join(dir, 'tree'), { root: fixture('limits', 'systemd-masked'), pids: [815] });
    assert.deepEqual(r.problems, []);
    assert.ok(r.masked.includes('/etc/systemd/system/api.service'), r.masked.join(' '));
    assert.equal(readlinkSync(join(dir, 'tree', 'etc/systemd/system/api.service')), '/dev/null');
    const u = readUnitLimit(join(dir, 'tree'), 'api.service', systemScope(builtinDefault(252, 1048576)));
    assert.deepEqual(u.masked, { file: '/etc/systemd/system/api.service', how: 'link' });
    assert.equal(u.fragment, '/lib/systemd/system/api.service', 'the file behind the mask is captured too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

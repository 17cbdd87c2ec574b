import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { hiddenByProcMount, parseProcMount } from './proc-mount.js';
import { repoRoot } from '../testing/paths.js';
import { join } from 'node:path';

// Real lines from this machine: the host's /proc, then one mounted on top in a private mount namespace.
const STACKED = '51 49 0:20 / /proc rw,relatime - proc proc rw\n78 51 0:39 / /proc rw,relatime - proc proc rw,gid=4,hidepid=invisible\n';

test('the topmost /proc mount gives hidepid and gid', () => {
  assert.deepEqual(parseProcMount(STACKED), { hidepid: 'invisible', gid: 4, subset: null });
  assert.deepEqual(parseProcMount(STACKED.split('\n')[0]), { hidepid: null, gid: null, subset: null });
  assert.equal(parseProcMount('25 1 0:22 / /sys rw - sysfs sysfs rw\n'), null);
});

test('hidden: only for a non-root reader outside the gid= group, and only when hidepid is on', () => {
  const m = parseProcMount(STACKED);
  assert.equal(hiddenByProcMount(m, { uid: 0, groups: [] }), null);
  assert.equal(hiddenByProcMount(m, { uid: 1000, groups: [4] }), null);
  assert.match(hiddenByProcMount(m, { uid: 1000, groups: [100] }) ?? '', /^\/proc is mounted with hidepid=invisible: other users' processes are invisible to uid 1000.*or in group 4/);
  assert.match(hiddenByProcMount({ hidepid: '1', gid: null, subset: null }, { uid: 5, groups: [] }) ?? '', /cannot be read/);
  assert.equal(hiddenByProcMount({ hidepid: 'off', gid: null, subset: null }, { uid: 5, groups: [] }), null);
});

test('property: any bytes parse without throwing, and a gid is a 32-bit number or null', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 40 }), (junk, opts) => {
      const m = parseProcMount(`${junk}\n1 2 0:3 / /proc rw - proc proc ${opts}\n${junk}`);
      return m !== null && (m.gid === null || (Number.isInteger(m.gid) && m.gid >= 0 && m.gid <= 0xffffffff));
    }),
    { numRuns: 500 },
  );
});

const isRoot = process.getuid?.() === 0;

test('live: as nobody under a /proc mounted with hidepid=2 (private mount namespace) the report is partial and says why', { skip: isRoot ? false : 'needs root: unshare -m, mount' }, () => {
  const main = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t proc -o hidepid=2 proc /proc && exec setpriv --reuid=nobody --regid=nogroup --clear-groups "$0" "$1" --json --interval 0', process.execPath, main],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(r.error, undefined);
  const d = JSON.parse(r.stdout) as { partial: boolean; notes: string[]; processes: Array<{ uid: number }>; probes: Array<{ probe: string; status: string }> };
  assert.equal(d.partial, true);
  assert.equal(d.probes.find((p) => p.probe === 'proc-mount')?.status, 'partial');
  assert.ok(d.notes.some((n) => /^\/proc is mounted with hidepid=(2|invisible): other users' processes are invisible to uid 65534/.test(n)), d.notes.join(' | '));
  assert.ok(d.processes.every((p) => p.uid === 65534), 'only nobody\'s own processes are seen');
});

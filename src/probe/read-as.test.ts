/**
 * Reading with a process owner's rights (read-file.ts Identity): the kernel's order of owner, group
 * (primary or supplementary) and other bits, a search bit on every directory of the path, links
 * resolved component by component (each link's directory searched too), and the check made again on
 * what was opened. Made under a temporary directory with real owners and modes (chown needs root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controllerOf, readUnder, RefusedRead, type Identity } from './read-file.js';
import { identityOf, parsePidStatus } from './pid-status.js';

const isRoot = process.getuid?.() === 0;
const U = 4242;
const as = (uid: number, gid: number, groups: number[] = []): Identity => ({ uid, gid, groups, label: `uid ${uid}` });

function refused(fn: () => unknown, why: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof RefusedRead && err.code === 'ENOTYOURS' && why.test(err.message));
}

test('identityOf: the fs uid/gid and supplementary groups of /proc/PID/status; root is null', () => {
  const st = parsePidStatus('Uid:\t1000\t1000\t1000\t1001\nGid:\t50\t50\t50\t51\nGroups:\t4 24 27 \n');
  assert.deepEqual(identityOf(9, st), { uid: 1001, gid: 51, groups: [4, 24, 27], label: 'uid 1001 (owner of pid 9)' });
  assert.equal(identityOf(9, parsePidStatus('Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n')), null);
  assert.deepEqual(identityOf(3, parsePidStatus('Uid:\t7\t7\t7\t7\nGroups:\n'))?.groups, []);
});

test('read as a uid: owner, group (primary and supplementary) and other bits, every directory searched, links followed component by component', { skip: isRoot ? false : 'needs root (chown)' }, () => {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-readas-'));
  try {
    chmodSync(top, 0o755);
    const f = (name: string, mode: number, uid = 0, gid = 0) => {
      const p = join(top, name);
      writeFileSync(p, `${name}\n`);
      chownSync(p, uid, gid);
      chmodSync(p, mode);
      return name;
    };
    f('world.conf', 0o644);
    f('root600.conf', 0o600);
    f('own600.conf', 0o600, U, U);
    f('own-noread.conf', 0o044, U, 0); // owner bits win: the owner cannot read though others can
    f('group.conf', 0o640, 0, 77);
    mkdirSync(join(top, 'vault'), { mode: 0o700 });
    f('vault/open.conf', 0o644);
    mkdirSync(join(top, 'gdir'), { mode: 0o710 });
    chownSync(join(top, 'gdir'), 0, 77);
    f('gdir/in.conf', 0o644);
    symlinkSync('root600.conf', join(top, 'to-root600')); // links relative: under a root, an absolute one restarts at it
    symlinkSync('vault/open.conf', join(top, 'to-vault'));
    symlinkSync('/world.conf', join(top, 'to-world'));
    symlinkSync('to-root600', join(top, 'chain'));
    const u = as(U, U);
    const read = (rel: string, who: Identity | null) => readUnder(top, rel, 'config', who);
    assert.equal(read('world.conf', u), 'world.conf\n');
    assert.equal(read('own600.conf', u), 'own600.conf\n', 'its own 0600 file');
    assert.equal(read('to-world', u), 'world.conf\n', 'a link to a file it can read');
    refused(() => read('root600.conf', u), /uid 4242 cannot read it \(mode 0600, owner uid 0, group 0\)/);
    refused(() => read('own-noread.conf', u), /cannot read it/);
    refused(() => read('group.conf', u), /cannot read it/);
    assert.equal(read('group.conf', as(U, 77)), 'group.conf\n', 'by its primary group');
    assert.equal(read('group.conf', as(U, U, [12, 77])), 'group.conf\n', 'by a supplementary group');
    refused(() => read('vault/open.conf', u), /cannot search .*vault \(mode 0700/);
    refused(() => read('to-vault', u), /cannot search .*vault/);
    refused(() => read('to-root600', u), /cannot read it/);
    refused(() => read('chain', u), /cannot read it/);
    assert.equal(read('gdir/in.conf', as(U, U, [77])), 'gdir/in.conf\n', 'a directory searchable by its group');
    refused(() => read('gdir/in.conf', u), /cannot search .*gdir/);
    // Root (null, or uid 0) reads as before.
    assert.equal(read('vault/open.conf', null), 'vault/open.conf\n');
    assert.equal(read('root600.conf', as(0, 0)), 'root600.conf\n');
    // Who controls a path: a link or directory of another uid on its way.
    assert.equal(controllerOf(top, 'world.conf'), null);
    symlinkSync('own600.conf', join(top, 'to-own'));
    assert.deepEqual(controllerOf(top, 'to-own'), { uid: U, path: join(top, 'own600.conf') });
    mkdirSync(join(top, 'home'));
    chownSync(join(top, 'home'), U, U);
    symlinkSync('../root600.conf', join(top, 'home', 'x.service'));
    symlinkSync('/home/x.service', join(top, 'linked.service'));
    assert.deepEqual(controllerOf(top, 'linked.service'), { uid: U, path: join(top, 'home') }, 'a root link into a user\'s directory');
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

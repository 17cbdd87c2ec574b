/**
 * The namespace plan reads every process's /proc/PID/ns/net on the addon's threads (native/procread.c
 * pidNetns); a capture and a host without the addon read them through the confined reader. Both
 * must say the same of each pid: its namespace, refused, or gone. Judged only on pids this test
 * made (and its own): the host's other processes come and go between two reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { discoverPidNetns, nativePidNetns, readPidNetns } from './netns.js';

const asRoot = process.geteuid?.() === 0;
const native = nativePidNetns('/');
const skip = !asRoot ? 'needs root (a process in a network namespace of its own)' : native === null ? 'the addon is not built' : false;

function started(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
}

test('the addon and the confined reader: the same namespace, refusal or absence for each pid', { skip }, async (t) => {
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  const inNew = spawn('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' });
  children.push(inNew);
  const newStarted = started(inNew);
  const here = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(here);
  const [newPid, herePid] = await Promise.all([newStarted, started(here)]);
  const own = readPidNetns('/', 'self').inode;
  // unshare execs sleep after unshare(2): wait (bounded) until its namespace is the new one.
  for (let i = 0; i < 100 && (readPidNetns('/', newPid).inode ?? own) === own; i++) await new Promise((r) => setTimeout(r, 20));
  const gone = spawnSync('true').pid!; // exited: its pid names nothing (reuse within the test is not expected)
  const pids = [process.pid, newPid, herePid, gone, 0x7ffffff0];
  const viaAddon = discoverPidNetns('/', pids, native);
  const viaReader = discoverPidNetns('/', pids, null);
  assert.deepEqual(viaAddon, viaReader);
  assert.equal(viaAddon.byPid.get(process.pid), own);
  assert.equal(viaAddon.byPid.get(herePid), own);
  assert.ok(viaAddon.byPid.get(newPid) !== undefined && viaAddon.byPid.get(newPid) !== own, 'the unshared process is in another namespace');
  assert.ok(!viaAddon.byPid.has(gone) && !viaAddon.denied.includes(gone), 'a gone pid is neither');

  // As nobody, root's processes refuse the link (ptrace access check): refused, said by both alike.
  const netns = fileURLToPath(new URL('./netns.js', import.meta.url));
  const script = `const m = await import(${JSON.stringify(netns)}); const pids = ${JSON.stringify(pids)};` +
    `const a = m.discoverPidNetns('/', pids, m.nativePidNetns('/')); const b = m.discoverPidNetns('/', pids, null);` +
    `console.log(JSON.stringify([[...a.byPid], a.denied, [...b.byPid], b.denied]));`;
  const nobody = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 30_000 });
  assert.equal(nobody.status, 0, nobody.stderr);
  const [addonPids, addonDenied, readerPids, readerDenied] = JSON.parse(nobody.stdout) as [Array<[number, number]>, number[], Array<[number, number]>, number[]];
  assert.deepEqual([addonPids, addonDenied], [readerPids, readerDenied]);
  assert.deepEqual(addonDenied, [process.pid, newPid, herePid], "root's processes refuse nobody");
});

test('the addon: no pid, an empty answer; pid 0 or negative, ENOENT', { skip: native === null ? 'the addon is not built' : false }, () => {
  assert.equal(native!(new Int32Array(0)).length, 0, 'no pid: an empty answer');
  assert.deepEqual([...native!(Int32Array.from([0, -1]))], [-2, -2], 'no such pid: ENOENT');
});

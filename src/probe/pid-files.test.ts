import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { loadNativeAddon } from './native.js';
import { PID_FILE_LINES, PID_FILES, pidFilesHere, startPidFiles } from './pid-files.js';
import { parsePidStatus } from './pid-status.js';
import { nofile, parsePidLimits } from './pid-limits.js';
import { readProcesses, readProcessesWhile } from './processes.js';
import { procTree } from '../testing/proc-capture.js';

/** The texts a file gives twice alike (stat's counters move while a process runs). */
const STABLE = ['status', 'cmdline', 'limits'] as const;

test('the addon reads the per-process files (npm run build builds it; CI must not test the fallback only)', () => {
  assert.equal(typeof loadNativeAddon().procFilesAsync, 'function');
});

test('live: the addon\'s texts are the confined reader\'s, a gone pid throws ENOENT with its path, a capture root is read here', async () => {
  // A sleeping child: its status, cmdline and limits do not change between the two reads.
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await once(child, 'spawn');
  try {
    const pid = child.pid!;
    const gone = 4_194_304; // PID_MAX_LIMIT: never a live pid
    const files = await startPidFiles('/', [pid, gone]);
    assert.ok(files && files.ms !== null, 'read by the addon');
    const here = pidFilesHere('/');
    // The lines the scan reads, as the confined reader gives them (the addon keeps only those).
    const kept = (f: (typeof STABLE)[number], text: string) => {
      const prefixes = PID_FILE_LINES[f];
      return prefixes ? text.split(/(?<=\n)/).filter((l) => prefixes.some((p) => l.startsWith(p))).join('') : text;
    };
    for (const f of STABLE) assert.equal(files.text(pid, f), kept(f, here.text(pid, f)), f);
    assert.equal(files.text(pid, 'status').split('\n').length, 2 + Number(here.text(pid, 'status').includes('\nKthread:')), 'status: Uid (and Kthread) only');
    const status = parsePidStatus(files.text(pid, 'status'));
    const whole = parsePidStatus(here.text(pid, 'status'));
    assert.deepEqual([status.uid, status.euid, status.kthread], [whole.uid, whole.euid, whole.kthread]);
    assert.deepEqual(nofile(parsePidLimits(files.text(pid, 'limits'))), nofile(parsePidLimits(here.text(pid, 'limits'))));
    assert.equal(files.text(pid, 'stat').split(' ')[0], String(pid));
    for (const f of PID_FILES) {
      assert.throws(() => files.text(gone, f), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.path === `/proc/${gone}/${f}`);
    }
    // A pid it was not asked about is read here, as before.
    assert.equal(files.text(process.pid, 'cmdline'), here.text(process.pid, 'cmdline'));
    assert.equal(startPidFiles(procTree, [pid]), null, 'a capture tree goes through the confined reader');
  } finally {
    child.kill('SIGKILL');
  }
});

test('the addon refuses a file over its cap (EFBIG), a name that is not one component, and malformed keep lists', async () => {
  const addon = loadNativeAddon();
  const r = await addon.procFilesAsync!('/proc', Int32Array.from([process.pid]), ['status', 'stat'], 64, [null, null]);
  assert.deepEqual([r.index[1], r.index[3]], [-27, -27]);
  const pid1 = Int32Array.from([1]);
  assert.throws(() => addon.procFilesAsync!('/proc', pid1, ['../1/status'], 4096, [null]), TypeError);
  assert.throws(() => addon.procFilesAsync!('/proc', pid1, ['..'], 4096, [null]), TypeError);
  assert.throws(() => addon.procFilesAsync!('/proc', pid1, [], 4096, []), TypeError);
  assert.throws(() => addon.procFilesAsync!('/proc', pid1, ['status'], 4096, [['']]), TypeError, 'an empty prefix keeps everything: refused');
  assert.throws(() => addon.procFilesAsync!('/proc', pid1, ['status'], 4096, []), TypeError, 'one keep entry per file');
});

test('live: a scan with the files read ahead equals the scan read one by one', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await once(child, 'spawn');
  try {
    const pids = [child.pid!];
    const one = readProcesses('/', { pids, fdWalk: 'js' }).processes;
    const ahead = (await readProcessesWhile('/', { pids, fdWalk: 'native' }, () => 0)).scan.processes;
    // The state letter may move (a sleeping process is S; woken for a moment, R).
    const settled = (ps: typeof one) => ps.map((p) => ({ ...p, state: '' }));
    assert.deepEqual(settled(ahead), settled(one));
    assert.equal(ahead[0].name, 'sleep');
  } finally {
    child.kill('SIGKILL');
  }
});

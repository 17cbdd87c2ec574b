import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURE_WINDOW, formatCaptureWindow, parseCaptureWindow, readCaptureWindow } from './capture-window.js';
import type { WindowStart } from '../snapshot/types.js';

const start: WindowStart = {
  byNetns: new Map([
    [4026531840, { counters: { 'TcpExt.ListenOverflows': 3, 'Tcp.MaxConn': -1 }, closeWait: new Set([41623, 512]), listenerDrops: new Map([[41601, 12], [41600, 0]]) }],
    [4026532451, { counters: null, closeWait: null }],
  ]),
};

test('formatCaptureWindow / parseCaptureWindow: every namespace, its counters and CLOSE_WAIT inodes, round-trip', () => {
  const back = parseCaptureWindow(formatCaptureWindow(start, 2000));
  assert.equal(back.intervalMs, 2000);
  assert.deepEqual([...back.start.byNetns.keys()], [4026531840, 4026532451]);
  assert.deepEqual(back.start.byNetns.get(4026531840), { counters: { 'TcpExt.ListenOverflows': 3, 'Tcp.MaxConn': -1 }, closeWait: new Set([512, 41623]), listenerDrops: new Map([[41600, 0], [41601, 12]]) });
  // Drops not read at the start are written as null: "not read", not "made before they were recorded".
  assert.deepEqual(back.start.byNetns.get(4026532451), { counters: null, closeWait: null, listenerDrops: null });
  assert.equal(back.listenerDrops, true);
  // A file from before listener drops were recorded: parsed, and says it has none.
  const old = parseCaptureWindow('{"format":1,"intervalMs":1000,"netns":[{"inode":1,"counters":null,"closeWait":null}]}');
  assert.equal(old.listenerDrops, false);
  assert.equal(old.start.byNetns.get(1)!.listenerDrops, undefined);
});

test('parseCaptureWindow: a stranger\'s file that is not exactly the shape is refused whole, saying why', () => {
  const bad: Array<[string, RegExp]> = [
    ['[]', /format 1/],
    ['{"format":2,"intervalMs":1000,"netns":[]}', /format 1/],
    ['{"format":1,"intervalMs":0,"netns":[]}', /window length/],
    ['{"format":1,"intervalMs":99999999,"netns":[]}', /window length/],
    ['{"format":1,"intervalMs":1000,"netns":{}}', /not a list/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1,"counters":null,"closeWait":null,"listenerDrops":[[0,1]]}]}', /\[inode, drops\]/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1,"counters":null,"closeWait":null,"listenerDrops":[[5,-1]]}]}', /\[inode, drops\]/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1,"counters":null,"closeWait":null,"listenerDrops":[[5,1],[5,2]]}]}', /appears twice/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1,"counters":null,"closeWait":null,"listenerDrops":{}}]}', /not a list/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":"1"}]}', /no inode/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1},{"inode":1}]}', /twice/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1,"counters":{"__proto__.x":1}}]}', /not a counter/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1,"counters":{"TcpExt.X":1e300}}]}', /not a counter/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1,"closeWait":[0]}]}', /list of inodes/],
    ['{"format":1,"intervalMs":1000,"netns":[{"inode":1,"closeWait":["7"]}]}', /list of inodes/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseCaptureWindow(text), why, text);
});

test('readCaptureWindow: absent is null, damaged is refused with a reason, a link out of the tree is never followed', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-cw-'));
  try {
    assert.equal(readCaptureWindow(root), null);
    writeFileSync(join(root, CAPTURE_WINDOW), '{"format":1,');
    assert.ok('refused' in (readCaptureWindow(root) as object));
    rmSync(join(root, CAPTURE_WINDOW));
    // Resolved inside the tree (ROOT/etc/hostname, absent), never the host's own file.
    symlinkSync('/etc/hostname', join(root, CAPTURE_WINDOW));
    assert.equal(readCaptureWindow(root), null);
    rmSync(join(root, CAPTURE_WINDOW));
    writeFileSync(join(root, CAPTURE_WINDOW), formatCaptureWindow(start, 1000));
    assert.equal((readCaptureWindow(root) as { intervalMs: number }).intervalMs, 1000);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

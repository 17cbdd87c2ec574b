import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPidName, listPids } from './pids.js';
import { loadProcCapture, procTree } from '../testing/proc-capture.js';

test('listPids returns the numeric entries of ROOT/proc, ascending', () => {
  const c = loadProcCapture();
  const expected = [2, c.kworker, c.server.pid, c.comm.pid, c.nobody.pid, c.nofd, c.badstat, c.nolimit].sort((a, b) => a - b);
  assert.deepEqual(listPids(procTree), expected);
});

test('isPidName accepts decimal pids only', () => {
  for (const name of ['1', '42', '4194304']) assert.equal(isPidName(name), true, name);
  for (const name of ['', 'self', 'thread-self', 'net', '0', '012', '1a', '-1', '12345678901']) assert.equal(isPidName(name), false, name);
});

test('listPids on the live host includes pid 1 and this process', () => {
  const pids = listPids('/');
  assert.ok(pids.includes(1));
  assert.ok(pids.includes(process.pid));
});

test('listPids throws ENOENT when ROOT has no proc', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-pids-'));
  try {
    assert.throws(() => listPids(root), { code: 'ENOENT' });
  } finally {
    rmSync(root, { recursive: true });
  }
});

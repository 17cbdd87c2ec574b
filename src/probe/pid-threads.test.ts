import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPidThreads } from './pid-threads.js';

/** A tree with process 40 and its threads, each with the state letter given. */
function tree(states: Record<number, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-threads-'));
  for (const [tid, st] of Object.entries(states)) {
    mkdirSync(join(root, 'proc', '40', 'task', tid), { recursive: true });
    // comm with a space and a parenthesis: the state is found after the last ')'.
    writeFileSync(join(root, 'proc', '40', 'task', tid, 'stat'), `${tid} (java (x)) ${st} 1 40 40 0 -1 4194560 ${'0 '.repeat(14)}12345 0 0\n`);
  }
  return root;
}

test('thread states are counted per letter; the count is bounded', () => {
  const root = tree({ 40: 'S', 41: 'R', 42: 'R', 43: 'D', 44: 'R' });
  try {
    assert.deepEqual(readPidThreads(root, 40), { total: 5, byState: { S: 1, R: 3, D: 1 }, truncated: false });
    assert.deepEqual(readPidThreads(root, 40, 2), { total: 2, byState: { S: 1, R: 1 }, truncated: true });
    assert.throws(() => readPidThreads(root, 41), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the live host: this process has threads, at least one of them running (this one)', () => {
  const t = readPidThreads('/', process.pid);
  assert.ok(t.total >= 1);
  assert.ok((t.byState.R ?? 0) >= 1, JSON.stringify(t.byState));
});

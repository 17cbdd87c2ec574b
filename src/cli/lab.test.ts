import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from './lab.js';
import type { Io } from './io.js';

function io(): Io & { out: string[] } {
  const out: string[] = [];
  return { out, stdout: (t) => void out.push(t), stderr: (t) => void out.push(t), env: {}, isTTY: false, stderrIsTTY: false, columns: 100 };
}

test('lab list prints every scenario with what it proves', async () => {
  const o = io();
  assert.equal(await run(['list'], o), 0);
  const text = o.out.join('');
  for (const name of ['accept-queue', 'slow-accept', 'emfile', 'close-wait-leak', 'fd-leak', 'healthy']) assert.match(text, new RegExp(`^  ${name} `, 'm'));
  assert.match(text, /flags: --abort-on-overflow/);
});

test('lab refuses what it cannot run with a one-line usage error', async () => {
  await assert.rejects(run([], io()), { name: 'UsageError', message: /which scenario/ });
  await assert.rejects(run(['no-such'], io()), { name: 'UsageError', message: /unknown scenario 'no-such'/ });
  await assert.rejects(run(['healthy', '--abort-on-overflow'], io()), { name: 'UsageError', message: /applies to: accept-queue/ });
  await assert.rejects(run(['healthy', '--bogus'], io()), { name: 'UsageError' });
  await assert.rejects(run(['healthy', '--inside', '--mode', 'sideways'], io()), { name: 'UsageError', message: /--mode must be netns or host/ });
});

test('lab --help exits 0', async () => {
  const o = io();
  assert.equal(await run(['--help'], o), 0);
  assert.match(o.out.join(''), /^Usage: sockdoc lab list/);
});

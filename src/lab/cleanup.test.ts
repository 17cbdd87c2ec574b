/**
 * Whatever ends a run — Ctrl-C, kill, a closed terminal, Ctrl-\\, the hard time limit — no lab namespace and no lab process may be
 * left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findScenario } from './scenarios/index.js';
import { startLab } from './outer.js';
import { labEntry, namespacesOf, processesOf, startLabProcess } from './testing.js';
import type { LabEvent } from './types.js';

const asRoot = process.getuid?.() === 0;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// 128 + the signal number, and the same cleanup for each: a closed terminal (SIGHUP) and Ctrl-\\ (SIGQUIT)
// once left the namespace behind.
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129], ['SIGQUIT', 131]] as const) {
  test(`${signal} in the middle of accept-queue: exit ${code}, nothing left behind`, async () => {
    const lab = startLabProcess(['accept-queue', '--no-color']);
    const pid = lab.child.pid!;
    // Wait until the story is under way (the header is printed once the inner runs), then a bit more.
    for (let i = 0; i < 100 && !/sockdoc-lab-\d+[.-]/.test(lab.stdout()); i++) await sleep(50);
    await sleep(800);
    if (asRoot) assert.equal(namespacesOf(pid).length, 1, 'the run should have its namespace while it runs');
    assert.ok(processesOf(pid).length >= 2, 'the inner and its peers should be running');
    lab.child.kill(signal);
    const done = await lab.finished;
    assert.equal(done.code, code, done.stdout + done.stderr);
    assert.match(done.stdout, /accept-queue: interrupted/);
    assert.deepEqual(namespacesOf(pid), []);
    assert.deepEqual(processesOf(pid), []);
  });
}

test('the hard time limit kills the run and cleans up', async () => {
  // The scenario needs ~7 s on an idle 2-core machine and longer under load: 3.5 s leaves the inner
  // time to start on a loaded CI machine and still stops it mid-run.
  const scenario = findScenario('accept-queue')!;
  const events: LabEvent[] = [];
  const run = startLab({ scenario, options: { abortOnOverflow: false }, entry: labEntry, onEvent: (e) => events.push(e), timeoutMs: 3500 });
  const result = await run.done;
  assert.equal(result.ok, false);
  assert.equal(result.interrupted, false);
  assert.match(result.differences[0], /did not finish within 3.5 s/);
  assert.ok(events.some((e) => e.type === 'begin'), 'the inner had started');
  assert.deepEqual(namespacesOf(process.pid), []);
  assert.deepEqual(processesOf(process.pid), []);
});

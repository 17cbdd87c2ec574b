/** Every process's command line in --json is redacted once per distinct (name, command line) of a report, each as alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnosisToJson } from './json.js';
import { seedDiagnosis } from './test-data.js';
import { proc } from '../testing/snapshot-builder.js';
import { redactWords } from '../snapshot/redact.js';

test('shared command lines: each process gets exactly what redacting its own would give (the name is part of the key)', () => {
  const d = seedDiagnosis();
  const secret = 'worker --password=hunter2 --queue jobs';
  const procs = [
    { ...proc({ pid: 9001, name: 'worker' }), cmdline: secret },
    { ...proc({ pid: 9002, name: 'worker' }), cmdline: secret },
    // The same line under another name: redacted for that name, not taken from the first.
    { ...proc({ pid: 9003, name: 'hunter2' }), cmdline: secret },
    { ...proc({ pid: 9004, name: 'other' }), cmdline: 'other --token abc' },
  ];
  d.snapshot.processes.push(...procs);
  const json = diagnosisToJson(d);
  for (const p of procs) {
    const shown = json.processes.find((x) => x.pid === p.pid)!;
    assert.equal(shown.cmdline, redactWords(p.cmdline, p.name).value, String(p.pid));
  }
  assert.doesNotMatch(JSON.stringify(json.processes.filter((x) => x.pid >= 9001)), /password=hunter2/);
});

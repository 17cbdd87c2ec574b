import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../rules/types.js';
import { checkFindings, checkValue, scopeFindings } from './checks.js';
import type { FindingBrief } from './types.js';

function finding(id: string, severity: Finding['severity'], subject: Finding['subject']): Finding {
  return { id, severity, subject, title: `${id} title`, evidence: {}, explain: '', fix: [] };
}

const findings: Finding[] = [
  finding('accept-queue-full', 'critical', { pid: 100, port: 8889, address: '127.0.0.1' }),
  finding('listen-overflows', 'critical', {}),
  finding('fd-limit-near', 'warning', { pid: 555, name: 'other' }),
  finding('backlog-clamped', 'info', { port: 8889, address: '127.0.0.1' }),
];

test('scopeFindings keeps the lab pids, the lab port and namespace-wide findings', () => {
  const { inScope, outOfScope } = scopeFindings(findings, { pids: [100, 101], port: 8889, mode: 'netns' });
  assert.deepEqual(
    inScope.map((f) => [f.id, f.hostWide]),
    [
      ['accept-queue-full', false],
      ['listen-overflows', true],
      ['backlog-clamped', false],
    ],
  );
  assert.equal(outOfScope, 1);
});

function briefs(mode: 'netns' | 'host'): FindingBrief[] {
  return scopeFindings(findings, { pids: [100], port: 8889, mode }).inScope;
}

test('present expectations match id, then pid and port when given', () => {
  const checks = checkFindings(
    briefs('netns'),
    { present: [{ id: 'accept-queue-full', pid: 100, port: 8889 }, { id: 'accept-queue-full', pid: 999 }, { id: 'close-wait-leak' }] },
    'netns',
  );
  assert.deepEqual(checks.map((c) => c.ok), [true, false, false]);
  assert.match(checks[1].detail ?? '', /only about pid 100 port 8889/);
  assert.match(checks[2].detail ?? '', /saw accept-queue-full@100/);
});

test('absent expectations fail with the title of what was found', () => {
  const [present, missing] = checkFindings(briefs('netns'), { absent: [{ id: 'listen-overflows' }, { id: 'fd-limit-near' }] }, 'netns');
  assert.equal(present.ok, false);
  assert.equal(present.detail, 'listen-overflows title');
  // fd-limit-near exists, but about a process outside the lab: not in scope, so absent holds.
  assert.equal(missing.ok, true);
});

test('quiet fails on any warning or critical finding, ignores info', () => {
  const [quiet] = checkFindings(briefs('netns'), { quiet: true }, 'netns');
  assert.equal(quiet.ok, false);
  assert.match(quiet.detail ?? '', /critical accept-queue-full/);
  const onlyInfo = briefs('netns').filter((f) => f.severity === 'info');
  assert.equal(checkFindings(onlyInfo, { quiet: true }, 'netns')[0].ok, true);
});

test('quiet in host mode ignores host-wide findings: they describe the whole host', () => {
  const hostWideOnly = briefs('host').filter((f) => f.hostWide);
  assert.equal(hostWideOnly.length, 1);
  assert.equal(checkFindings(hostWideOnly, { quiet: true }, 'host')[0].ok, true);
  assert.equal(checkFindings(hostWideOnly, { quiet: true }, 'netns')[0].ok, false);
});

test('checkValue fails on null and says what it saw', () => {
  assert.deepEqual(checkValue('Recv-Q is 129', 129, (n) => n === 129), { label: 'Recv-Q is 129', ok: true, detail: 'saw 129' });
  assert.deepEqual(checkValue('Recv-Q is 129', null, () => true), { label: 'Recv-Q is 129', ok: false, detail: 'saw nothing' });
});

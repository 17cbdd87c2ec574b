import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../testing/paths.js';
import { explainLimit } from '../provenance/explain.js';
import { limitOriginToJson, renderLimitOrigin, renderLimitOrigins, setAt } from './limits.js';

const seed = () => explainLimit(fixture('limits', 'systemd-builtin-seed'), 37482);

test('colour only when asked: no escape byte without it', () => {
  assert.ok(!renderLimitOrigin(seed(), { color: false, columns: 100 }).includes('\x1b['));
  assert.ok(renderLimitOrigin(seed(), { color: true, columns: 100 }).includes('\x1b[1m'));
});

test('prose lines wrap to the width; fix lines never wrap (they are pasted)', () => {
  const text = renderLimitOrigin(seed(), { color: false, columns: 60 });
  const lines = text.trimEnd().split('\n');
  const fixAt = lines.indexOf('  Fix, in order:');
  assert.ok(fixAt > 0);
  for (const l of lines.slice(1, fixAt)) assert.ok(l.length <= 60, l);
  // Step titles wrap; command and configuration lines are printed whole, however long.
  assert.ok(lines.includes('       prlimit --pid 37482 --nofile=524288:524288'));
  assert.ok(lines.includes('       systemctl edit supervisor.service   # add these two lines in the editor, save:'));
});

test('the heading names the layer; an empty list says so', () => {
  assert.equal(setAt(seed()), 'systemd, unit supervisor.service');
  assert.equal(setAt(explainLimit(fixture('limits', 'pam'), 4410)), 'pam_limits, in the login session opened by sshd (pid 4390)');
  assert.equal(renderLimitOrigins([], { color: false, columns: 80 }), 'No process to explain: no visible process holds a TCP listener or uses half of its fd limit.\nName one: sockdoc limits PID or sockdoc limits NAME.\n');
});

test('JSON leaves out unknown optional source fields', () => {
  const j = limitOriginToJson(explainLimit(fixture('limits', 'reparented'), 8800));
  assert.deepEqual(Object.keys(j.source), ['layer', 'pid', 'reason']);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenSteps, prlimitStep, proposedValue, systemdFix } from './fix.js';
import { shellCommand, shellQuote } from '../safety/shell-quote.js';

test('host words are quoted for the shell: spaces, quotes, $() and newlines cannot break out', () => {
  assert.equal(shellQuote('api.service'), 'api.service');
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote('$(reboot)'), `'$(reboot)'`);
  assert.equal(shellQuote('a\nb'), `$'a\\x0ab'`, 'a newline would end a pasted command early');
  assert.equal(shellQuote(''), `''`);
  assert.equal(shellCommand(['systemctl', 'restart', 'my app;rm -rf /.service']), `systemctl restart 'my app;rm -rf /.service'`);
  const steps = systemdFix("x'; reboot; '.service", { soft: 10, hard: 20 });
  assert.ok(steps[1].lines[1].endsWith(`restart 'x'\\''; reboot; '\\''.service'`), steps[1].lines[1]);
});

test('values never exceed fs.nr_open, also when a configuration asks for more', () => {
  assert.deepEqual(proposedValue({ soft: 1024, hard: 4096 }, { soft: 2_000_000, hard: 2_000_000 }, 1048576), { soft: 1048576, hard: 1048576 });
  assert.deepEqual(proposedValue({ soft: 900000, hard: 900000 }, undefined, 1048576), { soft: 1048576, hard: 1048576 });
});

test('flattened steps keep the order and carry cost and needs as comments', () => {
  const flat = flattenSteps([prlimitStep(7, { soft: 10, hard: 20 }, 'CAP_SYS_RESOURCE'), ...systemdFix('a.service', { soft: 10, hard: 20 })]);
  assert.match(flat[0], /^prlimit --pid 7 --nofile=10:20   # now, without a restart; lost when the process restarts; needs CAP_SYS_RESOURCE$/);
  assert.match(flat[flat.length - 1], /^systemctl restart a\.service   # this stops every process of a\.service and starts it again$/);
});

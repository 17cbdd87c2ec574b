import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseState } from './sockets.js';
import { cliPath, fixture } from '../testing/paths.js';

test('--state takes kernel names and ss names in any case', () => {
  assert.equal(parseState('CLOSE_WAIT'), 'CLOSE_WAIT');
  assert.equal(parseState('close-wait'), 'CLOSE_WAIT');
  assert.equal(parseState('estab'), 'ESTABLISHED');
  assert.equal(parseState('FIN-WAIT-1'), 'FIN_WAIT1');
  assert.equal(parseState('unconn'), 'CLOSE');
  assert.equal(parseState(undefined), undefined);
  assert.throws(() => parseState('half-open'), /unknown TCP state 'half-open'/);
});

test('sockets over a captured tree: filters by state and port, JSON rows carry owners', () => {
  const root = fixture('hosts', 'seed-close-wait');
  const r = spawnSync(process.execPath, [cliPath, 'sockets', '--root', root, '--state', 'close-wait', '--port', '8889', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ state: string; local: string; owners: unknown[]; waitingOn?: { listener: string } }>;
  assert.equal(rows.length, 129, 'the 129 CLOSE_WAIT sockets nobody accepted');
  for (const row of rows) {
    assert.equal(row.state, 'CLOSE_WAIT');
    assert.match(row.local, /^\[::ffff:127\.0\.0\.1\]:8889$/);
    assert.deepEqual(row.owners, []);
    assert.equal(row.waitingOn?.listener, '[::]:8889');
  }
});

test('sockets with a bad --state exits 3 with one line', () => {
  const r = spawnSync(process.execPath, [cliPath, 'sockets', '--state', 'bogus'], { encoding: 'utf8' });
  assert.equal(r.status, 3);
  assert.match(r.stderr.split('\n')[0], /^sockdoc: --state: unknown TCP state 'bogus'/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from './read-file.js';
import { groupsOfUser, parseGroup, parsePasswd, readGroup, readPasswd, userNames } from './passwd.js';
import { procTree } from '../testing/proc-capture.js';

test('real /etc/passwd: uid -> name', () => {
  const entries = readPasswd(procTree);
  const names = userNames(entries);
  assert.equal(names.get(0), 'root');
  assert.equal(names.get(65534), 'nobody');
  assert.equal(names.get(4242424), undefined);
  assert.deepEqual(entries.find((e) => e.name === 'postgres'), {
    name: 'postgres', uid: 101, gid: 104, home: '/var/lib/postgresql', shell: '/bin/bash',
  });
});

test('real /etc/group: gid and members', () => {
  const groups = readGroup(procTree);
  assert.deepEqual(groups.find((g) => g.name === 'ssl-cert'), { name: 'ssl-cert', gid: 103, members: ['postgres'] });
  assert.deepEqual(groups.find((g) => g.name === 'root'), { name: 'root', gid: 0, members: [] });
});

test('groupsOfUser: the primary group and every group listing the user (as pam_limits @group)', () => {
  const postgres = readPasswd(procTree).find((e) => e.name === 'postgres')!;
  assert.deepEqual(groupsOfUser(postgres, readGroup(procTree)).sort(), ['postgres', 'ssl-cert']);
});

test('the first entry wins for a shared uid (getpwuid)', () => {
  const names = userNames(parsePasswd('root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n'));
  assert.equal(names.get(0), 'root');
});

test('comments, blank lines and NIS markers are skipped', () => {
  const entries = parsePasswd('# local\n\n+@admins::::::\nroot:x:0:0::/root:/bin/sh\n-bob::::::\n');
  assert.deepEqual(entries.map((e) => e.name), ['root']);
  assert.deepEqual(parseGroup('#x\nadm:x:4:syslog, alice\n')[0].members, ['syslog', 'alice']);
});

test('malformed lines are a ParseError naming the line', () => {
  assert.throws(() => parsePasswd('root:x:0:0::/root:/bin/sh\nbob:x:1000\n', 'p'), (e: unknown) => e instanceof ParseError && e.line === 2);
  assert.throws(() => parsePasswd('bob:x:abc:0::/:/bin/sh\n', 'p'), (e: unknown) => e instanceof ParseError && /uid/.test(e.reason));
  assert.throws(() => parseGroup('adm:x:4\n', 'g'), (e: unknown) => e instanceof ParseError && e.line === 1);
});

test('absent files throw ENOENT', () => {
  assert.throws(() => readPasswd('/nonexistent-root'), { code: 'ENOENT' });
});

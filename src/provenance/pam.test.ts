import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../probe/read-file.js';
import { fixture } from '../testing/paths.js';
import { pamServiceUsesLimits, parseLimitsConf, readPamNofile, resolvePamNofile } from './pam.js';

const alice = { name: 'alice', uid: 1001, groups: ['alice', 'dev'] };
const conf = (text: string) => [{ file: '/etc/security/limits.conf', text }];

test('parseLimitsConf reads domain/type/item/value, comments, unlimited and "<domain> -"', () => {
  const p = parseLimitsConf('# x\n*  soft  nofile  4096 # trailing\n@dev - NOFILE unlimited\nbob -\n', 'f');
  assert.deepEqual(
    p.entries.map((e) => [e.domain, e.type, e.item, e.value, e.line]),
    [
      ['*', 'soft', 'nofile', 4096, 2],
      ['@dev', '-', 'nofile', 'infinity', 3],
    ],
  );
  assert.deepEqual(p.noLimits, [{ domain: 'bob', file: 'f', line: 4 }]);
});

test('parseLimitsConf: a bad type or nofile value is a ParseError with the line', () => {
  assert.throws(() => parseLimitsConf('* sfot nofile 1\n', 'f'), (e: unknown) => e instanceof ParseError && e.line === 1);
  assert.throws(() => parseLimitsConf('\n* soft nofile lots\n', 'f'), (e: unknown) => e instanceof ParseError && e.line === 2);
  assert.throws(() => parseLimitsConf('* soft\n', 'f'), (e: unknown) => e instanceof ParseError);
});

test('precedence: user beats @group beats *, regardless of order; equals: the later wins', () => {
  const r = resolvePamNofile(conf('alice soft nofile 100\n@dev soft nofile 200\n* soft nofile 300\n* hard nofile 400\n* hard nofile 500\n'), alice);
  assert.equal(r.soft?.value, 100);
  assert.equal(r.hard?.value, 500);
  const g = resolvePamNofile(conf('* - nofile 300\n@dev soft nofile 200\n'), alice);
  assert.equal(g.soft?.value, 200);
  assert.equal(g.hard?.value, 300);
});

test('group and wildcard lines do not apply to root (man limits.conf); "root" and uid ranges do', () => {
  const root = { name: 'root', uid: 0, groups: ['root'] };
  assert.equal(resolvePamNofile(conf('* soft nofile 300\n@root soft nofile 200\n'), root).soft, null);
  assert.equal(resolvePamNofile(conf('root soft nofile 9\n'), root).soft?.value, 9);
  assert.equal(resolvePamNofile(conf('1000:2000 soft nofile 7\n'), alice).soft?.value, 7);
  assert.equal(resolvePamNofile(conf(':1001 soft nofile 6\n'), alice).soft?.value, 6);
});

test('"<user> -" stops pam_limits: no limits for that user', () => {
  const r = resolvePamNofile(conf('alice -\n* soft nofile 300\n'), alice);
  assert.equal(r.noLimits?.line, 1);
  assert.equal(r.soft, null);
});

test('limits.d files are read after limits.conf, in name order', () => {
  const r = readPamNofile(fixture('limits', 'pam'), alice);
  assert.deepEqual(r.files, ['/etc/security/limits.conf', '/etc/security/limits.d/90-dev.conf']);
  assert.equal(r.soft?.value, 8192);
  assert.equal(r.soft?.entry.file, '/etc/security/limits.d/90-dev.conf');
  assert.equal(r.hard?.value, 16384);
  assert.equal(r.allNofile.length, 4);
});

test('pamServiceUsesLimits follows @include and finds pam_limits.so in the real Debian files', () => {
  const root = fixture('limits', 'pam');
  assert.equal(pamServiceUsesLimits(root, 'sshd'), true);
  assert.equal(pamServiceUsesLimits(root, 'login'), true);
  assert.equal(pamServiceUsesLimits(root, 'common-session'), false);
  assert.equal(pamServiceUsesLimits(root, 'nothere'), null);
});

/**
 * Redis started by hand (`redis-server /srv/app/redis.conf`) rewrites its title: its file is found
 * in its working directory (or /etc/redis) by the port it listens on, and read at its maxclients,
 * not bounded by the fd limit. Whether it asks for a password (requirepass, aclfile, a `user
 * default` rule) decides whether `port` may ever offer to expose it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from './config-reader.js';
import { redis } from './redis.js';
import type { ProgramCase } from './types.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-redis-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function readAt(root: string, port: number, cwd: string, argv = ['redis-server', `127.0.0.1:${port}`]) {
  const c: ProgramCase = { root, reader: new ConfigReader(root), main: { pid: 9, ppid: 1, name: 'redis-server', cmdline: argv.join(' '), uid: 0, soft: 1024, hard: 4096 }, argv, launch: null, unit: null, cwd, workers: [], listeners: [{ address: '127.0.0.1', port, netns: 0, backlog: 511 }] };
  return redis.read(c);
}

test('a title-rewritten Redis: its *.conf in its working directory, for its port, gives maxclients (not "at most fd − 32")', (t) => {
  const root = tree({ 'srv/app/other.conf': 'port 7001\nmaxclients 99\n', 'srv/app/redis.conf': 'port 7391\nmaxclients 10\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const r = readAt(root, 7391, '/srv/app');
  assert.equal(r.caps[0].value, 10);
  assert.equal(r.caps[0].atMost, undefined);
  assert.deepEqual([r.caps[0].file, r.caps[0].line, r.caps[0].origin], ['/srv/app/redis.conf', 2, 'config']);
  assert.match(r.configFrom ?? '', /working directory \/srv\/app, with port 7391/);
});

test('a title-rewritten Redis whose file is in /etc/redis under another name: found by its port', (t) => {
  const root = tree({ 'etc/redis/cache-a.conf': 'port 7002\nmaxclients 30\n', 'etc/redis/cache-b.conf': 'port 7003\nmaxclients 40\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.equal(readAt(root, 7003, '/var/lib/redis').caps[0].value, 40);
  // Nowhere: a bound, said as such, and where it looked.
  const none = readAt(root, 7999, '/var/lib/redis');
  assert.equal(none.caps[0].atMost, true);
  assert.match(none.caps[0].fromFdLimit?.how ?? '', /working directory \(\/var\/lib\/redis\), at a usual path or in \/etc\/redis/);
});

for (const [conf, open] of [
  ['port 7391\n', true],
  ['port 7391\nrequirepass ""\n', true],
  ['port 7391\nrequirepass s3cret\n', false],
  ['port 7391\naclfile /etc/redis/users.acl\n', false],
  ['port 7391\nuser default on nopass ~* +@all\n', true],
  ['port 7391\nuser default on >s3cret ~* +@all\n', false],
  ['port 7391\nuser default off\n', false],
  ['port 7391\nrequirepass REDACTED\n', false],
] as const) {
  test(`Redis authentication from its file: ${JSON.stringify(conf.split('\n')[1] || '(none)')} → ${open ? 'open' : 'asks'}`, (t) => {
    const root = tree({ 'srv/r/redis.conf': conf });
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const r = readAt(root, 7391, '/srv/r');
    assert.equal(r.unauthenticated !== undefined, open, r.unauthenticated);
  });
}

test('Redis whose file was not found: treated as open (never exposed on a guess), and said so', (t) => {
  const root = tree({});
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.match(readAt(root, 7391, '/').unauthenticated ?? '', /whether it asks for a password is unknown/);
});

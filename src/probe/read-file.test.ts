import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LIST_CAP,
  ParseError,
  RefusedRead,
  SIZE_CAP,
  describeError,
  listUnder,
  outcomeOf,
  readBytesUnder,
  readLinkUnder,
  readLinkNameUnder,
  readOptionalUnder,
  readText,
  readUnder,
  resolveUnder,
} from './read-file.js';

/** A tree in a fresh temp dir, with a secret beside it (outside the root) that no read may reach. */
function tree(fn: (root: string, outside: string) => void): void {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-confine-'));
  const root = join(top, 'root');
  const outside = join(top, 'secret');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(outside, 'TOKEN=outside-the-root\n');
  try {
    fn(root, outside);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
};

test('a link out of the root resolves inside it (chroot semantics): absolute, relative .. and a dir link', () => {
  tree((root, outside) => {
    symlinkSync(outside, join(root, 'etc', 'abs'));
    symlinkSync('../../secret', join(root, 'etc', 'rel'));
    symlinkSync(join(outside, '..'), join(root, 'etc', 'dir'));
    for (const name of ['abs', 'rel']) assert.equal(code(() => readUnder(root, `etc/${name}`, 'config')), 'ENOENT', name);
    assert.equal(code(() => readUnder(root, 'etc/dir/secret', 'config')), 'ENOENT');
    assert.equal(code(() => readUnder(root, '../secret', 'config')), 'ENOENT');
    assert.equal(code(() => readUnder(root, 'etc/../../../secret', 'config')), 'ENOENT');
    // The same secret, placed inside the root where the links point, is what they read.
    writeFileSync(join(root, 'secret'), 'inside\n');
    assert.equal(readUnder(root, 'etc/rel', 'config'), 'inside\n');
    assert.equal(resolveUnder(root, 'etc/rel'), join(root, 'secret'));
  });
});

test('an error names the path as asked, never the content, and maps to an outcome', () => {
  tree((root) => {
    try {
      readUnder(root, 'etc/missing', 'config');
      assert.fail('no error');
    } catch (err) {
      assert.equal(outcomeOf(err), 'absent');
      assert.equal(describeError(err), `ENOENT ${join(root, 'etc/missing')}`);
    }
    const e = new ParseError('f', 3, 'expected Key=Value');
    assert.equal(describeError(e), 'f:3: expected Key=Value');
  });
});

test('a FIFO, /dev/zero through a link, a directory and a socket-like special file are refused at once', () => {
  tree((root) => {
    execFileSync('mkfifo', [join(root, 'etc', 'fifo')]);
    symlinkSync('/dev/zero', join(root, 'etc', 'zero'));
    const t0 = performance.now();
    assert.equal(code(() => readUnder(root, 'etc/fifo', 'config')), 'ENOTREG');
    assert.equal(code(() => readUnder(root, 'etc/zero', 'proc')), 'ENOENT'); // the root has no dev/zero
    assert.equal(code(() => readUnder('/', 'dev/zero', 'proc')), 'ENOTREG'); // the host's is not a regular file
    assert.equal(code(() => readText('/dev/zero')), 'ENOTREG');
    assert.equal(code(() => readUnder(root, 'etc', 'config')), 'EISDIR');
    assert.equal(readOptionalUnder(root, 'etc', 'config'), null);
    assert.ok(performance.now() - t0 < 2000, 'a FIFO must not block');
  });
});

test('size caps: a sparse file is refused from its size, a long procfs-like read stops at the cap', () => {
  tree((root) => {
    const sparse = join(root, 'etc', 'sparse');
    writeFileSync(sparse, '');
    truncateSync(sparse, 8 * 1024 ** 3); // 8 GiB, no blocks
    assert.equal(code(() => readUnder(root, 'etc/sparse', 'proc-table')), 'EFBIG');
    writeFileSync(join(root, 'etc', 'big.conf'), Buffer.alloc(SIZE_CAP.config + 1, 0x61));
    assert.equal(code(() => readUnder(root, 'etc/big.conf', 'config')), 'EFBIG');
    writeFileSync(join(root, 'etc', 'ok.conf'), Buffer.alloc(SIZE_CAP.config, 0x61));
    assert.equal(readBytesUnder(root, 'etc/ok.conf', 'config').length, SIZE_CAP.config);
  });
});

test('links inside a process directory of proc are read as links, never followed', () => {
  tree((root) => {
    mkdirSync(join(root, 'proc', '42', 'fd'), { recursive: true });
    symlinkSync('/', join(root, 'proc', '42', 'root'));
    symlinkSync('socket:[1234]', join(root, 'proc', '42', 'fd', '3'));
    writeFileSync(join(root, 'etc', 'shadow'), 'x');
    assert.equal(code(() => readUnder(root, 'proc/42/root/etc/shadow', 'proc')), 'EPROCLINK');
    assert.equal(readLinkUnder(root, 'proc/42/fd/3'), 'socket:[1234]');
    assert.deepEqual(listUnder(root, 'proc/42/fd', 'proc'), ['3']);
  });
  // The live host: /proc/self/root is a magic link into our own mount namespace's root.
  assert.equal(code(() => readUnder('/', 'proc/self/root/etc/hostname', 'proc')), 'EPROCLINK');
  assert.equal(code(() => readUnder('/', 'proc/self/cwd', 'proc')), 'ELOOP');
  assert.match(readLinkUnder('/', 'proc/self/ns/net'), /^net:\[\d+\]$/);
  assert.match(readUnder('/', 'proc/net/tcp', 'proc-table'), /^\s+sl\s+local_address/);
});

test('a config path is never under /proc, /sys or /dev, even through a link', () => {
  tree((root) => {
    symlinkSync('/proc/self/environ', join(root, 'etc', 'passwd'));
    mkdirSync(join(root, 'proc', 'self'), { recursive: true });
    writeFileSync(join(root, 'proc', 'self', 'environ'), 'TOKEN=x');
    assert.equal(code(() => readUnder(root, 'etc/passwd', 'config')), 'ESCAPE');
  });
  assert.equal(code(() => readUnder('/', '/proc/self/environ', 'config')), 'ESCAPE');
});

test('a link loop ends with ELOOP, a huge directory with ETOOMANY', () => {
  tree((root) => {
    symlinkSync('b', join(root, 'etc', 'a'));
    symlinkSync('a', join(root, 'etc', 'b'));
    assert.equal(code(() => readUnder(root, 'etc/a', 'config')), 'ELOOP');
    mkdirSync(join(root, 'many'));
    for (let i = 0; i <= 100; i++) writeFileSync(join(root, 'many', String(i)), '');
    assert.equal(code(() => listUnder(root, 'many', 'config', 100)), 'ETOOMANY');
    assert.equal(listUnder(root, 'many', 'config', 101).length, 101);
    assert.ok(LIST_CAP.config >= 1000);
    assert.ok(new RefusedRead('ETOOMANY', 'p', 'r') instanceof Error);
  });
});

test('readLinkNameUnder: a link target that is not UTF-8 keeps its bytes (an executable named /opt/a\\xff reads apart from /opt/a\\xfe)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-link-'));
  try {
    mkdirSync(join(root, 'proc', '7'), { recursive: true });
    symlinkSync(Buffer.from('/opt/a\xff', 'latin1'), Buffer.from(join(root, 'proc', '7', 'exe')));
    assert.equal(readLinkNameUnder(root, 'proc/7/exe'), '/opt/a\udcff');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/**
 * Fix-line trust over fixture trees whose files are handed to another user (root only: chown):
 * every line that makes root run or read a file someone else can change names that file's owner
 * in the line itself, or is not offered to root (docs/safety.md, "Fix lines a root user can trust").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixture } from '../testing/paths.js';
import { explainLimit } from './explain.js';
import { assertRefused } from '../testing/fix-lines.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root to chown';
const NOBODY = 65534;

/** A copy of a fixture case with `owned` files (created when missing) owned by uid 65534. */
function treeWith(name: string, owned: Record<string, string | null>): { root: string; done: () => void } {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-trust-'));
  const root = join(top, 'tree');
  cpSync(fixture('limits', name), root, { recursive: true });
  for (const [path, text] of Object.entries(owned)) {
    const full = join(root, path);
    if (text !== null) {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
    chownSync(full, NOBODY, NOBODY);
  }
  return { root, done: () => rmSync(top, { recursive: true, force: true }) };
}

/** The command part of a line (before `   #`). */
const command = (l: string) => l.replace(/ {3}#.*$/, '');

test('a system unit whose ExecStart= program another user owns: the restart line says what it starts as whom, and whose file it is', { skip }, () => {
  const t = treeWith('systemd-unit', { 'opt/api/bin/api': '#!/bin/sh\n' });
  try {
    const fix = explainLimit(t.root, 812).fix;
    assertRefused(fix, /systemctl restart api\.service/, /^# do not run that as root: this starts \/opt\/api\/bin\/api as api \(uid 998\), and \/opt\/api\/bin\/api is owned by uid 65534/);
    assert.ok(fix.includes('systemctl daemon-reload'), fix.join('\n'));
  } finally {
    t.done();
  }
});

test('a runit service whose run script another user owns: `sv restart` is not offered, the owner named (runsv runs it as root)', { skip }, () => {
  const t = treeWith('runit', { 'etc/service/web/run': null });
  try {
    const fix = explainLimit(t.root, 520).fix;
    assertRefused(fix, /sv restart/, /^# do not run that as root: runsv then runs \/etc\/service\/web\/run as root, and \/etc\/service\/web\/run is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('nginx whose configuration another user owns: no `nginx -t` as root (load_module runs code), the reload names the owner', { skip }, () => {
  const t = treeWith('nginx-workers', { 'etc/nginx/nginx.conf': null });
  try {
    const fix = explainLimit(t.root, 7402).fix;
    assertRefused(fix, /nginx -t|kill -HUP 7400/, /^# do not run that as root: nginx then reads \/etc\/nginx\/nginx\.conf and everything it includes as root, and \/etc\/nginx\/nginx\.conf is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('root\'s pm2 whose PM2_HOME another user can write: save, kill and resurrect are not offered, the owner named', { skip }, () => {
  const t = treeWith('pm2', { 'root/.pm2/dump.pm2': '[]' });
  try {
    chownSync(join(t.root, 'root/.pm2'), NOBODY, NOBODY);
    const fix = explainLimit(t.root, 3281).fix;
    assertRefused(fix, /pm2 save/, /^# do not run that as root: pm2 save writes \/root\/\.pm2\/dump\.pm2 as root, and \/root\/\.pm2 is owned by uid 65534/);
    assertRefused(fix, /pm2 kill/, /^# do not run that as root: pm2 kill talks to the daemon through the socket in \/root\/\.pm2 as root, and \/root\/\.pm2 is owned by uid 65534/);
    assertRefused(fix, /pm2 resurrect/, /^# do not run that as root: resurrect starts the apps listed in \/root\/\.pm2\/dump\.pm2 as root, and \/root\/\.pm2 is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('a shell script another user owns, run by root: the edit comment says whose file it is', { skip }, () => {
  const t = treeWith('shell-ulimit', { 'opt/legacy/start.sh': null });
  try {
    const fix = explainLimit(t.root, 6020).fix;
    assert.ok(fix.some((l) => /^# in \/opt\/legacy\/start\.sh:\d+ \(\/opt\/legacy\/start\.sh is owned by uid 65534, and the shell runs it as root: check it\)/.test(l)), fix.join('\n'));
  } finally {
    t.done();
  }
});

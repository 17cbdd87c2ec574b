/**
 * The trust check of a restart or reload covers the whole configuration closure (fix-runner.ts
 * untrustedClosure): a root supervisord or nginx whose main file is root's but which includes a
 * file (or a glob over a directory) another user can change, loads its module or runs its program,
 * gets its restart/reload line as comments naming the owner (refusedLines), never a command. Also
 * restart lines that work wherever root pastes them: the configuration by its absolute path
 * (relative -c against /proc/PID/cwd, the file a search found), or not offered when unknown.
 * Fixture trees copied from test/fixtures/limits and changed per case (chown needs root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixture } from '../testing/paths.js';
import { explainLimit } from './explain.js';
import { assertRefused } from '../testing/fix-lines.js';
import { guardReload, signalReload } from './programs/common.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root to chown';
const USER = 65534;

interface Tree {
  root: string;
  /** Writes `text` at host path `p` (parents made). */
  write(p: string, text: string): void;
  /** Hands host path `p` to uid 65534. */
  give(p: string): void;
  done(): void;
}

function tree(name: string): Tree {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-closure-'));
  const root = join(top, 'tree');
  cpSync(fixture('limits', name), root, { recursive: true });
  return {
    root,
    write(p, text) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    },
    give: (p) => chownSync(join(root, p), USER, USER),
    done: () => rmSync(top, { recursive: true, force: true }),
  };
}

const SUP = 'supervisord-not-restarted';
const cmdline = (t: Tree, pid: number, argv: string[]) => writeFileSync(join(t.root, `proc/${pid}/cmdline`), `${argv.join('\0')}\0`);
/** The command part of every line that is not a comment. */
const pasteable = (fix: readonly string[]) => fix.filter((l) => !l.startsWith('#')).map((l) => l.replace(/ {3}#.*$/, ''));

test('root supervisord whose [include] brings in a file another user owns: the start is not offered, the owner named; the stop is a signal', { skip }, () => {
  const t = tree(SUP);
  try {
    appendFileSync(join(t.root, 'srv/jobs/supervisord.conf'), '\n[include]\nfiles = /home/atku/inc/*.conf\n');
    t.write('home/atku/inc/x.conf', '[program:inc]\ncommand=python3 /tmp/listen.py 18022\n');
    t.give('home/atku/inc/x.conf');
    const fix = explainLimit(t.root, 5120).fix;
    assertRefused(fix, /supervisord -c \/srv\/jobs\/supervisord\.conf/, /^# do not run that as root: supervisord then reads \/srv\/jobs\/supervisord\.conf and what it includes.*, and \/home\/atku\/inc\/x\.conf is owned by uid 65534/);
    assert.ok(!pasteable(fix).some((l) => /supervisorctl/.test(l)), fix.join('\n'));
    assert.ok(fix.some((l) => /^kill -TERM 5100 {3}#/.test(l)), fix.join('\n'));
  } finally {
    t.done();
  }
});

test('root supervisord whose [include] glob lists a directory another user owns (no match yet): a file the user adds later would be read, so not offered', { skip }, () => {
  const t = tree(SUP);
  try {
    appendFileSync(join(t.root, 'srv/jobs/supervisord.conf'), '\n[include]\nfiles = /home/atku/inc/*.conf\n');
    mkdirSync(join(t.root, 'home/atku/inc'), { recursive: true });
    t.give('home/atku/inc');
    assertRefused(explainLimit(t.root, 5120).fix, /supervisord -c/, /\/home\/atku\/inc is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('root supervisord: an include path without wildcards that does not exist yet, in a directory another user owns', { skip }, () => {
  const t = tree(SUP);
  try {
    appendFileSync(join(t.root, 'srv/jobs/supervisord.conf'), '\n[include]\nfiles = /home/atku/later.conf\n');
    mkdirSync(join(t.root, 'home/atku'), { recursive: true });
    t.give('home/atku');
    assertRefused(explainLimit(t.root, 5120).fix, /supervisord -c/, /\/home\/atku is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('root supervisord whose included file is root\'s but reached through a link into a user\'s directory', { skip }, () => {
  const t = tree(SUP);
  try {
    appendFileSync(join(t.root, 'srv/jobs/supervisord.conf'), '\n[include]\nfiles = /etc/supervisor/conf.d/*.conf\n');
    t.write('home/atku/real/x.conf', '[program:x]\ncommand=/bin/true\n');
    t.give('home/atku/real');
    mkdirSync(join(t.root, 'etc/supervisor/conf.d'), { recursive: true });
    symlinkSync('/home/atku/real/x.conf', join(t.root, 'etc/supervisor/conf.d/x.conf'));
    assertRefused(explainLimit(t.root, 5120).fix, /supervisord -c/, /\/home\/atku\/real is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('root supervisord whose program (no user=) is a file another user owns: the restart would run it as root', { skip }, () => {
  const t = tree(SUP);
  try {
    t.write('home/atku/bin/app', '#!/bin/sh\n');
    t.give('home/atku/bin/app');
    appendFileSync(join(t.root, 'srv/jobs/supervisord.conf'), '\n[program:app]\ncommand=/home/atku/bin/app --port 1\n');
    assertRefused(explainLimit(t.root, 5120).fix, /supervisord -c/, /\/home\/atku\/bin\/app is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('the same program with user= of its owner: supervisord drops to that user, the restart is offered', { skip }, () => {
  const t = tree(SUP);
  try {
    t.write('home/atku/bin/app', '#!/bin/sh\n');
    t.give('home/atku/bin/app');
    appendFileSync(join(t.root, 'srv/jobs/supervisord.conf'), '\n[program:app]\ncommand=/home/atku/bin/app\nuser=nobody\n');
    const fix = explainLimit(t.root, 5120).fix;
    assert.ok(pasteable(fix).includes('supervisorctl -c /srv/jobs/supervisord.conf shutdown'), fix.join('\n'));
    assert.ok(fix.some((l) => l.startsWith('/usr/bin/supervisord -c /srv/jobs/supervisord.conf')), fix.join('\n'));
  } finally {
    t.done();
  }
});

test('supervisord started with a relative -c from its working directory: the lines name the absolute path (/proc/PID/cwd)', { skip }, () => {
  const t = tree(SUP);
  try {
    cmdline(t, 5100, ['/usr/bin/python3', '/usr/bin/supervisord', '-c', 'supervisord.conf']);
    symlinkSync('/srv/jobs', join(t.root, 'proc/5100/cwd'));
    const fix = explainLimit(t.root, 5120).fix;
    assert.ok(pasteable(fix).includes('supervisorctl -c /srv/jobs/supervisord.conf shutdown'), fix.join('\n'));
    assert.ok(fix.some((l) => l.startsWith('/usr/bin/supervisord -c /srv/jobs/supervisord.conf')), fix.join('\n'));
    assert.ok(!pasteable(fix).some((l) => / -c supervisord\.conf/.test(l)), fix.join('\n'));
  } finally {
    t.done();
  }
});

test('supervisord started without -c: the lines name the file its search found; with its cwd unknown, the start is not offered', { skip }, () => {
  const t = tree(SUP);
  try {
    cmdline(t, 5100, ['/usr/bin/python3', '/usr/bin/supervisord']);
    // No proc/5100/cwd: a search from an unknown directory (./supervisord.conf comes before /etc) is unknown.
    let fix = explainLimit(t.root, 5120).fix;
    assert.ok(!pasteable(fix).some((l) => /supervisor(d|ctl)/.test(l)), fix.join('\n'));
    assert.ok(fix.some((l) => /^# not offered: the start, since it was started without -c from a working directory that could not be read/.test(l)), fix.join('\n'));
    assert.ok(fix.some((l) => /^kill -TERM 5100 {3}#/.test(l)), fix.join('\n'));
    symlinkSync('/srv/jobs', join(t.root, 'proc/5100/cwd'));
    fix = explainLimit(t.root, 5120).fix;
    assert.ok(pasteable(fix).includes('supervisorctl -c /srv/jobs/supervisord.conf shutdown'), fix.join('\n'));
    assert.ok(fix.some((l) => l.startsWith('/usr/bin/supervisord -c /srv/jobs/supervisord.conf')), fix.join('\n'));
  } finally {
    t.done();
  }
});

test('a user\'s supervisord config turned into a FIFO or a link to /dev/zero: -c is never dropped, and root is not told to start it', { skip }, () => {
  for (const make of ['fifo', 'zero'] as const) {
    const t = tree(SUP);
    try {
      cmdline(t, 5100, ['/usr/bin/python3', '/usr/bin/supervisord', '-c', '/home/atku/sC.conf']);
      mkdirSync(join(t.root, 'home/atku'), { recursive: true });
      if (make === 'fifo') execFileSync('mkfifo', [join(t.root, 'home/atku/sC.conf')]);
      else symlinkSync('/dev/zero', join(t.root, 'home/atku/sC.conf'));
      t.give('home/atku');
      const fix = explainLimit(t.root, 5120).fix;
      assert.ok(!pasteable(fix).some((l) => /supervisor(d|ctl)/.test(l)), `${make}:\n${fix.join('\n')}`);
      assert.ok(fix.some((l) => /^# not offered: .*supervisord -c \/home\/atku\/sC\.conf/.test(l)), `${make}:\n${fix.join('\n')}`);
      assert.ok(fix.some((l) => /owned by uid 65534/.test(l)), `${make}:\n${fix.join('\n')}`);
    } finally {
      t.done();
    }
  }
});

test('root nginx whose include glob reaches a directory another user owns: no `nginx -t`, no HUP, the owner named', { skip }, () => {
  const t = tree('nginx-workers');
  try {
    appendFileSync(join(t.root, 'etc/nginx/nginx.conf'), 'include /home/atku/ngx/*.conf;\n');
    t.write('home/atku/ngx/a.conf', 'error_log /root/owned.log;\n');
    t.give('home/atku/ngx/a.conf');
    assertRefused(explainLimit(t.root, 7402).fix, /nginx -t|kill -HUP/, /^# do not run that as root: nginx then reads \/etc\/nginx\/nginx\.conf and everything it includes as root, and \/home\/atku\/ngx\/a\.conf is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('root nginx: an included file in conf.d handed to another user, and a load_module path in a user\'s directory', { skip }, () => {
  for (const c of ['conf.d', 'module'] as const) {
    const t = tree('nginx-workers');
    try {
      if (c === 'conf.d') {
        t.write('etc/nginx/conf.d/site.conf', '# a site\n');
        t.give('etc/nginx/conf.d/site.conf');
      } else {
        const conf = join(t.root, 'etc/nginx/nginx.conf');
        writeFileSync(conf, `load_module /home/atku/mod.so;\n${execFileSync('cat', [conf], { encoding: 'utf8' })}`);
        t.write('home/atku/mod.so', '');
        t.give('home/atku/mod.so');
      }
      assertRefused(explainLimit(t.root, 7402).fix, /nginx -t|kill -HUP/, c === 'conf.d' ? /\/etc\/nginx\/conf\.d\/site\.conf is owned by uid 65534/ : /\/home\/atku\/mod\.so is owned by uid 65534/);
    } finally {
      t.done();
    }
  }
});

test('root nginx whose error_log (in an http block) is in a directory another user owns: the reload would have root write through it', { skip }, () => {
  const t = tree('nginx-workers');
  try {
    const conf = join(t.root, 'etc/nginx/nginx.conf');
    writeFileSync(conf, execFileSync('cat', [conf], { encoding: 'utf8' }).replace('http {', 'http {\n\terror_log /home/atku/logs/e.log;'));
    mkdirSync(join(t.root, 'home/atku/logs'), { recursive: true });
    t.give('home/atku/logs');
    assertRefused(explainLimit(t.root, 7402).fix, /nginx -t|kill -HUP/, /\/home\/atku\/logs is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('root nginx whose closure is root\'s: the reload is offered (nginx -t with its binary, then HUP)', () => {
  const fix = explainLimit(fixture('limits', 'nginx-workers'), 7402).fix;
  assert.ok(pasteable(fix).includes('/usr/sbin/nginx -t -c /etc/nginx/nginx.conf && kill -HUP 7400'), fix.join('\n'));
});

test('root pm2 daemon whose PM2_HOME is in a user\'s home: pm2 save/kill/resurrect are comments, the relief stays', { skip }, () => {
  const t = tree('pm2');
  try {
    cmdline(t, 3232, ['PM2 v7.0.4: God Daemon (/home/atku/.pm2)']);
    t.write('home/atku/.pm2/dump.pm2', '[]');
    t.give('home/atku');
    t.give('home/atku/.pm2');
    const fix = explainLimit(t.root, 3281).fix;
    for (const w of ['save', 'kill', 'resurrect']) assertRefused(fix, new RegExp(`pm2 ${w}`), /^# do not run that as root: .*, and \/home\/atku(\/\.pm2)? is owned by uid 65534/);
    assert.ok(fix.some((l) => l.startsWith('prlimit --pid 3281 ')), fix.join('\n'));
  } finally {
    t.done();
  }
});

test('a runit service directory (not only its run file) another user owns: `sv restart` is a comment', { skip }, () => {
  const t = tree('runit');
  try {
    t.give('etc/service/web');
    assertRefused(explainLimit(t.root, 520).fix, /sv restart/, /\/etc\/service\/web is owned by uid 65534/);
  } finally {
    t.done();
  }
});

test('forever started with a relative script: the start names it by the monitor\'s cwd; with the cwd unknown, not offered', () => {
  const t = tree('forever-user');
  try {
    const mon = execFileSync('grep', ['-l', 'forever/bin/monitor', '-r', join(t.root, 'proc'), '--include=cmdline'], { encoding: 'utf8' }).trim().split('\n')[0];
    const pid = Number(/proc\/(\d+)\/cmdline$/.exec(mon)?.[1]);
    writeFileSync(mon, ['/usr/bin/node', '/usr/local/lib/node_modules/forever/bin/monitor', 'server.js', ''].join('\0'));
    const app = Number(execFileSync('sh', ['-c', `grep -l ' ${pid} ' ${t.root}/proc/*/stat | head -1`], { encoding: 'utf8' }).match(/proc\/(\d+)\/stat/)?.[1]);
    let fix = explainLimit(t.root, app).fix;
    assert.ok(!pasteable(fix).some((l) => /forever start/.test(l)), fix.join('\n'));
    assert.ok(fix.some((l) => /^# not offered: .*forever start server\.js/.test(l)), fix.join('\n'));
    symlinkSync('/home/alice/app', join(t.root, `proc/${pid}/cwd`));
    fix = explainLimit(t.root, app).fix;
    assert.ok(pasteable(fix).some((l) => /forever start \/home\/alice\/app\/server\.js/.test(l)), fix.join('\n'));
  } finally {
    t.done();
  }
});

test('a program catalogue reload (kill -HUP, systemctl reload) whose configuration closure another user can change: comments, owner named', { skip }, () => {
  const t = tree('nginx-workers');
  try {
    t.write('home/atku/ngx/a.conf', '');
    t.give('home/atku/ngx/a.conf');
    const reload = signalReload(null, 7400, 'HUP', 'new workers start with it', 'nothing');
    const g = guardReload(t.root, 0, ['/etc/nginx/nginx.conf', '/home/atku/ngx/a.conf'], reload, 'nginx');
    assertRefused(g.lines, /kill -HUP 7400/, /^# do not run that as root: nginx then reads its configuration as root, and \/home\/atku\/ngx\/a\.conf is owned by uid 65534/);
    assert.deepEqual(guardReload(t.root, 0, ['/etc/nginx/nginx.conf'], reload, 'nginx'), reload);
  } finally {
    t.done();
  }
});

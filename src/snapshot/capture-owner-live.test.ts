/**
 * Files a capture copies are read with the rights of the process that names them (docs/safety.md,
 * "Read as the owner"). A local user (uid 65534 here, through setpriv) runs real nginx, HAProxy and
 * Redis with its own configuration, then points them at files only root can read: an `include` of
 * a file in a root-only directory and of a root file of mode 0600 (nginx, redis), a -f file swapped
 * for a link after the start (HAProxy), a supervisord -c that is a link to a root-only file, and a
 * "redis-server" whose configuration is a link to a private key in a root-only directory. Root's
 * `sockdoc capture --pid` of those processes: nothing of a root-only file anywhere in the capture,
 * one note per refused file naming it and why, exit 0, and the user's own readable files copied.
 * A root process naming the same files still gets them (root's own processes are unchanged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { treeText } from '../testing/tree-text.js';
import { portFreeEverywhere } from '../testing/free-port.js';
import { waitFor } from '../testing/live.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const have = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const missing = ['nginx', 'haproxy', 'redis-server', 'setpriv', 'python3'].filter((b) => !have(b));

/** pid of the first process of uid 65534 whose cmdline contains `needle`, once there. */
function pidOf(needle: string): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!/^Uid:\t65534\t/m.test(readFileSync(`/proc/${name}/status`, 'latin1'))) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').replace(/\0/g, ' ').includes(needle)) return Number(name);
    } catch {
      // gone
    }
  }
  return null;
}

test('live: a user\'s nginx/HAProxy/Redis/supervisord naming root-only files gets nothing of them into root\'s capture; its own files are copied', { skip: !isRoot ? 'needs root' : missing.length ? `needs ${missing.join(', ')}` : false, timeout: 120_000 }, async () => {
  const tag = `${process.pid}${Math.random().toString(36).slice(2, 8)}`;
  const SECRET = `R00tOnly${tag}`;
  const MINE = `UserOwn${tag}`;
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-owner-'));
  chmodSync(top, 0o755);
  const children: ChildProcess[] = [];
  const group: number[] = [];
  try {
    // Root's: a directory only root may search (its files 0644), and a 0600 file in a searchable one.
    const vault = join(top, 'vault');
    mkdirSync(vault, { mode: 0o700 });
    writeFileSync(join(vault, 'secret.conf'), `# ${SECRET}-dir\nmaxclients 7\n`, { mode: 0o644 });
    writeFileSync(join(vault, 'id_ed25519'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRET}key\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 });
    const private600 = join(top, 'private.conf');
    writeFileSync(private600, `# ${SECRET}-600\n`, { mode: 0o600 });
    // The user's: a directory of its own.
    const home = join(top, 'home');
    mkdirSync(home, { mode: 0o755 });
    chownSync(home, NOBODY, NOBODY);
    const own = (name: string, text: string, mode = 0o644) => {
      const p = join(home, name);
      writeFileSync(p, text, { mode });
      chownSync(p, NOBODY, NOBODY);
      return p;
    };
    const [pn, ph, pr] = [portFreeEverywhere(), portFreeEverywhere(), portFreeEverywhere()];
    const mine = own('mine.conf', `# ${MINE}-nginx\n`, 0o600); // 0600 of its own: its owner reads it
    const nconf = own('n.conf', `pid ${home}/n.pid;\nerror_log ${home}/n.err;\nevents { worker_connections 64; }\nhttp { access_log off; client_body_temp_path ${home}/b; proxy_temp_path ${home}/p; fastcgi_temp_path ${home}/f; uwsgi_temp_path ${home}/u; scgi_temp_path ${home}/s;\n  server { listen 127.0.0.1:${pn}; }\n}\n`);
    const hA = own('a.cfg', `global\n  maxconn 100\n# ${MINE}-haproxy\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n`);
    const hB = own('b.cfg', `listen l\n  bind 127.0.0.1:${ph}\n  server s 127.0.0.1:9\n`);
    const rconf = own('r.conf', `port ${pr}\nbind 127.0.0.1\nsave ""\nappendonly no\ndaemonize no\ndir ${home}\nproc-title-template "{title} {listen-addr} {config-file}"\n# ${MINE}-redis\n`);
    const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
    const start = (argv: string[]) => {
      const c = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
      children.push(c);
      return c;
    };
    start([...asNobody, 'nginx', '-c', nconf, '-e', `${home}/n.err`, '-g', 'daemon off;']);
    start([...asNobody, 'haproxy', '-db', '-f', hA, '-f', hB]);
    start([...asNobody, 'redis-server', rconf]);
    const nginx = await waitFor('the user\'s nginx master', () => pidOf(`nginx -c ${nconf}`));
    const haproxy = await waitFor('the user\'s haproxy', () => pidOf(`-f ${hB}`));
    const redis = await waitFor('the user\'s redis', () => pidOf(rconf));
    // Each has read its configuration once it listens: the files are changed only after that (a swap
    // before haproxy had read b.cfg made it fail to start, and the capture had no haproxy to refuse).
    const listening = (port: number) => (spawnSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).stdout.trim() ? true : null);
    for (const [what, port] of [['nginx', pn], ['haproxy', ph], ['redis', pr]] as const) await waitFor(`the user's ${what} listening on ${port}`, () => listening(port));
    // After the start (a reload would refuse them; a capture must too):
    appendFileSync(nconf, `include ${join(vault, 'secret.conf')};\ninclude ${private600};\ninclude ${mine};\n`);
    renameSync(hB, `${hB}.old`);
    symlinkSync(join(vault, 'secret.conf'), hB);
    appendFileSync(rconf, `include ${private600}\ninclude ${join(vault, 'secret.conf')}\n`);
    // A supervisord -c and a redis-server configuration that are links to root's files (any process
    // may call itself that: comm and argv are the user's to choose).
    const svLink = join(home, 's.conf');
    symlinkSync(private600, svLink);
    const keyLink = join(home, 'k.conf');
    symlinkSync(join(vault, 'id_ed25519'), keyLink);
    // A python script named like the program, that names its comm so too: how the real supervisord looks ("python3 /usr/bin/supervisord -c ...").
    const bin = join(top, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    const fake = (comm: string, args: string[], as: string[] = asNobody) => {
      const script = join(bin, comm);
      if (!existsSync(script)) writeFileSync(script, `import sys\nopen('/proc/self/comm', 'w').write(${JSON.stringify(comm)})\nprint("ready", flush=True)\nsys.stdin.read()\n`, { mode: 0o644 });
      const c = spawn(as.length ? as[0] : '/usr/bin/python3', [...as.slice(1), ...(as.length ? ['/usr/bin/python3'] : []), script, ...args], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
      children.push(c);
      return c;
    };
    const sv = fake('supervisord', ['-n', '-c', svLink]);
    const rk = fake('redis-server', [keyLink]);
    await Promise.all([once(sv.stdout!, 'data'), once(rk.stdout!, 'data')]);
    group.push(nginx, haproxy, redis, sv.pid as number, rk.pid as number);

    const dir = join(top, 'cap');
    const r = spawnSync(process.execPath, [cliPath, 'capture', dir, '--pid', group.join(',')], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(r.error, undefined);
    assert.equal(r.status, 0, r.stderr);
    const all = treeText(dir);
    assert.ok(!all.includes(SECRET), `nothing of a root-only file in the capture:\n${all.split('\n').filter((l) => l.includes(SECRET)).join('\n')}`);
    // One note per refused file, naming it and why.
    for (const f of [join(vault, 'secret.conf'), private600, hB, svLink, keyLink]) {
      assert.match(r.stderr, new RegExp(`skipped: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not copied: uid 65534 \\(owner of pid \\d+\\) cannot (read|search)`), `a note for ${f}:\n${r.stderr}`);
    }
    // The user's own files, the 0600 one included, are copied.
    for (const [f, mark] of [[nconf, 'include'], [mine, `${MINE}-nginx`], [hA, `${MINE}-haproxy`], [rconf, `${MINE}-redis`]] as const) {
      assert.ok(existsSync(join(dir, f)), `${f} copied`);
      assert.ok(readFileSync(join(dir, f), 'latin1').includes(mark), `${f} holds ${mark}`);
    }
    assert.ok(!existsSync(join(dir, hB)) || !readFileSync(join(dir, hB), 'latin1').includes(SECRET));

    // Root's own process naming the same file: read as root (unchanged).
    const rootFake = fake('supervisord', ['-n', '-c', private600], []);
    await once(rootFake.stdout!, 'data');
    const dir2 = join(top, 'cap2');
    const r2 = spawnSync(process.execPath, [cliPath, 'capture', dir2, '--pid', String(rootFake.pid)], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(r2.status, 0, r2.stderr);
    assert.ok(readFileSync(join(dir2, private600), 'latin1').includes(`${SECRET}-600`), "root's own supervisord's -c file is copied");
  } finally {
    for (const c of children) {
      try {
        process.kill(-(c.pid as number), 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const pid of group) {
      try {
        process.kill(pid, 'SIGKILL'); // nginx's master (setpriv exec'd into it: the same pid), workers die with it
      } catch {
        // gone
      }
    }
    // nginx workers and haproxy children of uid 65534 below top: end them by their own pids.
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (/^Uid:\t65534\t/m.test(readFileSync(`/proc/${name}/status`, 'latin1')) && readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(top)) process.kill(Number(name), 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(top, { recursive: true, force: true });
  }
});

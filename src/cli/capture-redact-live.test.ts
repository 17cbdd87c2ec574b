/**
 * Secrets in a capture meant to be shared (issue 18: 15 secret values were found in one capture).
 * Live processes carry each argv form (a process can name itself anything: execv with its own
 * argv[0]), a unit under /etc/systemd/system carries Environment=, ExecStart= and SetCredential=,
 * and a supervisord's own configuration carries environment=, command= and the [inet_http_server] /
 * [unix_http_server] passwords. `sockdoc capture` of those processes: no secret value appears in any
 * file or link of the capture; with --no-redact every one of them does (so the capture did copy
 * them: the test would see a leak); and the capture still explains the limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { treeText } from '../testing/tree-text.js';

const isRoot = process.getuid?.() === 0;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined);
  return r;
}

/** A process whose argv is exactly `argv` (python3 re-executes itself under that argv[0]); it waits on stdin. */
function processWithArgv(argv: string[]): ChildProcess {
  const code = `import os, sys\nos.execv(sys.executable, ${JSON.stringify([argv[0], '-c', 'import sys; print("ready", flush=True); sys.stdin.read()', ...argv.slice(1)])})`;
  return spawn('/usr/bin/python3', ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
}

test('live: none of the common secret forms survives in a capture (argv, a unit, supervisord), and --no-redact keeps them all', { skip: isRoot ? false : 'needs root (a unit under /etc/systemd/system)' }, async () => {
  const tag = `${process.pid}${Math.random().toString(36).slice(2, 8)}`;
  const S = (what: string) => `S3cr3t${what}${tag}`;
  const secrets: Record<string, string> = {};
  const s = (what: string) => (secrets[what] = S(what));
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-redact-'));
  const unit = `sockdoc-redact-${tag}.service`;
  const unitPath = join('/etc/systemd/system', unit);
  const children: ChildProcess[] = [];
  try {
    const conf = join(top, 'supervisord.conf');
    writeFileSync(
      conf,
      [
        '[unix_http_server]',
        `file=${top}/supervisor.sock`,
        `password=${s('UnixHttp')}`,
        '[inet_http_server]',
        'port=127.0.0.1:9001',
        'username=admin',
        `password = ${s('InetHttp')}`,
        '[supervisord]',
        'minfds=4096',
        '[program:web]',
        `command=/srv/web --db-password=${s('Command')} --port 8080`,
        `environment=HOME="/srv/web",API_TOKEN="${s('SvEnvToken')}",PLAIN=${s('SvEnvPlain')}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      unitPath,
      [
        '[Unit]',
        'Description=redaction test',
        '[Service]',
        `Environment=NODE_ENV=production "DATABASE_URL=postgres://app:${s('UnitUrl')}@db/x" STRIPE_KEY=${s('UnitKey')}`,
        `ExecStart=/usr/bin/app --secret-key=${s('UnitExec')} -p 8080`,
        `SetCredential=db:${s('UnitCred')}`,
        'LimitNOFILE=65536',
        '',
      ].join('\n'),
    );
    const argvs = [
      ['mysql', '-uroot', `-p${s('MysqlP')}`, 'shop'],
      ['mysqldump', `--password=${s('MysqlLong')}`, 'shop'],
      ['sshpass', '-p', s('Sshpass'), 'ssh', 'db1'],
      ['redis-cli', '-h', 'cache', '-a', s('RedisA'), 'ping'],
      ['app', `--secret-key=${s('SecretKey')}`, `--password`, s('PasswordNext')],
      ['env', `SECRET_KEY_BASE=${s('KeyBase')}`, `GITLAB_TOKEN=${s('EnvToken')}`, `DB_PASSWORD=${s('EnvPassword')}`, `SIGNING_KEY=${s('EnvKey')}`, 'rails'],
      ['curl', '-H', `Authorization: Bearer ${s('Bearer')}`, `https://bob:${s('Userinfo')}@api.example/x`],
      ['sh', '-c', `mysql -p${s('ShMysql')} db && curl -u bob:${s('ShCurl')} http://x`],
      ['supervisord', '-n', '-c', conf],
    ];
    for (const argv of argvs) {
      const c = processWithArgv(argv);
      children.push(c);
      await once(c.stdout!, 'data');
    }
    const pids = children.map((c) => c.pid).join(',');
    const dir = join(top, 'cap');
    const r = cli(['capture', dir, '--pid', pids]);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const all = treeText(dir);
    const leaked = Object.entries(secrets).filter(([, v]) => all.includes(v));
    assert.deepEqual(leaked.map(([k]) => k), [], 'no secret value anywhere in the capture');
    assert.match(r.stdout, /redacted (\d+) secrets in command lines, (\d+) values in configuration files/);
    const [, inArgv, inConfig] = /redacted (\d+) secrets in command lines, (\d+) values in configuration files/.exec(r.stdout) ?? [];
    assert.ok(Number(inArgv) >= 14 && Number(inConfig) >= 9, r.stdout);
    // What sockdoc reads stayed: the capture explains supervisord's limit from its minfds.
    assert.ok(readFileSync(join(dir, conf), 'latin1').includes('minfds=4096'));
    assert.ok(readFileSync(join(dir, unitPath), 'latin1').includes('LimitNOFILE=65536'));
    const back = cli(['limits', '--root', dir, String(children[children.length - 1].pid)]);
    assert.equal(back.status, 0, back.stderr);

    // --no-redact: every secret is there, so the capture above did copy each place it came from.
    const kept = join(top, 'kept');
    cli(['capture', kept, '--pid', pids, '--no-redact']);
    const raw = treeText(kept);
    assert.deepEqual(Object.entries(secrets).filter(([, v]) => !raw.includes(v)).map(([k]) => k), [], '--no-redact keeps them all');
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(unitPath, { force: true });
    rmSync(top, { recursive: true, force: true });
  }
  assert.ok(!existsSync(unitPath));
});

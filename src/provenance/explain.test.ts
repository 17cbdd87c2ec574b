import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outcomeOf } from '../probe/read-file.js';
import { fixture } from '../testing/paths.js';
import { NoSuchProcess, explainLimit, explainLimits } from './explain.js';

const explain = (c: string, pid: number) => explainLimit(fixture('limits', c), pid);
const kinds = (o: { steps?: { kind: string }[] }) => (o.steps ?? []).map((s) => s.kind);
const linesOf = (o: { steps?: { kind: string; lines: string[] }[] }, kind: string) => (o.steps ?? []).filter((s) => s.kind === kind).flatMap((s) => s.lines);

test('systemd unit: LimitNOFILE= named; limits.conf that cannot apply to a service is called out', () => {
  const o = explain('systemd-unit', 812);
  assert.deepEqual([o.source.layer, o.source.pid, o.source.unit, o.source.file, o.source.setting, o.source.value], ['systemd', 812, 'api.service', '/etc/systemd/system/api.service', 'LimitNOFILE=65536', '65536']);
  assert.equal(o.contradictions.length, 1);
  assert.match(o.contradictions[0], /"\* soft nofile 100000" \(\/etc\/security\/limits\.conf:67\).* not a login session/);
  assert.deepEqual(kinds(o), ['relief', 'durable', 'restart'], 'relief first, then the change, then the restart');
  assert.deepEqual(linesOf(o, 'durable'), ['systemctl edit api.service   # add these two lines in the editor, save:', '[Service]', 'LimitNOFILE=131072:131072']);
  assert.deepEqual(linesOf(o, 'restart'), ['systemctl daemon-reload', 'systemctl restart api.service']);
  assert.match(o.steps?.[2].blastRadius ?? '', /stops every process of api\.service/);
  assert.deepEqual(linesOf(o, 'relief'), ['prlimit --pid 812 --nofile=131072:131072']);
});

test('DefaultLimitNOFILE from system.conf.d, and a worker that inherited it from its master', () => {
  for (const pid of [900, 901]) {
    const o = explain('systemd-default', pid);
    assert.equal(o.source.layer, 'systemd');
    assert.equal(o.source.pid, 900);
    assert.equal(o.source.setting, 'DefaultLimitNOFILE=8192:65536');
    assert.equal(o.source.file, '/etc/systemd/system.conf.d/60-limits.conf');
  }
});

test('a drop-in overriding the unit is the source', () => {
  const o = explain('systemd-dropin', 1500);
  assert.equal(o.source.file, '/etc/systemd/system/redis-server.service.d/override.conf');
  assert.match(o.source.reason, /overriding the unit file \/lib\/systemd\/system\/redis-server\.service/);
});

test('a unit changed after the service started: not restarted, fix is reload + restart', () => {
  const o = explain('systemd-stale', 2201);
  assert.equal(o.source.layer, 'systemd');
  assert.match(o.contradictions[0], /queue\.service now gives 65536:65536.*runs with 1024:524288.*systemctl daemon-reload.*systemctl restart queue\.service/s);
  assert.deepEqual(kinds(o), ['relief', 'restart']);
  assert.deepEqual(linesOf(o, 'restart'), ['systemctl daemon-reload', 'systemctl restart queue.service']);
  assert.deepEqual(linesOf(o, 'relief'), ['prlimit --pid 2201 --nofile=65536:65536']);
});

test('the seed: systemd built-in default through supervisord; minfds only reloaded; limits.conf irrelevant', () => {
  const o = explain('systemd-builtin-seed', 37482);
  assert.equal(o.source.layer, 'systemd');
  assert.equal(o.source.unit, 'supervisor.service');
  assert.equal(o.source.pid, 640);
  assert.equal(o.source.setting, 'built-in default');
  assert.equal(o.source.value, '1024:524288');
  assert.equal(o.contradictions.length, 3);
  assert.match(o.contradictions[0], /minfds=65536, but supervisord \(pid 640\) runs with a soft limit of 1024/);
  assert.match(o.contradictions[1], /limits\.conf has .* for www-data, but server \(pid 37482\) is a service started by systemd \(supervisor\.service\)/);
  assert.match(o.contradictions[2], /soft limit 1024 is below the hard limit 524288/);
  assert.equal(linesOf(o, 'durable')[0], 'systemctl edit supervisor.service   # add these two lines in the editor, save:');
});

test('supervisord minfds from an [include]d file; the fix edits that file and restarts the unit', () => {
  const o = explain('supervisord-minfds', 3310);
  assert.deepEqual([o.source.layer, o.source.pid, o.source.file, o.source.setting], ['supervisord', 3300, '/etc/supervisor/conf.d/00-limits.conf', 'minfds=4096']);
  assert.match(o.source.reason, /got 1024:524288 from supervisor\.service/);
  assert.deepEqual(linesOf(o, 'durable'), ['# in /etc/supervisor/conf.d/00-limits.conf, section [supervisord]: set `minfds=65536`']);
  assert.deepEqual(linesOf(o, 'restart'), ['systemctl restart supervisor.service']);
  assert.match(o.steps?.find((s) => s.kind === 'restart')?.blastRadius ?? '', /stops every program supervisord runs \(1 seen: worker \(pid 3310\)\)/);
});

test('minfds configured above what supervisord runs with: configured but not in effect', () => {
  const o = explain('supervisord-not-restarted', 5120);
  assert.equal(o.source.layer, 'supervisord');
  assert.match(o.contradictions[0], /minfds=3500, but supervisord \(pid 5100\) runs with a soft limit of 3000.*not in effect/s);
  assert.deepEqual(linesOf(o, 'restart'), ['supervisorctl -c /srv/jobs/supervisord.conf shutdown', '/usr/bin/supervisord -c /srv/jobs/supervisord.conf'], 'started as the script, so the process is still named supervisord');
  assert.deepEqual(linesOf(o, 'relief'), ['prlimit --pid 5120 --nofile=3500:4000']);
});

test('pam: the sshd session process, the winning limits.d lines, group over wildcard', () => {
  const o = explain('pam', 4410);
  assert.deepEqual([o.source.layer, o.source.pid, o.source.file, o.source.setting], ['pam', 4390, '/etc/security/limits.d/90-dev.conf', '@dev soft nofile 8192; @dev hard nofile 16384']);
  assert.ok(!o.contradictions.some((c) => c.includes('login session')), 'inside a session limits.conf does apply');
});

test('cron job: pam_limits of the cron session', () => {
  const o = explain('cron', 9120);
  assert.deepEqual([o.source.layer, o.source.pid, o.source.setting], ['cron', 9100, 'alice soft nofile 2048; alice hard nofile 4096']);
});

test('container: --ulimit at the container\'s first process; inherited from containerd\'s unit otherwise', () => {
  const a = explain('container', 2301);
  assert.deepEqual([a.source.layer, a.source.pid, a.source.setting], ['container', 2301, '--ulimit nofile=65536:65536']);
  const b = explain('container-inherited', 2401);
  assert.deepEqual([b.source.layer, b.source.unit, b.source.setting], ['container', 'containerd.service', 'LimitNOFILE=infinity']);
  assert.deepEqual(kinds(b), ['durable'], 'at fs.nr_open nothing can be raised');
  assert.deepEqual(b.steps?.[0].lines, []);
});

test('shell ulimit in a script started by a unit: the shell, not a stale unit', () => {
  const o = explain('shell-ulimit', 6020);
  assert.deepEqual([o.source.layer, o.source.pid, o.source.file, o.source.setting, o.source.unit], ['shell', 6010, '/opt/legacy/start.sh', 'ulimit -n 300', 'legacy-app.service']);
  assert.deepEqual(o.contradictions, []);
});

test('self-raised: soft raised to hard under systemd and under supervisord', () => {
  const a = explain('self-raised', 7001);
  assert.deepEqual([a.source.layer, a.source.unit], ['self', 'goapi.service']);
  const b = explain('self-raised-supervisord', 3410);
  assert.equal(b.source.layer, 'self');
  assert.match(b.source.reason, /inherited from supervisord \(pid 3400\)/);
});

test('reparented to pid 1 from a login session: unknown, with the reason', () => {
  const o = explain('reparented', 8800);
  assert.equal(o.source.layer, 'unknown');
  assert.match(o.source.reason, /reparented/);
});

test('a malformed drop-in: the explanation names the file and line instead of failing', () => {
  const o = explain('broken-dropin', 7101);
  assert.equal(o.source.layer, 'systemd');
  assert.match(o.source.reason, /\/etc\/systemd\/system\/api\.service\.d\/limits\.conf:2: expected Key=Value/);
});

test('a process that does not exist: NoSuchProcess, an "absent" outcome; explainLimits skips it', () => {
  assert.throws(() => explain('pam', 31337), (e: unknown) => e instanceof NoSuchProcess && outcomeOf(e) === 'absent');
  const m = explainLimits(fixture('limits', 'pam'), [31337, 4410, 4400]);
  assert.deepEqual([...m.keys()], [4410, 4400]);
  assert.equal(m.get(4400)?.source.pid, 4390);
});

test('a process whose stat is malformed: an unknown layer naming the file, not a crash or a guess', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-explain-'));
  try {
    cpSync(fixture('limits', 'systemd-unit'), root, { recursive: true });
    writeFileSync(join(root, 'proc', '812', 'stat'), '812 (api S 1\n');
    const o = explainLimit(root, 812);
    assert.equal(o.source.layer, 'unknown');
    assert.match(o.source.reason, /proc\/812\/stat:1: no "pid \(comm\)"/);
    assert.deepEqual(o.chain, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('systemd 219 (CentOS 7): a unit without LimitNOFILE= gets the kernel 1024:4096, not a "changed after start"', () => {
  const o = explain('systemd-219', 1840);
  assert.deepEqual([o.source.layer, o.source.unit, o.source.setting, o.source.value], ['systemd', 'legacy-api.service', 'built-in default', '1024:4096']);
  assert.match(o.source.reason, /1024:4096, the kernel's initial limit, which systemd 219 passes on to services/);
  assert.ok(!o.contradictions.some((c) => /changed after the service started/.test(c)), o.contradictions.join('\n'));
  assert.deepEqual(kinds(o), ['relief', 'durable', 'restart']);
  assert.deepEqual(linesOf(o, 'relief'), ['prlimit --pid 1840 --nofile=4096:4096'], 'soft to hard: works without privileges');
  assert.ok(linesOf(o, 'durable').includes('LimitNOFILE=65536:65536'));
});

test('unknown systemd version (no version evidence in the tree): both defaults said, no stale claim, an explicit LimitNOFILE= as the fix', () => {
  const o = explain('systemd-unknown-version', 1840);
  assert.equal(o.source.layer, 'systemd');
  assert.match(o.source.reason, /could not be read here .*: 1024:4096 before 240, 1024:524288 from 240 on/);
  assert.match(o.source.reason, /has 1024:4096: on a systemd older than 240 that is the default, and nothing is stale; on 240 or later the default would be 1024:524288/);
  assert.ok(!o.contradictions.some((c) => /changed after the service started/.test(c)), o.contradictions.join('\n'));
  assert.deepEqual(kinds(o), ['relief', 'durable', 'restart'], 'an explicit value, not a restart alone');
  assert.ok(linesOf(o, 'durable').includes('LimitNOFILE=65536:65536'));
  // Neither default: still no claim that one of them is stale.
  const seed = explain('systemd-builtin-seed', 37482);
  assert.match(seed.source.reason, /on systemd 240 or later that is the default, and nothing is stale; before 240 the default would be 1024:4096/);
});

test('a drop-in above pid 1\'s hard limit, within fs.nr_open: applied as written (systemd has CAP_SYS_RESOURCE)', () => {
  const o = explain('dropin-above-pid1', 2600);
  assert.deepEqual([o.source.layer, o.source.file, o.source.setting, o.source.value], ['systemd', '/etc/systemd/system/haproxy.service.d/limits.conf', 'LimitNOFILE=500000', '500000']);
  assert.deepEqual(o.contradictions, [], 'not "now gives 65536"');
  // The shell here (proc/self in the tree) is root without CAP_SYS_RESOURCE and haproxy is at its hard
  // limit: no relief line that would fail; a note says why, and the durable steps come first.
  assert.deepEqual(kinds(o), ['durable', 'restart']);
  assert.ok(o.notes?.some((n) => /No relief without a restart: haproxy \(pid 2600\) is at its hard limit 500000; raising a hard limit needs CAP_SYS_RESOURCE, which this shell lacks/.test(n)), (o.notes ?? []).join('\n'));
  assert.ok(linesOf(o, 'durable').includes('LimitNOFILE=1000000:1000000'), 'within fs.nr_open 1048576');
});

test('pm2: the God Daemon is the layer; the restart names what it stops', () => {
  const o = explain('pm2', 3281);
  assert.deepEqual([o.source.layer, o.source.launcher, o.source.pid, o.source.value], ['launcher', 'pm2', 3232, '4096:4096']);
  assert.deepEqual(kinds(o), ['relief', 'relief', 'durable', 'restart']);
  // The daemon is root's here: no runuser; the limit is set in a shell of its own (never `exec` in the operator's).
  assert.deepEqual(linesOf(o, 'restart'), ['env PM2_HOME=/root/.pm2 pm2 kill', "env PM2_HOME=/root/.pm2 sh -c 'ulimit -n 65536 && exec pm2 resurrect'"]);
  assert.match(o.steps?.[3].blastRadius ?? '', /stops every app pm2 runs \(2 seen: node \/srv\/api\/ \(pid 3281\), node \/srv\/jobs \(pid 3290\)\)/);
});

test('containerd shim: a container without --ulimit has containerd.service\'s limit, not the shim\'s raised soft', () => {
  const o = explain('containerd-shim', 5301);
  assert.deepEqual([o.source.layer, o.source.launcher, o.source.unit, o.source.setting, o.source.value], ['container', 'containerd-shim', 'containerd.service', 'built-in default', '1024:524288']);
  assert.doesNotMatch(o.source.reason, /created with --ulimit/);
  assert.match(o.source.reason, /restores the one it started with for the container \(Go ≥ 1\.19\)/);
  assert.ok(linesOf(o, 'durable').includes('LimitNOFILE=65536:524288'));
});

test('docker daemon.json default-ulimits: named with its file; the restart says it stops every container', () => {
  const o = explain('docker-default-ulimits', 6301);
  assert.deepEqual([o.source.layer, o.source.file, o.source.setting], ['container', '/etc/docker/daemon.json', 'default-ulimits nofile 16384:16384']);
  assert.match(o.steps?.find((s) => s.kind === 'restart')?.blastRadius ?? '', /stops every container on this host unless daemon.json has "live-restore": true/);
});

test('nginx workers: worker_rlimit_nofile above the master\'s hard limit, set by the worker while root', () => {
  const o = explain('nginx-workers', 7402);
  assert.deepEqual([o.source.layer, o.source.launcher, o.source.file, o.source.setting, o.source.value], ['self', 'nginx', '/etc/nginx/nginx.conf', 'worker_rlimit_nofile 1000000', '1000000']);
  assert.ok(linesOf(o, 'durable').some((l) => l.endsWith('main context: set `worker_rlimit_nofile 1048576;`')), 'never above fs.nr_open (1048576 here)');
  // The master's own binary and configuration are tested, then SIGHUP goes to that master (not whichever nginx -s finds).
  assert.deepEqual(linesOf(o, 'restart'), ['/usr/sbin/nginx -t -c /etc/nginx/nginx.conf && kill -HUP 7400']);
});

test('user manager: user.conf DefaultLimitNOFILE; a LimitNOFILE= in [Unit] of a user drop-in is reported as ignored', () => {
  const o = explain('user-manager', 8820);
  assert.deepEqual([o.source.layer, o.source.unit, o.source.file, o.source.setting], ['systemd', 'syncd.service', '/etc/systemd/user.conf', 'DefaultLimitNOFILE=4096:65536']);
  assert.ok(o.notes?.some((n) => /syncd\.service\.d\/limits\.conf:2: LimitNOFILE=100000 is in \[Unit\], not \[Service\]; systemd ignores it/.test(n)), (o.notes ?? []).join('\n'));
  assert.deepEqual(linesOf(o, 'restart'), ['systemctl --user --machine=alice@ daemon-reload', 'systemctl --user --machine=alice@ restart syncd.service']);
});

test('runit: chpst -o in the service\'s run script is the source; the restart is sv restart of that service only', () => {
  const o = explain('runit', 520);
  assert.deepEqual([o.source.layer, o.source.launcher, o.source.pid, o.source.file, o.source.setting], ['launcher', 'runit', 520, '/etc/service/web/run', 'chpst -u www-data -o 4096']);
  assert.deepEqual(linesOf(o, 'restart'), ['sv restart /etc/service/web']);
  assert.match(o.steps?.find((s) => s.kind === 'restart')?.blastRadius ?? '', /the supervisor and other services keep running/);
});

test('tmux: a server started long ago fixes the limit of every pane', () => {
  const o = explain('tmux', 920);
  assert.deepEqual([o.source.layer, o.source.launcher, o.source.pid], ['launcher', 'tmux/screen', 900]);
  assert.match(o.steps?.find((s) => s.kind === 'restart')?.blastRadius ?? '', /ends every tmux session/);
});

test('explainLimits over siblings that share ancestors gives each the answer explainLimit gives alone (ancestors read once per call)', () => {
  const root = fixture('limits', 'nginx-workers');
  const pids = readdirSync(join(root, 'proc')).filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
  const together = explainLimits(root, pids);
  assert.ok(together.size >= 3, `a master and its workers: ${[...together.keys()].join(', ')}`);
  for (const [pid, origin] of together) assert.deepEqual(origin, explainLimit(root, pid), `pid ${pid}`);
  // A chain that stops at an unreadable parent still says so for every child that passes through it.
  const gone = mkdtempSync(join(tmpdir(), 'sockdoc-explain-'));
  try {
    cpSync(root, gone, { recursive: true });
    const master = together.get(pids[1])?.chain[1]?.pid;
    if (master !== undefined) {
      writeFileSync(join(gone, 'proc', String(master), 'stat'), `${master} (broken S 1\n`);
      const again = explainLimits(gone, pids);
      for (const [pid, origin] of again) assert.deepEqual(origin, explainLimit(gone, pid), `pid ${pid} with its parent broken`);
    }
  } finally {
    rmSync(gone, { recursive: true, force: true });
  }
});

test('a user\'s processes named cron are no cron session: limits.conf is called out as not applying (names are the process\'s own)', () => {
  // The cron fixture with its two cron links run by alice (uid 1001) in her user manager's
  // delegated subtree, where she may also name a cgroup session-N.scope: neither is a session.
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-fakecron-'));
  try {
    cpSync(fixture('limits', 'cron'), dir, { recursive: true });
    const fake = '0::/user.slice/user-1001.slice/user@1001.service/app.slice/session-7.scope\n';
    for (const pid of [610, 9100, 9110, 9120]) {
      const status = join(dir, `proc/${pid}/status`);
      writeFileSync(status, readFileSync(status, 'latin1').replace(/^Uid:.*$/m, 'Uid:\t1001\t1001\t1001\t1001').replace(/^Gid:.*$/m, 'Gid:\t1001\t1001\t1001\t1001'));
      writeFileSync(join(dir, `proc/${pid}/cgroup`), fake);
      const limits = join(dir, `proc/${pid}/limits`);
      writeFileSync(limits, readFileSync(limits, 'latin1').replace(/^(Max open files\s+)\d+(\s+)\d+/m, '$1300$2400'));
    }
    const o = explainLimit(dir, 9120);
    assert.notEqual(o.source.layer, 'cron', JSON.stringify(o.source));
    assert.ok(o.contradictions.some((c) => /limits\.conf has .* for alice, but report \(pid 9120\) is .*not .*login session/.test(c)), o.contradictions.join(' | '));
    // The real cron tree still is a session: limits.conf applies there, and nothing says otherwise.
    assert.ok(!explain('cron', 9120).contradictions.some((c) => c.includes('login session')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

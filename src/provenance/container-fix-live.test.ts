/**
 * Live (root, the tests' private dockerd): issue 19's container fix. A container started with
 * `--ulimit nofile=64:64` on a runtime whose hard limit is this machine's (≤ 20000, no
 * CAP_SYS_RESOURCE anywhere): `sockdoc limits` suggests what runc can apply under that runtime,
 * and the test runs every suggested command for real — the recreate included, with the
 * container's own options where the line says `...` — and the container starts with the limit the
 * fix promised. Also the somaxconn fix for the container: a recreate with --sysctl, and the
 * program's new listen() is what changes the backlog. One daemon for the file; removed afterwards.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cliPath } from '../testing/paths.js';
import { waitFor } from '../testing/live.js';
import { dockerMissing, IMAGE, startPrivateDocker, type PrivateDocker } from '../lab/private-docker.js';
import type { FixStep } from './fix.js';
import { canRaiseHard } from './host-facts.js';
import { newContext } from './context.js';

const missing = dockerMissing();
const uniq = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

function nofile(pid: number): [number, number] {
  const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'latin1'));
  assert.ok(m);
  return [Number(m[1]), Number(m[2])];
}

let d: PrivateDocker | undefined;
before(() => {
  if (!missing) d = startPrivateDocker('sockdoc-ctfix');
});
after(() => {
  d?.close();
});

test('live: a container with --ulimit nofile=64:64 on a runtime capped at its own hard limit: every suggested command works, the recreate starts', { skip: missing ?? false, timeout: 180_000 }, async () => {
  assert.ok(d);
  const name = `sockdoc-ulimit-${uniq}`;
  {
    // The container's options, as its owner would have them in a script or compose file.
    const opts = ['-d', '--name', name, '--network', 'none', '-v', '/usr:/usr:ro'];
    const cmd = [IMAGE, '/usr/bin/python3', '-c', 'import time; time.sleep(600)'];
    d.docker(['run', ...opts, '--ulimit', 'nofile=64:64', ...cmd]);
    const pid = Number(d.docker(['inspect', '-f', '{{.State.Pid}}', name]).trim());
    assert.deepEqual(nofile(pid), [64, 64]);
    const r = spawnSync(process.execPath, [cliPath, 'limits', String(pid), '--json'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const [o] = JSON.parse(r.stdout) as Array<{ source: { layer: string }; fix: string[]; steps: FixStep[]; notes: string[]; chain: Array<{ pid: number; name: string; hard: number }> }>;
    assert.equal(o.source.layer, 'container');
    assert.match(o.chain[1].name, /^containerd-shim/);
    // This machine: no process has CAP_SYS_RESOURCE, so the shim's hard limit is the ceiling; with it, the usual 65536.
    const shimPid = o.chain[1].pid;
    const shimCan = canRaiseHard(newContext(), '/', shimPid) === true;
    const shimHard = shimCan ? 65536 : o.chain[1].hard;
    if (!shimCan) {
      // 64:64 is the container's hard limit and root lacks CAP_SYS_RESOURCE: no prlimit offered first (or at all).
      assert.notEqual(o.steps[0]?.kind, 'relief', JSON.stringify(o.steps[0]));
      assert.ok(!o.fix.some((l) => /^prlimit /.test(l)), o.fix.join('\n'));
    }
    // The --ulimit is capped at the runtime's hard limit, and says what to raise to go higher.
    const durable = o.steps.find((s) => s.kind === 'durable');
    assert.ok(durable?.lines.some((l) => l.startsWith(`docker run --ulimit nofile=${shimHard}:${shimHard} ...`)), JSON.stringify(durable));
    if (!shimCan) assert.match(durable?.higher ?? '', new RegExp(`To go above ${shimHard}, first raise`));
    assert.equal(durable?.needs, undefined);

    // Run every suggested command: comments are skipped; `docker run … ...` becomes the recreate with the container's own options.
    let recreated = false;
    for (const line of o.fix) {
      const code = line.replace(/ {3}#.*$/, '').trim();
      if (code === '' || code.startsWith('#')) continue;
      const m = /^docker run (.*) \.\.\.$/.exec(code);
      assert.ok(m, `a command the test does not know how to run for real: ${line}`);
      d.docker(['rm', '-f', name]);
      d.docker(['run', ...opts, ...m[1].split(' '), ...cmd]);
      recreated = true;
    }
    assert.ok(recreated, 'the recreate was suggested');
    assert.equal(d.docker(['inspect', '-f', '{{.State.Running}}', name]).trim(), 'true', 'the recreated container started');
    const again = Number(d.docker(['inspect', '-f', '{{.State.Pid}}', name]).trim());
    assert.deepEqual(nofile(again), [shimHard, shimHard], 'it has the limit the fix promised');
    // And the value the old fix suggested would indeed not start here (the outage the issue saw).
    if (shimCan) return;
    const over = spawnSync('docker', ['-H', `unix://${d.dir}/docker.sock`, 'run', '--rm', '--network', 'none', '-v', '/usr:/usr:ro', '--ulimit', `nofile=${shimHard + 1}:${shimHard + 1}`, IMAGE, '/usr/bin/true'], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(over.status, 0, 'a value above the runtime\'s hard limit fails to start here');
    assert.match(over.stderr, /rlimit|operation not permitted/i);
  }
});

/** The backlog (Send-Q) of the listener on `port` in the network namespace of `pid`. */
function backlogIn(pid: number, port: number): number {
  const r = spawnSync('nsenter', ['-n', '-t', String(pid), 'ss', '-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  const cols = r.stdout.trim().split(/\s+/);
  return Number(cols[2]);
}

function somaxconnIn(pid: number): number {
  return Number(spawnSync('nsenter', ['-n', '-t', String(pid), 'sysctl', '-n', 'net.core.somaxconn'], { encoding: 'utf8' }).stdout.trim());
}

test('live: the somaxconn fix for a container: nsenter helps only a new listen() in that namespace, docker restart re-applies --sysctl, the recreate with --sysctl works', { skip: missing ?? false, timeout: 180_000 }, async () => {
  assert.ok(d);
  const dk = d;
  const name = `sockdoc-somax-${uniq}`;
  const port = 8080;
  const opts = ['-d', '--name', name, '--network', 'none', '-v', '/usr:/usr:ro'];
  const listen = (n: number) => `import socket, time\ns = socket.socket(); s.bind(("127.0.0.1", ${port})); s.listen(${n}); time.sleep(600)`;
  const cmd = [IMAGE, '/usr/bin/python3', '-c', listen(511)];
  dk.docker(['run', ...opts, '--sysctl', 'net.core.somaxconn=16', ...cmd]);
  const pidOf = () => Number(dk.docker(['inspect', '-f', '{{.State.Pid}}', name]).trim());
  let pid = pidOf();
  await waitFor('the listener', () => (backlogIn(pid, port) > 0 ? true : null));
  assert.equal(backlogIn(pid, port), 16, 'listen(511) clamped to the container\'s somaxconn 16');
  const r = spawnSync(process.execPath, [cliPath, '--interval', '0', '--pid', String(pid), '--json'], { encoding: 'utf8', timeout: 60_000 });
  const diag = JSON.parse(r.stdout) as { findings: Array<{ id: string; subject: { pid?: number; pids?: number[] }; fix: string[] }> };
  const f = diag.findings.find((x) => x.id === 'backlog-clamped' && JSON.stringify(x.subject).includes(String(pid)) && x.fix.some((l) => l.includes(`-t ${pid} `)));
  assert.ok(f, `a backlog-clamped finding for the container: ${r.stdout.slice(0, 300)}`);
  const [recreate, now] = f.fix;
  assert.match(recreate, /^docker run --sysctl net\.core\.somaxconn=4096 \.\.\. {3}# recreate .* `docker restart` would re-apply the container's own --sysctl/);
  assert.match(now, new RegExp(`^nsenter -n -t ${pid} sysctl -w net\\.core\\.somaxconn=4096 {3}# now, until the container restarts or is recreated: helps only if .* calls listen\\(\\) again inside this same namespace`));

  // The relief line as printed: the value changes, the listener keeps its backlog, a new listen() there gets the new one.
  const ran = spawnSync('bash', ['-c', now], { encoding: 'utf8' });
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(somaxconnIn(pid), 4096);
  assert.equal(backlogIn(pid, port), 16, 'a listener keeps the backlog it got at listen()');
  const again = spawnSync('nsenter', ['-n', '-t', String(pid), '/usr/bin/python3', '-c', `import socket\ns = socket.socket(); s.bind(("127.0.0.1", ${port + 1})); s.listen(511)\nimport subprocess; print(subprocess.run(["ss", "-ltnH", "sport = :${port + 1}"], capture_output=True, text=True).stdout.split()[2])`], { encoding: 'utf8' });
  assert.equal(again.stdout.trim(), '511', 'a new listen() in the same namespace gets the new limit');
  // docker restart: a new namespace with the container's own --sysctl again; the relief is gone.
  dk.docker(['restart', '-t', '1', name]);
  pid = pidOf();
  await waitFor('the listener after docker restart', () => (backlogIn(pid, port) > 0 ? true : null));
  assert.equal(somaxconnIn(pid), 16, 'docker restart re-applies --sysctl net.core.somaxconn=16');
  assert.equal(backlogIn(pid, port), 16);
  // The recreate as printed, with the container's own options for `...`: the program listens anew with 4096.
  const m = /^docker run (.*) \.\.\.   #/.exec(recreate);
  assert.ok(m);
  dk.docker(['rm', '-f', name]);
  dk.docker(['run', ...opts, ...m[1].split(' '), ...cmd]);
  pid = pidOf();
  await waitFor('the listener of the recreated container', () => (backlogIn(pid, port) > 0 ? true : null));
  assert.equal(somaxconnIn(pid), 4096);
  assert.equal(backlogIn(pid, port), 511, 'the recreated container\'s listen(511) is no longer clamped');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../testing/paths.js';
import { UsageError, type Io } from './io.js';
import { run } from './limits.js';

async function runLimits(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, isTTY: false, stderrIsTTY: false, columns: 100 };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

const usage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && pattern.test(e.message) && !e.message.includes('\n');

test('limits --help prints usage and exits 0', async () => {
  const r = await runLimits(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: sockdoc limits \[PID\|NAME \.\.\.\]/);
});

test('bad arguments are one-line usage errors', async () => {
  await assert.rejects(runLimits(['--bogus']), usage(/bogus/));
  await assert.rejects(runLimits(['0']), usage(/'0' is not a process id/));
  await assert.rejects(runLimits(['--root', '/nonexistent-sockdoc']), usage(/no such directory/));
  await assert.rejects(runLimits(['31337', '--root', fixture('limits', 'pam')]), usage(/^no process 31337$/));
  await assert.rejects(runLimits(['nosuchname', '--root', fixture('limits', 'pam')]), usage(/no process named 'nosuchname'/));
});

test('NAME matches comm and explains every match; PIDs and names mix, each once', async () => {
  const r = await runLimits(['sshd', '4390', '--json', '--root', fixture('limits', 'pam')]);
  const list = JSON.parse(r.stdout) as Array<{ pid: number; source: { layer: string } }>;
  assert.deepEqual(list.map((o) => o.pid), [700, 4390, 4399]);
  assert.deepEqual(list.map((o) => o.source.layer), ['systemd', 'pam', 'pam']);
});

test('the JSON shape of issue 3', async () => {
  const r = await runLimits(['812', '--json', '--root', fixture('limits', 'systemd-unit')]);
  const [o] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(Object.keys(o), ['pid', 'name', 'soft', 'hard', 'chain', 'source', 'contradictions', 'fix', 'steps', 'notes']);
  assert.deepEqual(Object.keys(o.source as object), ['layer', 'pid', 'unit', 'file', 'setting', 'value', 'reason']);
  assert.deepEqual((o.chain as unknown[])[0], { pid: 812, name: 'api', soft: 65536, hard: 65536 });
  const steps = o.steps as Array<Record<string, unknown>>;
  assert.deepEqual(steps.map((s) => s.kind), ['relief', 'durable', 'restart']);
  assert.deepEqual(Object.keys(steps[2]), ['kind', 'title', 'lines', 'blastRadius']);
});

test('no PID or NAME: listeners and busy processes (none in a tree without sockets)', async () => {
  const r = await runLimits(['--root', fixture('limits', 'pam')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^No process to explain: /);
});

test('no PID or NAME: the listeners of every network namespace, a container\'s included', async () => {
  // docker-host: python3 7231 and 7333 listen inside two containers, nothing on the host's own namespace.
  const r = await runLimits(['--root', fixture('netns', 'docker-host'), '--json']);
  assert.equal(r.code, 0);
  const pids = (JSON.parse(r.stdout) as Array<{ pid: number }>).map((o) => o.pid);
  assert.ok(pids.includes(7231) && pids.includes(7333), JSON.stringify(pids));
});

test('a process in a container or pod is named by its container or pod, not its id alone', async () => {
  for (const [tree, pid, where] of [
    ['docker-leaks', 19437, /runs in the docker container web \([0-9a-f]{12}\)/],
    ['k8s-leaks', 20075, /runs in the pod shop\/web-6b8d0f2a4-k3m5p \(container web\)/],
  ] as const) {
    const r = await runLimits(['--root', fixture('netns', tree), String(pid), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [o] = JSON.parse(r.stdout) as Array<{ source: { reason: string } }>;
    assert.match(o.source.reason, where, tree);
  }
});

test('limits --container/--pod/--netns: only that namespace\'s processes; a pid elsewhere or a name nothing has is refused', async () => {
  const docker = fixture('netns', 'docker-leaks');
  const pidsOf = async (args: string[]) => (JSON.parse((await runLimits(['--root', docker, ...args, '--json'])).stdout) as Array<{ pid: number }>).map((o) => o.pid);
  assert.deepEqual(await pidsOf(['--container', 'web']), [19437], 'the default selection, inside web only');
  assert.deepEqual(await pidsOf(['--container', 'api']), [19525]);
  assert.deepEqual(await pidsOf(['--container', 'web', 'python3']), [19437], 'a name, matched inside web only (api runs python3 too)');
  await assert.rejects(runLimits(['--root', docker, '--container', 'api', '19437']), usage(/^process 19437 is not in docker container api \([0-9a-f]{12}\)$/));
  await assert.rejects(runLimits(['--root', docker, '--container', 'nope']), usage(/^--container "nope": no such container; looked for a container of that name, full id or unique id prefix .*; containers seen: /));
  const k8s = fixture('netns', 'k8s-leaks');
  const r = await runLimits(['--root', k8s, '--pod', 'shop/web-6b8d0f2a4-k3m5p', '--json']);
  assert.deepEqual((JSON.parse(r.stdout) as Array<{ pid: number }>).map((o) => o.pid), [20075]);
});

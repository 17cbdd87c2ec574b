/**
 * scripts/ci/troubled-host.sh, the host in trouble CI runs the suite beside: a second instance under
 * names of this run (its own namespace, state directory and mark; no container) makes every piece
 * of trouble it promises, sockdoc sees each one, and `stop` removes all of it. It refuses to take
 * over a namespace it did not make. (On CI the real one runs during the whole suite:
 * ci-environment.test.ts asserts that.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from './paths.js';
import { alive } from './live.js';
import { uniqueName } from './unique.js';

const SCRIPT = join(repoRoot, 'scripts', 'ci', 'troubled-host.sh');
const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v python3 && command -v setsid'], { stdio: 'ignore' }).status === 0;
const skip = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip, python3, setsid' : false;

interface Finding {
  id: string;
  subject: { pid?: number; port?: number; netns?: { name?: string } };
  evidence: Record<string, unknown>;
}

function script(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  assert.equal(r.error, undefined);
  return r;
}

test('troubled-host.sh: start makes full queues, CLOSE_WAIT leaks and processes at their fd limit; stop removes everything', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-th-test-'));
  const netns = uniqueName('th');
  const state = join(dir, 'state');
  const env = { SOCKDOC_TROUBLED_STATE: state, SOCKDOC_TROUBLED_NETNS: netns, SOCKDOC_TROUBLED_DOCKER: '0', SOCKDOC_TROUBLED_LIFETIME: '120' };
  let pids = new Map<string, number>();
  try {
    const started = script(['start'], env);
    assert.equal(started.status, 0, started.stdout + started.stderr);
    pids = new Map(readFileSync(join(state, 'pids'), 'utf8').trim().split('\n').map((l) => {
      const [pid, name] = l.split(' ');
      return [name, Number(pid)] as [string, number];
    }));
    assert.deepEqual([...pids.keys()].sort(), ['host-close-wait', 'host-fd-limit', 'host-full-clients', 'host-full-server', 'ns-8080-clients', 'ns-8080-server', 'ns-8889-clients', 'ns-8889-server', 'ns-close-wait', 'ns-many']);
    for (const [name, pid] of pids) assert.ok(alive(pid), `${name} (pid ${pid}) runs`);
    assert.ok(existsSync(`/run/netns/${netns}`));

    // What sockdoc says about this instance's pieces (and nothing else on this host).
    const r = spawnSync(process.execPath, [cliPath, '--json', '--interval', '1'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    const findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    const about = (pid: number) => findings.filter((f) => f.subject.pid === pid).map((f) => f.id);
    const inNs = findings.filter((f) => f.subject.netns?.name === netns);
    const full = (port: number) => inNs.find((f) => f.id === 'accept-queue-full' && f.subject.port === port);
    assert.deepEqual([full(8080)?.evidence.acceptQueue, full(8080)?.evidence.limit], [17, 16], JSON.stringify(inNs.map((f) => f.id)));
    assert.deepEqual([full(8889)?.evidence.acceptQueue, full(8889)?.evidence.limit], [129, 128]);
    const many = Array.from({ length: 64 }, (_, i) => 9000 + i).filter((p) => full(p)?.evidence.limit === 0);
    assert.equal(many.length, 64, `64 listen(0) queues full: ${many.length}`);
    assert.ok(about(pids.get('ns-8889-server')!).includes('fd-limit-exhausted'), 'the 8889 server is out of fds');
    const nsLeak = findings.find((f) => /^close-wait-(leak|churn)$/.test(f.id) && f.subject.pid === pids.get('ns-close-wait'));
    assert.equal(nsLeak?.evidence.closeWait, 120, 'CLOSE_WAIT in the namespace');
    assert.ok(about(pids.get('host-full-server')!).includes('accept-queue-full'), 'a full queue in the host namespace');
    const hostLeak = findings.find((f) => f.id === 'close-wait-leak' && f.subject.pid === pids.get('host-close-wait'));
    assert.equal(hostLeak?.evidence.closeWait, 200, 'CLOSE_WAIT leak in the host namespace');
    assert.ok(about(pids.get('host-fd-limit')!).includes('fd-limit-exhausted'), 'a process at its fd limit');

    const stopped = script(['stop'], env);
    assert.equal(stopped.status, 0, stopped.stderr);
    for (const [name, pid] of pids) assert.ok(!alive(pid), `${name} (pid ${pid}) was left running`);
    assert.ok(!existsSync(`/run/netns/${netns}`), 'the namespace was left');
    assert.ok(!existsSync(state), 'the state directory was left');
    assert.match(script(['stop'], env).stdout, /nothing to stop/, 'stop again: nothing to do, no error');
  } finally {
    script(['stop'], env);
    for (const pid of pids.values()) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('troubled-host.sh: a namespace of that name it did not make is refused, and left alone', { skip, timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-th-test-'));
  const netns = uniqueName('th-theirs');
  const env = { SOCKDOC_TROUBLED_STATE: join(dir, 'state'), SOCKDOC_TROUBLED_NETNS: netns, SOCKDOC_TROUBLED_DOCKER: '0' };
  spawnSync('ip', ['netns', 'add', netns]);
  try {
    const r = script(['start'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`a network namespace named ${netns} exists and is not this script's`));
    assert.ok(existsSync(`/run/netns/${netns}`));
    script(['stop'], env);
    assert.ok(existsSync(`/run/netns/${netns}`), 'stop never removes a namespace start did not make');
  } finally {
    spawnSync('ip', ['netns', 'del', netns]);
    rmSync(dir, { recursive: true, force: true });
  }
});

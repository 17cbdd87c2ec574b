/**
 * A real Redis started by hand (`redis-server ./redis.conf`: it rewrites its title, so no command
 * line names the file) in a private network namespace of this test, at its maxclients with real
 * clients: its file is found in its working directory and read at maxclients 4 (not "at most fd −
 * 32"); `why "ERR max number of clients reached"` answers with that Redis's cap; `port` never offers
 * to bind this password-less Redis to every address. Assertions are about this test's Redis only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSnapshot } from '../snapshot/build.js';
import { runRules } from '../rules/index.js';
import { scene } from '../testing/netns-peers.js';
import { findOnPath } from '../../scripts/bench/netns.js';
import { alive, sleep } from '../testing/live.js';
import { cliPath } from '../testing/paths.js';
import { uniqueName } from '../testing/unique.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : findOnPath('redis-server', '/usr/sbin:/usr/bin') === null ? 'needs redis-server (Debian package)' : false;

test('live: a title-rewritten Redis at maxclients: found by its working directory, answered by why, never exposed by port', { skip, timeout: 120_000 }, async (t) => {
  const sc = scene();
  const ns = uniqueName('sockdoc-whyr');
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-whyr-'));
  chmodSync(dir, 0o755);
  let redis = 0;
  t.after(() => {
    if (redis && alive(redis)) process.kill(redis, 'SIGKILL');
    sc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  sc.netns(ns);
  writeFileSync(join(dir, 'redis.conf'), ['bind 127.0.0.1', 'port 6399', 'maxclients 4', 'save ""', 'daemonize yes', 'pidfile redis.pid', 'logfile redis.log', ''].join('\n'));
  const started = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `cd '${dir}' && exec redis-server ./redis.conf`], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(started.status, 0, started.stderr);
  for (let i = 0; i < 100 && !redis; i++, await sleep(100)) {
    try {
      redis = Number(readFileSync(join(dir, 'redis.pid'), 'utf8').trim());
    } catch {
      // not written yet
    }
  }
  assert.ok(redis > 0 && alive(redis), 'redis-server runs');
  assert.match(readFileSync(`/proc/${redis}/cmdline`, 'latin1'), /^redis-server 127\.0\.0\.1:6399/, 'its title was rewritten: no argument names the file');
  await sc.peer(ns, ['clients', '6399', '12']);

  // The snapshot: the file from its working directory, maxclients 4 reached.
  let f;
  let inst;
  for (let i = 0; i < 40 && !f; i++, await sleep(250)) {
    const s = await buildSnapshot({ intervalMs: 0, pids: [redis] });
    inst = s.programs?.find((p) => p.pid === redis);
    f = runRules(s).find((x) => x.id === 'program-cap-reached' && x.subject.pid === redis);
  }
  assert.ok(f, `no cap finding; instance: ${JSON.stringify(inst)}`);
  assert.deepEqual([f.evidence.cap, f.evidence.atMost, f.evidence.capOrigin, f.evidence.capFile, f.evidence.capLine], [4, false, 'config', join(dir, 'redis.conf'), 3]);
  assert.match(inst?.configFrom ?? '', /working directory/);
  assert.match(inst?.unauthenticated ?? '', /without requirepass or an ACL/);

  // why: the Redis message is answered with this Redis's cap (the host may hold other trouble).
  const w = spawnSync(process.execPath, [cliPath, 'why', '--json', '--interval', '0', `Error: ERR max number of clients reached`], { encoding: 'utf8', timeout: 90_000 });
  const doc = JSON.parse(w.stdout) as { exitCode: number; answers: Array<{ recognised: { id: string }; scope: { pids: number[] }; conditions: Array<{ id: string; state: string; detail: string[] }> }> };
  const a = doc.answers[0];
  assert.equal(a.recognised.id, 'redis-max-clients');
  assert.ok(a.scope.pids.includes(redis), JSON.stringify(a.scope));
  const cap = a.conditions.find((c) => c.id === 'program-cap')!;
  assert.equal(cap.state, 'holds', JSON.stringify(cap));
  assert.ok(cap.detail.some((d) => d.includes(`pid ${redis}`) && d.includes('maxclients 4')), cap.detail.join(' | '));
  assert.equal(w.status, 2);

  // port: loopback only, and the bind advice is withheld for this password-less Redis.
  const p = spawnSync(process.execPath, [cliPath, 'port', '6399', '--netns', ns, '--interval', '0', '--json'], { encoding: 'utf8', timeout: 60_000 });
  const port = JSON.parse(p.stdout) as { verdict: string; fix: string[]; fixOrder: string };
  assert.equal(port.verdict, 'loopback-only');
  assert.match(port.fix[0], new RegExp(`^# not offered: binding Redis \\(pid ${redis}\\) in netns ${ns} to 0\\.0\\.0\\.0`));
  assert.ok(!port.fix.some((l) => !l.startsWith('#') && /0\.0\.0\.0/.test(l)), port.fix.join('\n'));
  assert.equal(port.fixOrder, 'findings-first', 'the critical cap is fixed before anything about the verdict');
});

/**
 * The filters say what they looked for and accept what docker accepts: `--container` by full id,
 * exact name, then an id prefix of any length that one container has (docker's GetContainer rule);
 * a prefix two share is refused naming both; a miss says "no such container" and how it looked;
 * `--pod` without NAMESPACE/NAME is refused before anything is read; a filtered report keeps a
 * host-wide finding only when it fails now, and a per-user one only for its users.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildSnapshot } from './build.js';
import { matchNetns } from './select-netns.js';
import { cliPath, fixture, repoRoot } from '../testing/paths.js';
import { filterFindings } from '../render/filter.js';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import type { Finding } from '../rules/types.js';

const HOST = fixture('netns', 'docker-host');

test('--container: full id, name, then a unique id prefix of any length (one character too); ambiguous prefixes name the candidates', async () => {
  const s = await buildSnapshot({ root: HOST });
  const name = (q: string) => matchNetns(s, { container: q }).map((n) => n.name);
  assert.deepEqual(name('web'), ['web']);
  assert.deepEqual(name('7d67eaab97b9c18fe48dde424225143e64bcc4ece8856c0b9f7d4ef5b49ddc96'), ['web']);
  assert.deepEqual(name('7'), ['web'], 'one hex digit, one container');
  assert.deepEqual(name('f8f'), ['api']);
  // A prefix both have: copy api's first digit onto a second container and ask by it.
  const twin = structuredClone(s.namespaces.find((n) => n.name === 'web')!);
  twin.inode = 4026539999;
  twin.container = { ...twin.container!, id: `f8${twin.container!.id.slice(2)}`, name: 'web2' };
  const both = { ...s, namespaces: [...s.namespaces, twin] };
  assert.throws(() => matchNetns(both, { container: 'f8' }), /--container "f8" is ambiguous: it names .*api.*web2.*\(container ids f8f5e30c2887, f867eaab97b9: a longer prefix picks one\)/);
  assert.deepEqual(matchNetns(both, { container: 'f8f' }).map((n) => n.name), ['api']);
  // A miss: what it looked for, and the containers there are.
  assert.throws(() => matchNetns(s, { container: 'nosuch' }), /^Error: --container "nosuch": no such container; looked for a container of that name, full id or unique id prefix among the 3 network namespaces read, .*containers seen: api \(f8f5e30c2887\), web \(7d67eaab97b9\)$/);
  assert.throws(() => matchNetns(s, { container: '0' }), /no such container/);
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

for (const cmd of [[], ['sockets'], ['port', '80'], ['limits']]) {
  test(`--pod without NAMESPACE/NAME is refused with the expected form (sockdoc ${cmd.join(' ') || 'diagnose'})`, () => {
    const r = cli([...cmd, '--root', HOST, '--pod', 'nosuch']);
    assert.equal(r.status, 3, r.stdout);
    assert.match(r.stderr, /^sockdoc: --pod "nosuch": give NAMESPACE\/NAME, as kubectl names a pod/);
    const c = cli([...cmd, '--root', HOST, '--container', 'nosuch']);
    assert.equal(c.status, 3);
    assert.match(c.stderr, /^sockdoc: --container "nosuch": no such container; /);
  });
}

test('watch (live only): --pod without a slash is refused before it samples', () => {
  const r = cli(['watch', '--count', '1', '--pod', 'nosuch']);
  assert.equal(r.status, 3, r.stdout);
  assert.match(r.stderr, /^sockdoc: --pod "nosuch": give NAMESPACE\/NAME/);
});

test('a filtered report: host-wide history (info) left out, what fails host-wide now kept; inotify only for the filtered processes\' users', () => {
  const s = snapshot({ processes: [proc({ pid: 10, name: 'app', uid: 1000 }), proc({ pid: 20, name: 'other', uid: 1001 })], listeners: [listener({ port: 8080, pids: [10] })] });
  const f = (id: string, severity: Finding['severity'], subject: Finding['subject']): Finding => ({ id, severity, subject, title: id, evidence: {}, explain: '', fix: [] });
  const all = [f('netdev-backlog-drops', 'info', {}), f('system-file-table-near', 'critical', {}), f('inotify-instances-exhausted', 'critical', { uid: 1000 }), f('inotify-instances-exhausted', 'critical', { uid: 1001 })];
  for (const filter of [{ pid: 10 }, { port: 8080 }]) {
    const kept = filterFindings(all, s, filter).map((x) => `${x.id}${x.subject.uid ?? ''}`);
    assert.deepEqual(kept, ['system-file-table-near', 'inotify-instances-exhausted1000'], JSON.stringify(filter));
  }
  assert.equal(filterFindings(all, s, {}).length, 4, 'unfiltered: everything');
});

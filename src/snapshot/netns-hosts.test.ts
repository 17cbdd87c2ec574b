/**
 * Container hosts captured from real kernels (scripts/fixtures/make-netns-hosts.sh): a docker host
 * with two containers and a Kubernetes node with two pods. The full queue is found in the container
 * or pod it is in, named as its user knows it, against that namespace's somaxconn (16) while the
 * host's is 4096; the healthy container or pod gets no finding. Golden outputs: hosts-golden.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from './build.js';
import { runRules } from '../rules/index.js';
import { fixture } from '../testing/paths.js';
import { matchNetns, restrictToNetns } from './select-netns.js';
import { netnsLabel } from './netns-names.js';
import { describeScope, NetnsScopeError } from './netns-plan.js';

test('docker host: containers named from config.v2.json, each judged against its own somaxconn', async () => {
  const s = await buildSnapshot({ root: fixture('netns', 'docker-host') });
  assert.deepEqual(s.namespaces.map((n) => `${n.kind}:${n.name}`), ['host:host', 'docker:api', 'docker:web']);
  const web = s.namespaces.find((n) => n.name === 'web')!;
  const api = s.namespaces.find((n) => n.name === 'api')!;
  assert.equal(web.container?.runtime, 'docker');
  assert.equal(web.container?.image, 'sockdoc-fixture:rootfs');
  assert.match(netnsLabel(web), /^docker container web \([0-9a-f]{12}\)$/);
  assert.equal(web.tunables['net.core.somaxconn'], 16);
  assert.equal(api.tunables['net.core.somaxconn'], 4096);
  assert.equal(s.namespaces[0].tunables['net.core.somaxconn'], 4096);
  assert.equal(web.socketSource, 'proc');
  const findings = runRules(s);
  const full = findings.find((f) => f.id === 'accept-queue-full');
  assert.equal(full?.subject.netns?.name, 'web');
  assert.equal(full?.evidence.somaxconn, 16);
  assert.ok(!findings.some((f) => f.subject.netns?.name === 'api'), 'the healthy container stays quiet');
  // --container web narrows everything to it; an id prefix works as docker's does.
  const only = restrictToNetns(s, matchNetns(s, { container: web.container!.id.slice(0, 6) }));
  assert.deepEqual(only.namespaces.map((n) => n.name), ['web']);
  assert.ok(only.listeners.every((l) => l.netns === web.inode));
  assert.equal(only.tunables['net.core.somaxconn'], 16);
});

test('Kubernetes node: pods named from the kubepods cgroup and /var/log/pods', async () => {
  const s = await buildSnapshot({ root: fixture('netns', 'k8s-node') });
  const pods = s.namespaces.filter((n) => n.kind === 'kubernetes');
  assert.deepEqual(pods.map((n) => n.name).sort(), ['shop/cart-5c8d7f9b4-q7w2n', 'shop/web-7d9f8c6b5-x2x4q']);
  const web = pods.find((n) => n.pod?.name === 'web-7d9f8c6b5-x2x4q')!;
  assert.equal(web.pod?.uid, '3f1e7c52-9a4d-4b8e-a1c6-2d5f8e9b0a17');
  assert.deepEqual(web.pod?.containers, ['web']);
  assert.equal(web.container?.name, 'web');
  assert.equal(web.container?.runtime, 'containerd');
  assert.equal(netnsLabel(web), 'pod shop/web-7d9f8c6b5-x2x4q (container web)');
  const findings = runRules(s);
  const full = findings.find((f) => f.id === 'accept-queue-full');
  assert.equal(full?.title, 'Accept queue of 127.0.0.1:8080 in pod shop/web-7d9f8c6b5-x2x4q (container web) is full: 17 waiting, limit 16');
  assert.ok(!findings.some((f) => f.subject.netns?.pod?.name.startsWith('cart')), 'the healthy pod stays quiet');
  assert.deepEqual(matchNetns(s, { pod: 'shop/cart-5c8d7f9b4-q7w2n' }).map((n) => n.pod?.name), ['cart-5c8d7f9b4-q7w2n']);
  assert.throws(() => matchNetns(s, { pod: 'shop/nope' }), /--pod "shop\/nope": no such pod; looked for NAMESPACE\/NAME among the pods .*; pods seen: shop\//);
  // Both exist, but not together: said as such, not "no such namespace".
  assert.throws(() => matchNetns(s, { netns: 'host', pod: 'shop/cart-5c8d7f9b4-q7w2n' }), /^Error: --netns "host" and --pod "shop\/cart-5c8d7f9b4-q7w2n" name different network namespaces \(--pod "shop\/cart-5c8d7f9b4-q7w2n" is pod shop\/cart-5c8d7f9b4-q7w2n \(container cart\) \[\d+\]\): give one$/);
});

test('a scoped read: the namespace resolved by name first, then it alone read; the same snapshot as reading all and narrowing', async () => {
  for (const [tree, scope] of [['docker-host', { container: 'web' }], ['k8s-node', { pod: 'shop/web-7d9f8c6b5-x2x4q' }], ['docker-host', { netns: 'host' }]] as const) {
    const whole = await buildSnapshot({ root: fixture('netns', tree) });
    const narrowed = restrictToNetns(whole, matchNetns(whole, scope));
    const scoped = await buildSnapshot({ root: fixture('netns', tree), scope });
    assert.deepEqual(scoped.scope, { asked: describeScope(scope), read: 1, seen: whole.namespaces.length }, tree);
    assert.deepEqual(scoped.namespaces.map((n) => n.inode), narrowed.namespaces.map((n) => n.inode));
    assert.deepEqual(scoped.namespaces[0].tunables, narrowed.namespaces[0].tunables);
    assert.deepEqual(scoped.listeners, narrowed.listeners);
    assert.deepEqual(scoped.processes.map((p) => p.pid), narrowed.processes.map((p) => p.pid));
    assert.deepEqual(runRules(scoped).map((f) => f.title), runRules(narrowed).map((f) => f.title));
  }
  // Only the namespace's processes were scanned: the host's are not even read.
  const web = await buildSnapshot({ root: fixture('netns', 'docker-host'), scope: { container: 'web' } });
  assert.ok(web.processes.every((p) => p.netns === web.namespaces[0].inode), web.processes.map((p) => `${p.pid}:${p.netns}`).join(' '));
  // A name nothing has is the same one-line error, before anything is read.
  await assert.rejects(buildSnapshot({ root: fixture('netns', 'docker-host'), scope: { container: 'nope' } }), (err: Error) => err instanceof NetnsScopeError && /^--container "nope": no such container; looked for a container of that name, full id or unique id prefix .*; containers seen: /.test(err.message));
  // --pid: that process's namespace.
  const pid = web.namespaces[0].pids[0];
  const byPid = await buildSnapshot({ root: fixture('netns', 'docker-host'), scope: { pid } });
  assert.deepEqual(byPid.namespaces.map((n) => n.name), ['web']);
  assert.equal(byPid.scope?.asked, `--pid ${pid}`);
});

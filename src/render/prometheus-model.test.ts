import test from 'node:test';
import assert from 'node:assert/strict';
import { buildMetricsModel } from './prometheus-model.js';
import { MetricsRenderer } from './prometheus.js';
import { seedDiagnosis } from './test-data.js';

test('a process in a network namespace that was not read is not labelled "host", and its sockets are absent, not 0', async () => {
  const { snapshot } = seedDiagnosis();
  const host = snapshot.namespaces[0]!;
  const [inHost, inContainer] = snapshot.processes.filter((p) => p.name === 'server' || p.name === 'node');
  inHost!.netns = host.inode;
  inContainer!.netns = host.inode + 4242;
  inContainer!.sockets = {};
  const selected = new Map([[inHost!.pid, ['top' as const]], [inContainer!.pid, ['usage' as const]]]);
  const model = buildMetricsModel(snapshot, [], selected, new Map(), new Map());
  const byPid = new Map(model.processes.map((p) => [Number(p.labels.pid), p]));
  assert.equal(byPid.get(inHost!.pid)!.labels.netns, host.name);
  assert.equal(byPid.get(inContainer!.pid)!.labels.netns, `netns:[${host.inode + 4242}]`);
  assert.equal(byPid.get(inContainer!.pid)!.sockets, null);
  const text = await new MetricsRenderer().render({ model, scrapeSeconds: 0, snapshotSeconds: 0, ageSeconds: 0, timedOut: false, version: 't', rssBytes: 1 });
  const sockets = text.split('\n').filter((l) => l.startsWith('sockdoc_process_sockets{'));
  assert.ok(sockets.some((l) => l.includes(`pid="${inHost!.pid}"`)));
  assert.ok(!sockets.some((l) => l.includes(`pid="${inContainer!.pid}"`)), 'no sockets series for the unread namespace');
  assert.ok(text.includes(`sockdoc_process_open_fds{netns="netns:[${host.inode + 4242}]"`));
});

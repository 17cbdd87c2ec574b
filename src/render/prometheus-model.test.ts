import test from 'node:test';
import assert from 'node:assert/strict';
import { buildMetricsModel, capProcesses, distinctNetnsNames, selectListeners, selectProcesses } from './prometheus-model.js';
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

test('--max-listeners: 2,000 listeners give 500 listener series; the one with a finding and the fullest queues are kept, the rest counted per namespace', async () => {
  const { snapshot, findings } = seedDiagnosis();
  const host = snapshot.namespaces[0]!;
  const template = snapshot.listeners[0]!;
  const many = Array.from({ length: 2000 }, (_, i) => ({
    ...template,
    netns: host.inode,
    address: '127.0.0.1',
    port: 20000 + i,
    inode: 900000 + i,
    // Every 7th is a quarter full, port 21999 is 90% full, the rest empty.
    acceptQueue: i === 1999 ? 115 : i % 7 === 0 ? 32 : 0,
    backlog: 128,
    pids: [],
    owners: [],
  }));
  const named = snapshot.listeners.filter((l) => findings.some((f) => f.subject.port === l.port));
  assert.ok(named.length > 0, 'the seed has a listener with a finding');
  // The finding's listener has an empty queue here: it is kept for its finding, not its fill.
  for (const l of named) l.acceptQueue = 0;
  snapshot.listeners = [...many, ...snapshot.listeners];
  const total = snapshot.listeners.length;
  const cut = selectListeners(snapshot, findings, 500);
  const model = buildMetricsModel(snapshot, findings, new Map(), new Map(), new Map(), cut);
  assert.equal(model.listeners.length, 500);
  const ports = new Set(model.listeners.map((l) => Number(l.labels.port)));
  for (const l of named) assert.ok(ports.has(l.port), `listener ${l.port} with a finding kept`);
  assert.ok(ports.has(21999), 'the fullest queue kept');
  const quarter = many.filter((l) => l.acceptQueue === 32).length;
  assert.ok(quarter + 1 + named.length <= 500);
  for (const l of many) if (l.acceptQueue === 32) assert.ok(ports.has(l.port), `quarter-full ${l.port} kept before empty ones`);
  const ns = model.namespaces.find((n) => n.labels.netns === host.name)!;
  assert.deepEqual(ns.listeners, { total, dropped: total - 500 });
  // Same input, same cut: series do not come and go between scrapes.
  assert.deepEqual(selectListeners(snapshot, findings, 500).kept.map((k) => k.listener.port), cut.kept.map((k) => k.listener.port));
  const text = await new MetricsRenderer().render({ model, scrapeSeconds: 0, snapshotSeconds: 0, ageSeconds: 0, timedOut: false, version: 't', rssBytes: 1 });
  assert.equal(text.split('\n').filter((l) => l.startsWith('sockdoc_listener_accept_queue{')).length, 500);
  assert.match(text, new RegExp(`^sockdoc_listeners_dropped\\{netns="${host.name}".*\\} ${total - 500}$`, 'm'));
});

test('listener owners beyond --max-listeners get no per-process series for being owners', () => {
  const { snapshot, findings } = seedDiagnosis();
  const cut = selectListeners(snapshot, findings, 1);
  const owners = new Set(cut.kept.flatMap((k) => k.listener.pids));
  const selected = selectProcesses(snapshot, { usageRatio: 1, top: 0 }, cut.kept.map((k) => k.listener));
  assert.deepEqual([...selected.keys()].sort(), [...owners].filter((p) => snapshot.processes.some((x) => x.pid === p)).sort());
  assert.ok(snapshot.listeners.length > 1);
});

test('--max-processes: the selected processes nearest their limit are kept, the rest counted', () => {
  const { snapshot } = seedDiagnosis();
  const all = selectProcesses(snapshot, { usageRatio: 0.0001, top: 10_000 });
  assert.ok(all.size > 2);
  const { kept, dropped } = capProcesses(snapshot, all, 2);
  assert.equal(kept.size, 2);
  assert.equal(dropped, all.size - 2);
  const use = (pid: number) => {
    const p = snapshot.processes.find((x) => x.pid === pid)!;
    return p.fds.open! / p.fds.soft!;
  };
  const keptUse = Math.min(...[...kept.keys()].map(use));
  for (const pid of all.keys()) if (!kept.has(pid)) assert.ok(use(pid) <= keptUse, `pid ${pid} dropped before a less full one`);
  assert.deepEqual([...kept.keys()], [...kept.keys()].sort((a, b) => a - b), 'ascending pid');
  assert.deepEqual(capProcesses(snapshot, all, 1000), { kept: new Map(all), dropped: 0 });
});

test('findings are bounded with the listeners that have series: a finding about a cut listener is counted in sockdoc_findings_dropped', async () => {
  const { snapshot, findings } = seedDiagnosis();
  const host = snapshot.namespaces[0]!;
  const template = snapshot.listeners[0]!;
  // 1,500 full listen(0) queues, each with its finding (what any local user can make).
  const many = Array.from({ length: 1500 }, (_, i) => ({ ...template, netns: host.inode, address: '127.0.0.1', port: 30000 + i, inode: 800000 + i, acceptQueue: 1, backlog: 0, pids: [], owners: [] }));
  snapshot.listeners = [...many, ...snapshot.listeners];
  const fullTemplate = findings.find((f) => f.subject.port !== undefined)!;
  const extra = many.map((l) => ({ ...fullTemplate, subject: { address: l.address, port: l.port, netns: host } }));
  const all = [...findings, ...extra];
  const cut = selectListeners(snapshot, all, 500);
  const model = buildMetricsModel(snapshot, all, new Map(), new Map(), new Map(), cut, 0, 500);
  const listenerFindings = model.findings.filter((f) => f.labels.port !== '');
  const kept = new Set(model.listeners.map((l) => l.labels.port));
  assert.equal(kept.size, 500);
  for (const f of listenerFindings) assert.ok(kept.has(f.labels.port), `finding on ${f.labels.port} has its listener series`);
  // Every listener beyond the 500 with series loses its finding, and is counted.
  assert.ok(model.findingsDropped >= 1500 + 2 - 500 - findings.length, String(model.findingsDropped));
  assert.ok(model.findings.length + model.findingsDropped <= all.length);
  const text = await new MetricsRenderer().render({ model, scrapeSeconds: 0, snapshotSeconds: 0, ageSeconds: 0, timedOut: false, version: 't', rssBytes: 1 });
  assert.match(text, new RegExp(`^sockdoc_findings_dropped ${model.findingsDropped}$`, 'm'));
});

test('two namespaces whose names read the same once cut keep distinct netns labels (their inode appended); an ESC and a literal backslash read apart', () => {
  const { snapshot } = seedDiagnosis();
  const host = snapshot.namespaces[0]!;
  const esc = { ...host, inode: 4026532001, kind: 'netns' as const, name: 'atkE\x1b' };
  const literal = { ...host, inode: 4026532002, kind: 'netns' as const, name: 'atkE\\x1b' };
  const longA = { ...host, inode: 4026532003, kind: 'netns' as const, name: `${'p'.repeat(130)}-a` };
  const longB = { ...host, inode: 4026532004, kind: 'netns' as const, name: `${'p'.repeat(130)}-b` };
  snapshot.namespaces = [host, esc, literal, longA, longB];
  const model = buildMetricsModel(snapshot, [], new Map(), new Map(), new Map());
  const names = model.namespaces.map((n) => n.labels.netns);
  assert.equal(new Set(names).size, names.length, names.join(' | '));
  // The escape is unambiguous (src/safety/terminal.ts): an ESC byte is \x1b, a literal backslash before x is \\.
  assert.deepEqual(names.slice(1, 3), ['atkE\\x1b', 'atkE\\\\x1b'], names.join(' | '));
  assert.ok(names[3].endsWith(' [4026532003]') && names[4].endsWith(' [4026532004]'), names.join(' | '));
  for (const n of names) assert.ok(Array.from(n).length <= 128, n);
  assert.equal(names[0], host.name, 'a name nobody shares is left as it is');
});

test('a namespace nothing names is labelled by its inode alone: the label stays when its first process exits', () => {
  const { snapshot } = seedDiagnosis();
  const host = snapshot.namespaces[0]!;
  const before = { ...host, inode: 4026532246, kind: 'other' as const, name: 'netns 4026532246 (pid 16302 sh)' };
  const after = { ...before, name: 'netns 4026532246 (pid 16304 python3)' };
  const label = (ns: typeof before) => {
    snapshot.namespaces = [host, ns];
    return buildMetricsModel(snapshot, [], new Map(), new Map(), new Map()).namespaces.map((n) => n.labels.netns);
  };
  assert.deepEqual(label(before), [host.name, 'netns 4026532246']);
  assert.deepEqual(label(after), label(before));
});

test('the host keeps netns="host" whatever else is called host: the other namespace gets its inode', () => {
  const { snapshot } = seedDiagnosis();
  const host = snapshot.namespaces[0]!;
  assert.equal(host.kind, 'host');
  // A name that reached the model unchanged (older naming, a capture) and one that reads "host [INODE]" literally.
  const fake = { ...host, inode: 4026532101, kind: 'lxc' as const, name: 'host' };
  const literal = { ...host, inode: 4026532102, kind: 'netns' as const, name: 'host [4026532101]' };
  snapshot.namespaces = [fake, literal, host];
  const names = distinctNetnsNames(snapshot);
  assert.equal(names.get(host.inode), 'host');
  assert.equal(names.get(4026532101), 'host [4026532101]');
  assert.equal(names.get(4026532102), 'host [4026532101] [4026532102]', 'a name made to read like another one gets its own inode too');
  assert.equal(new Set(names.values()).size, 3);
});

test('--max-namespaces: 2,000 namespaces give series for the cap only: the host, the one with a finding, the one whose listener has series, then those holding sockets; the rest counted', async () => {
  const { snapshot, findings } = seedDiagnosis();
  const host = snapshot.namespaces[0]!;
  const base = 4026540000;
  const made = Array.from({ length: 2000 }, (_, i) => ({
    ...host,
    inode: base + i,
    kind: 'netns' as const,
    name: `tenant-${String(i).padStart(4, '0')}`,
    pids: [],
    listenerCount: 0,
    // Most are empty (nothing read); every 100th holds sockets.
    ...(i % 100 === 0 ? {} : { empty: true }),
  }));
  snapshot.namespaces = [host, ...made];
  // A listener with series in tenant-1999 (empty otherwise sorts last), a critical finding about tenant-1998.
  const listener = { ...snapshot.listeners[0]!, netns: base + 1999, port: 9400, inode: 777001, owners: [], pids: [] };
  snapshot.listeners = [...snapshot.listeners, listener];
  const critical = { ...findings.find((f) => f.severity === 'critical')!, subject: { netns: { inode: base + 1998, kind: 'netns' as const, name: 'tenant-1998' } } };
  const all = [...findings, critical];
  const cut = selectListeners(snapshot, all, 500);
  const model = buildMetricsModel(snapshot, all, new Map(), new Map(), new Map(), cut, 0, Infinity, 5);
  const kept = model.namespaces.map((n) => n.labels.netns);
  assert.equal(kept.length, 5);
  assert.equal(kept[0], host.name, 'the host first, always');
  assert.ok(kept.includes('tenant-1998'), 'the namespace a critical finding is about');
  assert.ok(kept.includes('tenant-1999'), 'the namespace whose listener has series');
  // Then those holding sockets (every 100th), by name: tenant-0000 and tenant-0100.
  assert.deepEqual(kept.filter((n) => n !== host.name && n !== 'tenant-1998' && n !== 'tenant-1999').sort(), ['tenant-0000', 'tenant-0100']);
  assert.equal(model.namespacesSeen, 2001);
  assert.equal(model.namespacesEmpty, 1980);
  const text = await new MetricsRenderer().render({ model, scrapeSeconds: 0, snapshotSeconds: 0, ageSeconds: 0, timedOut: false, version: 't', rssBytes: 1 });
  assert.match(text, /^sockdoc_namespaces_seen 2001$/m);
  assert.match(text, /^sockdoc_namespaces_empty 1980$/m);
  assert.match(text, /^sockdoc_namespaces_dropped 1996$/m);
  assert.equal(text.split('\n').filter((l) => l.startsWith('sockdoc_namespace_info{')).length, 5);
  // Beyond the cap no namespace series at all; the listener's and the finding's own series stay.
  assert.ok(!text.includes('netns="tenant-0200"'));
  assert.ok(text.includes('sockdoc_listener_accept_queue{netns="tenant-1999"'));
  // The same input gives the same cut: series do not come and go between scrapes.
  const again = buildMetricsModel(snapshot, all, new Map(), new Map(), new Map(), cut, 0, Infinity, 5);
  assert.deepEqual(again.namespaces.map((n) => n.labels.netns), kept);
  // Under the cap: every namespace, in the snapshot's order.
  const loose = buildMetricsModel(snapshot, all, new Map(), new Map(), new Map(), cut);
  assert.equal(loose.namespaces.length, 2001);
});

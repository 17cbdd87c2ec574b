import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MetricsRenderer, type ScrapeContext } from './prometheus.js';
import type { MetricsModel } from './prometheus-model.js';

const ns = { netns: 'evil\\ns"x', container: '', pod: '', pod_namespace: '' };

function model(program: string): MetricsModel {
  return {
    listeners: [{ labels: { ...ns, address: '::', port: '80', socket: '0' }, owner: { program, pid: '7' }, acceptQueue: 3, backlog: null, synRecv: 0, queuedEstablished: 3, queuedCloseWait: 0, drops: 108, acceptWaitMaxSeconds: 4.144, acceptWaitMedianSeconds: 2.5 }],
    processes: [
      {
        labels: { ...ns, pid: '7', program, unit: '' },
        openFds: 10,
        softLimit: null,
        hardLimit: 20,
        sockets: { LISTEN: 1 },
        fdKinds: { tcp: 1, eventpoll: 6, device: 3 },
        selectedBy: ['listener'],
        limit: { layer: 'shell', unit: '', file: '/etc/x\ny', setting: 'ulimit -n 20' },
      },
    ],
    namespaces: [{ labels: ns, select: '', listeners: { total: 3, dropped: 2 }, counters: { 'TcpExt.ListenOverflows': 5, 'Tcp.CurrEstab': 2 }, tunables: { 'net.core.somaxconn': 4096 } as never, ageSeconds: 0 }],
    host: { filesAllocated: 1, filesMax: 9.2e18, nrOpen: null },
    findings: [{ labels: { ...ns, id: 'accept-queue-full', pid: '7', program, address: '::', port: '80' }, severity: 'critical' }],
    probes: [{ probe: 'net-tcp', seconds: 0.01, success: true }],
    processesSeen: 1,
    processesDropped: 0,
    findingsDropped: 0,
    namespacesSeen: 1,
    namespacesEmpty: 0,
    namespacesCarried: 0,
    namespacesUnread: 0,
    namespacesMaxAgeSeconds: 0,
    partial: false,
  };
}

const ctx = (m: MetricsModel | null, timedOut = false): ScrapeContext => ({ model: m, scrapeSeconds: 0.5, snapshotSeconds: m ? 0.4 : null, ageSeconds: m ? 0 : null, timedOut, version: '1.2.3', rssBytes: 1000 });

test('hostile names stay inside their label value: every sample is one line, promtool accepts it', async () => {
  const text = await new MetricsRenderer().render(ctx(model('a"b\nc\\d}{x="1"')));
  const line = text.split('\n').find((l) => l.startsWith('sockdoc_listener_info{'));
  // The newline is shown as the two characters \n (labelSafe), then escaped by the text format; the
  // namespace's literal backslash before n is shown as \\ (it would read as a newline otherwise).
  assert.equal(line, 'sockdoc_listener_info{netns="evil\\\\\\\\ns\\"x",container="",pod="",pod_namespace="",address="::",port="80",socket="0",program="a\\"b\\\\nc\\\\d}{x=\\"1\\"",pid="7"} 1');
  for (const l of text.split('\n')) assert.ok(l === '' || l.startsWith('#') || /^sockdoc_[a-z_]+(\{.*\})? \S+$/.test(l), `not one sample: ${l}`);
  if (spawnSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' }).status === 0) {
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
  }
});

test('unknown values are absent, not zero; counters keep their kernel value', async () => {
  const text = await new MetricsRenderer().render(ctx(model('srv')));
  assert.doesNotMatch(text, /^sockdoc_listener_backlog\{/m, 'backlog unknown: no sample');
  assert.doesNotMatch(text, /^sockdoc_process_fd_soft_limit\{/m, 'unlimited: no sample');
  assert.doesNotMatch(text, /^sockdoc_host_nr_open /m);
  assert.match(text, /^# TYPE sockdoc_tcpext_listen_overflows_total counter$/m);
  assert.match(text, /^sockdoc_tcpext_listen_overflows_total\{.*\} 5$/m);
  assert.match(text, /^sockdoc_process_sockets\{.*state="CLOSE_WAIT"\} 0$/m);
  assert.match(text, /^sockdoc_process_fd_limit_info\{.*layer="shell".*file="\/etc\/x\\\\ny",setting="ulimit -n 20"\} 1$/m);
  assert.match(text, /^sockdoc_listeners\{.*\} 3$/m);
  assert.match(text, /^sockdoc_listeners_dropped\{.*\} 2$/m);
  assert.match(text, /^sockdoc_scrape_partial 0$/m);
});

test('each listener\'s drops are a counter, its accept waits gauges of seconds; unknown ones are absent', async () => {
  const m = model('srv');
  const text = await new MetricsRenderer().render(ctx(m));
  assert.match(text, /^# TYPE sockdoc_listener_drops_total counter$/m);
  assert.match(text, /^sockdoc_listener_drops_total\{netns=".*",address="::",port="80",socket="0"\} 108$/m);
  assert.match(text, /^# TYPE sockdoc_listener_accept_wait_max_seconds gauge$/m);
  assert.match(text, /^sockdoc_listener_accept_wait_max_seconds\{.*port="80",socket="0"\} 4\.144$/m);
  assert.match(text, /^sockdoc_listener_accept_wait_median_seconds\{.*port="80",socket="0"\} 2\.5$/m);
  m.listeners[0] = { ...m.listeners[0], drops: null, acceptWaitMaxSeconds: null, acceptWaitMedianSeconds: null };
  const unknown = await new MetricsRenderer().render(ctx(m));
  assert.doesNotMatch(unknown, /^sockdoc_listener_(drops_total|accept_wait_\w+)\{/m);
});

test('a scrape without data carries only the exporter series, marked timed out and partial', async () => {
  const text = await new MetricsRenderer().render(ctx(null, true));
  assert.match(text, /^sockdoc_scrape_timed_out 1$/m);
  assert.match(text, /^sockdoc_scrape_partial 1$/m);
  assert.doesNotMatch(text, /^sockdoc_(listener|process|finding|tcpext|host)/m);
});

test('concurrent renders of different scrapes do not mix their values', async () => {
  const r = new MetricsRenderer();
  const a = model('alpha');
  const b = model('beta');
  b.listeners[0].acceptQueue = 99;
  const texts = await Promise.all([r.render(ctx(a)), r.render(ctx(b)), r.render(ctx(a)), r.render(ctx(null, true))]);
  assert.match(texts[0], /^sockdoc_listener_info\{.*program="alpha",pid="7"\} 1$/m);
  assert.match(texts[0], /^sockdoc_listener_accept_queue\{.*socket="0"\} 3$/m);
  assert.doesNotMatch(texts[0], /beta/);
  assert.match(texts[1], /^sockdoc_listener_accept_queue\{.*socket="0"\} 99$/m);
  assert.doesNotMatch(texts[1], /alpha/);
  assert.equal(texts[2], texts[0]);
  assert.doesNotMatch(texts[3], /alpha|beta/);
});

test('every label of every family goes through labelSafe: controls in a container, unit or file name are escaped, long values cut', async () => {
  const m = model('srv');
  const evil = { netns: 'pod\x1b[2J', container: 'c\u202eexe.txt', pod: 'p'.repeat(500), pod_namespace: 'ns\x00' };
  m.listeners[0].labels = { ...m.listeners[0].labels, ...evil };
  m.processes[0].labels = { ...m.processes[0].labels, ...evil, unit: 'x\x9b.service' };
  m.processes[0].limit = { layer: 'systemd', unit: 'u\x07', file: '/etc/\x1b]0;t', setting: 'LimitNOFILE=\u2066' };
  m.namespaces[0].labels = evil;
  m.findings[0].labels = { ...m.findings[0].labels, ...evil };
  const text = await new MetricsRenderer().render(ctx(m));
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  assert.match(text, /container="c\\\\u202eexe\.txt"/);
  assert.match(text, /unit="x\\\\u009b\.service"/);
  assert.match(text, /file="\/etc\/\\\\x1b\]0;t"/);
  assert.match(text, new RegExp(`pod="${'p'.repeat(127)}…"`));
  assert.ok(!text.includes('p'.repeat(128)));
  for (const family of ['sockdoc_listener_accept_queue', 'sockdoc_process_open_fds', 'sockdoc_tcpext_listen_overflows_total', 'sockdoc_finding', 'sockdoc_namespace_info']) {
    assert.match(text, new RegExp(`^${family}\\{netns="pod\\\\\\\\x1b\\[2J"`, 'm'), family);
  }
});

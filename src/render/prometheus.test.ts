import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MetricsRenderer, type ScrapeContext } from './prometheus.js';
import type { MetricsModel } from './prometheus-model.js';

const ns = { netns: 'evil\\ns"x', container: '', pod: '', pod_namespace: '' };

function model(program: string): MetricsModel {
  return {
    listeners: [{ labels: { ...ns, address: '::', port: '80', socket: '0' }, owner: { program, pid: '7' }, acceptQueue: 3, backlog: null, synRecv: 0, queuedEstablished: 3, queuedCloseWait: 0 }],
    processes: [
      {
        labels: { ...ns, pid: '7', program, unit: '' },
        openFds: 10,
        softLimit: null,
        hardLimit: 20,
        sockets: { LISTEN: 1 },
        selectedBy: ['listener'],
        limit: { layer: 'shell', unit: '', file: '/etc/x\ny', setting: 'ulimit -n 20' },
      },
    ],
    namespaces: [{ labels: ns, listeners: { total: 3, dropped: 2 }, counters: { 'TcpExt.ListenOverflows': 5, 'Tcp.CurrEstab': 2 }, tunables: { 'net.core.somaxconn': 4096 } as never }],
    host: { filesAllocated: 1, filesMax: 9.2e18, nrOpen: null },
    findings: [{ labels: { ...ns, id: 'accept-queue-full', severity: 'critical', pid: '7', program, address: '::', port: '80' } }],
    probes: [{ probe: 'net-tcp', seconds: 0.01, success: true }],
    processesSeen: 1,
    processesDropped: 0,
    partial: false,
  };
}

const ctx = (m: MetricsModel | null, timedOut = false): ScrapeContext => ({ model: m, scrapeSeconds: 0.5, snapshotSeconds: m ? 0.4 : null, ageSeconds: m ? 0 : null, timedOut, version: '1.2.3', rssBytes: 1000 });

test('hostile names stay inside their label value: every sample is one line, promtool accepts it', async () => {
  const text = await new MetricsRenderer().render(ctx(model('a"b\nc\\d}{x="1"')));
  const line = text.split('\n').find((l) => l.startsWith('sockdoc_listener_info{'));
  // The newline is shown as the two characters \n (labelSafe), then escaped by the text format.
  assert.equal(line, 'sockdoc_listener_info{netns="evil\\\\ns\\"x",container="",pod="",pod_namespace="",address="::",port="80",socket="0",program="a\\"b\\\\nc\\\\d}{x=\\"1\\"",pid="7"} 1');
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

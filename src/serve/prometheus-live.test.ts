/**
 * A real Prometheus (Debian's `prometheus` package) scrapes a real `sockdoc serve` while a server
 * that never accepts has a full accept queue, all inside a network namespace this test creates
 * (loopback only, somaxconn 128, removed with every process in it at the end, also on failure).
 * Through Prometheus' HTTP API it checks that the queue, the backlog, the limit's provenance
 * (`_info`), the listener's own drops (`sockdoc_listener_drops_total`) and its clients' accept wait
 * (`sockdoc_listener_accept_wait_*_seconds`) and `sockdoc_finding{id="accept-queue-full"}` arrive
 * with the right labels, and that every expression of the Grafana dashboard and every alert rule
 * evaluates; the per-listener drop and accept-wait alerts fire on this listener (their `for:` cut
 * to 0 in the copy of the rules Prometheus loads: the expressions are the shipped ones). A scrape
 * passes `promtool check metrics`. Root only (network namespaces); CI asserts root and prometheus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, destroyNamespace, labId } from '../lab/namespace.js';
import { launchCommand } from '../lab/peer-process.js';
import { repoRoot } from '../testing/paths.js';
import { runSuffix } from '../testing/unique.js';
import { httpGet, start, startServe, stopHard, waitForOutput, type Started } from './testing/processes.js';
import { dashboardExpressions, ruleExpressions, substituteDashboardVariables } from './testing/contrib.js';

const isRoot = process.getuid?.() === 0;
const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const hasPrometheus = onPath('prometheus') && onPath('promtool');
const skip = !isRoot ? 'needs root (network namespaces)' : !hasPrometheus ? 'needs prometheus and promtool (apt-get install prometheus)' : false;

const SERVER_PORT = 8889;
const SERVE_PORT = 9659;
const PROM_PORT = 9090;
const CLIENTS = 200;
/** Every peer and relay exits by itself after this, whatever happens to the test. */
const LIFETIME_MS = 45_000;
const RULES = join(repoRoot, 'contrib', 'prometheus', 'sockdoc.rules.yml');
const DASHBOARD = join(repoRoot, 'contrib', 'grafana', 'sockdoc.json');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}

interface PromAnswer {
  status: string;
  error?: string;
  data: { resultType: string; result: PromVector[] };
}

test('a real Prometheus scrapes sockdoc serve while an accept queue is full', { skip, timeout: 60_000 }, async () => {
  const ns = labId(process.pid, `prom${runSuffix()}`);
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-prom-'));
  const inNs = ['ip', 'netns', 'exec', ns];
  const started: Started[] = [];
  const run = (argv: string[]): Started => {
    const s = start(argv[0], argv.slice(1));
    started.push(s);
    return s;
  };
  createNamespace(ns, { sysctls: { 'net.core.somaxconn': '128' }, shapeLoopback: false });
  try {
    // The seed: listen(511) clamped to 128, never accept(), 200 clients. The server runs under a
    // shell that set its fd limit, so provenance has a layer to name.
    const server = launchCommand({
      script: 'server',
      nofile: 400,
      config: { labId: ns, host: '127.0.0.1', port: SERVER_PORT, backlog: 511, behaviour: 'never-accept', acceptEveryMs: 0, retryMs: 0, lifetimeMs: LIFETIME_MS },
    });
    const srv = run([...inNs, server.file, ...server.args]);
    const ready = await waitForOutput(srv, /"event":"ready","pid":(\d+)/);
    const serverPid = Number(ready[1]);
    const clients = launchCommand({
      script: 'clients',
      config: { labId: ns, host: '127.0.0.1', port: SERVER_PORT, mode: 'hold', count: CLIENTS, batch: 50, batchGapMs: 20, connectTimeoutMs: 30_000, answerTimeoutMs: 0, lifetimeMs: LIFETIME_MS },
    });
    run([...inNs, clients.file, ...clients.args]);

    const serve = await startServe(['--listen', `127.0.0.1:${SERVE_PORT}`, '--timeout', '1500ms'], inNs);
    started.push(serve);

    // The shipped rules, with the `for:` of the alerts this test must see fire cut to 0 (a test lasts
    // seconds), and their full-queue suppression left out: this listener's queue is full, when
    // SockdocAcceptQueueFull pages instead (that `unless` is checked by promtool test rules, both ways).
    const rulesCopy = join(dir, 'sockdoc.rules.yml');
    const shipped = readFileSync(RULES, 'utf8');
    const cut = shipped.replace(
      /(- alert: (?:SockdocListenerDrops|SockdocAcceptWaitLong)\n\s+expr: \|\n\s+[^\n]+\n)\s+unless on \(instance, netns, address, port, socket\) \(sockdoc_listener_accept_queue > sockdoc_listener_backlog\)\n(\s+)for: \d+m/g,
      '$1$2for: 0s',
    );
    assert.equal(cut.split('for: 0s').length - shipped.split('for: 0s').length, 2, 'both alerts found in the shipped rules');
    writeFileSync(rulesCopy, cut);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        // 2 s: a loaded CI machine still answers within the scrape timeout.
        'global: {scrape_interval: 2s, scrape_timeout: 2s, evaluation_interval: 1s}',
        `rule_files: [${JSON.stringify(rulesCopy)}]`,
        'scrape_configs:',
        '  - job_name: sockdoc',
        `    static_configs: [{targets: ["127.0.0.1:${SERVE_PORT}"]}]`,
        '',
      ].join('\n'),
    );
    const prom = run([
      ...inNs,
      'prometheus',
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROM_PORT}`,
      '--log.level=warn',
    ]);
    const promSock = join(dir, 'prom.sock');
    const serveSock = join(dir, 'serve.sock');
    const relay = join(repoRoot, 'dist', 'src', 'serve', 'testing', 'unix-relay.js');
    await waitForOutput(run([...inNs, process.execPath, relay, promSock, String(PROM_PORT), String(LIFETIME_MS)]), /ready/);
    await waitForOutput(run([...inNs, process.execPath, relay, serveSock, String(SERVE_PORT), String(LIFETIME_MS)]), /ready/);

    const query = async (expr: string): Promise<PromAnswer> => {
      const r = await httpGet({ socketPath: promSock }, `/api/v1/query?query=${encodeURIComponent(expr)}`);
      return JSON.parse(r.body) as PromAnswer;
    };
    const until = async <T>(what: string, fn: () => Promise<T | null>, ms = 20_000): Promise<T> => {
      const end = Date.now() + ms;
      let last: unknown;
      while (Date.now() < end) {
        try {
          const v = await fn();
          if (v !== null) return v;
        } catch (err) {
          last = err; // Prometheus still starting: connection refused through the relay.
        }
        await sleep(250);
      }
      const raw = await httpGet({ socketPath: serveSock }, '/metrics').then((r) => r.body.split('\n').filter((l) => l.includes(`${SERVER_PORT}`) || l.includes('timed_out')).join('\n'), (e: Error) => e.message);
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}; prometheus: ${prom.output().slice(-400)}; serve: ${serve.output().slice(-400)}; scrape: ${raw}`);
    };

    // The queue: 129 waiting over a limit of 128, named by address, port, program and pid. sockdoc reads
    // every namespace of the host: a lab running beside this test may have a full queue on the same port.
    // Who holds a listener is in sockdoc_listener_info, joined on the listener's identity labels.
    const owned = (expr: string) => `(${expr}) * on (instance, netns, address, port, socket) group_left (program, pid) sockdoc_listener_info{port="${SERVER_PORT}",pid="${serverPid}"}`;
    const queue = await until('the full queue in Prometheus', async () => {
      const a = await query(owned(`sockdoc_listener_accept_queue{port="${SERVER_PORT}"} > sockdoc_listener_backlog`));
      return a.data.result.length ? a.data.result : null;
    });
    assert.equal(queue.length, 1);
    const q = queue[0].metric;
    assert.equal(queue[0].value[1], '129');
    assert.deepEqual(
      { address: q.address, port: q.port, program: q.program, pid: q.pid, socket: q.socket, job: q.job, instance: q.instance },
      { address: '127.0.0.1', port: String(SERVER_PORT), program: 'node', pid: String(serverPid), socket: '0', job: 'sockdoc', instance: `127.0.0.1:${SERVE_PORT}` },
    );
    // The namespace label is the one the exporter reports for the namespace it read.
    const nsInfo = (await query('sockdoc_namespace_info')).data.result;
    assert.ok(nsInfo.some((s) => s.metric.netns === q.netns && q.netns !== ''), `netns label ${q.netns} not among ${JSON.stringify(nsInfo.map((s) => s.metric.netns))}`);
    const backlog = (await query(owned(`sockdoc_listener_backlog{port="${SERVER_PORT}"}`))).data.result;
    assert.equal(backlog[0]?.value[1], '128');
    // The value series themselves carry no program or pid: a restart keeps their identity.
    const raw = (await query(`sockdoc_listener_accept_queue{port="${SERVER_PORT}",netns="${q.netns}"}`)).data.result;
    assert.equal(raw.length, 1);
    assert.equal(raw[0].metric.pid, undefined);
    assert.equal(raw[0].metric.program, undefined);

    // The listener's own drops (a counter) and how long its queued clients wait (gauges of seconds),
    // with the listener's identity labels and nothing else.
    const drops = await until('the listener drops counter', async () => {
      const a = (await query(`sockdoc_listener_drops_total{port="${SERVER_PORT}",netns="${q.netns}"} > 0`)).data.result;
      return a.length ? a : null;
    });
    assert.equal(drops.length, 1);
    assert.equal(drops[0].metric.pid, undefined, 'identity labels only: a restart keeps the series');
    assert.equal(drops[0].metric.program, undefined);
    assert.deepEqual({ address: drops[0].metric.address, socket: drops[0].metric.socket, name: drops[0].metric.__name__ }, { address: '127.0.0.1', socket: '0', name: 'sockdoc_listener_drops_total' });
    const wait = await until('an accept wait over 1 s', async () => {
      const a = (await query(`sockdoc_listener_accept_wait_max_seconds{port="${SERVER_PORT}",netns="${q.netns}"} > 1`)).data.result;
      return a.length ? a : null;
    });
    assert.equal(wait[0].metric.address, '127.0.0.1');
    const median = (await query(`sockdoc_listener_accept_wait_median_seconds{port="${SERVER_PORT}",netns="${q.netns}"}`)).data.result;
    assert.ok(Number(median[0]?.value[1]) > 0 && Number(median[0]?.value[1]) <= Number(wait[0].value[1]));

    // The limit's provenance: the shell that ran `ulimit -n 400` before starting the server.
    const info = (await query(`sockdoc_process_fd_limit_info{pid="${serverPid}"}`)).data.result;
    assert.equal(info.length, 1, 'one _info series for the server');
    assert.equal(info[0].metric.layer, 'shell');
    assert.equal(info[0].metric.program, 'node');
    const soft = (await query(`sockdoc_process_fd_soft_limit{pid="${serverPid}"}`)).data.result;
    assert.equal(soft[0]?.value[1], '400');

    // The finding, with its subject's labels.
    // sockdoc reads every network namespace of the host: scope to this test's (another run's lab may be full too).
    const finding = (await query(`sockdoc_finding{id="accept-queue-full",netns="${q.netns}"}`)).data.result;
    assert.equal(finding.length, 1);
    assert.deepEqual(
      { severity: finding[0].metric.severity, port: finding[0].metric.port, pid: finding[0].metric.pid, program: finding[0].metric.program, netns: finding[0].metric.netns },
      { severity: undefined, port: String(SERVER_PORT), pid: String(serverPid), program: 'node', netns: q.netns },
    );
    const level = (await query(`sockdoc_finding_severity{id="accept-queue-full",netns="${q.netns}"}`)).data.result;
    assert.equal(level[0]?.value[1], '2', 'critical');

    // Two scrapes' worth of samples, so rate() over the dashboard's window has points.
    await sleep(4500);

    // Every expression of every Grafana panel evaluates (non-empty, or a valid empty vector).
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as unknown;
    const panels = dashboardExpressions(dashboard);
    assert.ok(panels.length >= 8, `expected the dashboard's expressions, got ${panels.length}`);
    const empty: string[] = [];
    for (const p of panels) {
      const expr = substituteDashboardVariables(p.expr, { host: '.*', netns: '.*', rateInterval: '1m' });
      const a = await query(expr);
      assert.equal(a.status, 'success', `panel "${p.panel}": ${expr}: ${a.error}`);
      assert.equal(a.data.resultType, 'vector', `panel "${p.panel}"`);
      if (a.data.result.length === 0) empty.push(`${p.panel}: ${expr}`);
    }
    // The panels about what this test made are not empty.
    for (const title of ['Listeners nearest full (accept queue / backlog)', 'Current findings', 'Processes nearest their fd limit, and where the limit came from']) {
      assert.ok(!empty.some((e) => e.startsWith(`${title}:`)), `panel "${title}" is empty`);
    }
    // Template variables resolve too.
    for (const v of ['label_values(sockdoc_exporter_build_info, instance)', 'label_values(sockdoc_namespace_info{instance=~"$host"}, netns)']) {
      const metric = /label_values\((.*), \w+\)$/.exec(v)![1].replace('$host', '.*');
      assert.ok((await query(metric)).data.result.length > 0, `variable query ${v} finds nothing`);
    }

    // Every alert rule evaluates: as a query, and inside Prometheus' rule manager (health ok).
    const rules = ruleExpressions(readFileSync(RULES, 'utf8'));
    assert.ok(rules.length >= 10);
    for (const r of rules) {
      const a = await query(r.expr);
      assert.equal(a.status, 'success', `rule ${r.alert}: ${a.error}`);
    }
    const health = await until('every rule evaluated', async () => {
      const r = JSON.parse((await httpGet({ socketPath: promSock }, '/api/v1/rules')).body) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state?: string; alerts?: Array<{ labels: Record<string, string>; state: string }> }> }> };
      };
      const all = r.data.groups.flatMap((g) => g.rules);
      return all.length === rules.length && all.every((x) => x.health !== 'unknown') ? all : null;
    });
    for (const r of health) assert.equal(r.health, 'ok', `rule ${r.name}: ${r.lastError}`);
    // The full queue has the accept-queue alert pending (its `for: 1m` has not elapsed). Full queues
    // elsewhere on this host have their own alerts: this test's is the one in its namespace.
    const full = health.find((r) => r.name === 'SockdocAcceptQueueFull');
    const ours = full?.alerts?.filter((a) => a.labels.netns === q.netns) ?? [];
    assert.deepEqual(ours.map((a) => [a.labels.port, a.labels.address]), [[String(SERVER_PORT), '127.0.0.1']], JSON.stringify(full?.alerts?.map((a) => a.labels)));
    assert.equal(ours[0].state, 'pending');
    // The per-listener drop and accept-wait alerts fire on this listener, named by its labels.
    const fired = await until('SockdocListenerDrops and SockdocAcceptWaitLong firing on the listener', async () => {
      const r = JSON.parse((await httpGet({ socketPath: promSock }, '/api/v1/alerts')).body) as { data: { alerts: Array<{ state: string; labels: Record<string, string>; annotations: Record<string, string> }> } };
      const mine = (name: string) => r.data.alerts.find((a) => a.labels.alertname === name && a.state === 'firing' && a.labels.port === String(SERVER_PORT) && a.labels.netns === q.netns);
      const d = mine('SockdocListenerDrops');
      const w = mine('SockdocAcceptWaitLong');
      return d && w ? { d, w } : null;
    });
    assert.equal(fired.d.labels.address, '127.0.0.1');
    assert.match(fired.d.annotations.summary, new RegExp(`dropping handshakes on 127\\.0\\.0\\.1:${SERVER_PORT} \\(node, pid ${serverPid}\\)`));
    assert.match(fired.w.annotations.summary, new RegExp(`Clients wait up to .* to be accepted on 127\\.0\\.0\\.1:${SERVER_PORT} \\(node, pid ${serverPid}\\)`));

    // A scrape as Prometheus gets it passes promtool's linter.
    const scrape = await httpGet({ socketPath: serveSock }, '/metrics');
    assert.equal(scrape.status, 200);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: scrape.body, encoding: 'utf8' });
    assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);

    // SIGTERM: serve closes and exits 0.
    serve.child.kill('SIGTERM');
    assert.deepEqual(await serve.exited, { code: 0, signal: null });
    if (empty.length) process.stdout.write(`# panels empty on this host (valid): ${empty.length}\n`);
  } finally {
    // Everything this test started runs in the namespace: removing it kills them all.
    const problems = destroyNamespace(ns);
    for (const s of started.reverse()) await stopHard(s, 2000);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems, []);
  }
});

/**
 * contrib/ is checked by the tools that consume it: promtool for the alert rules (syntax, and
 * their unit tests: which alerts fire, with which labels and annotations), systemd-analyze for the
 * unit, and the dashboard's own structure (its variables, and every panel on the datasource
 * variable). That every expression evaluates against real data: prometheus-live.test.ts.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from '../testing/paths.js';
import { dashboardExpressions, ruleExpressions } from './testing/contrib.js';

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const contrib = (...p: string[]) => join(repoRoot, 'contrib', ...p);

test('promtool check rules and promtool test rules pass', { skip: onPath('promtool') ? false : 'promtool missing (apt-get install prometheus)' }, () => {
  const check = spawnSync('promtool', ['check', 'rules', contrib('prometheus', 'sockdoc.rules.yml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 13 rules found/);
  const unit = spawnSync('promtool', ['test', 'rules', 'sockdoc.rules.test.yml'], { cwd: contrib('prometheus'), encoding: 'utf8' });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  assert.match(unit.stdout, /SUCCESS/);
});

test('every rule has a `for:`, a severity, and an annotation naming the first command to run', () => {
  const text = readFileSync(contrib('prometheus', 'sockdoc.rules.yml'), 'utf8');
  const blocks = text.split(/\n\s+- alert: /).slice(1);
  assert.equal(blocks.length, ruleExpressions(text).length);
  for (const b of blocks) {
    const name = b.split('\n')[0];
    assert.match(b, /\n\s+for: \d+m/, `${name}: for:`);
    assert.match(b, /\n\s+severity: (critical|warning)/, `${name}: severity`);
    if (name !== 'SockdocScrapeTimedOut') assert.match(b, /First run on \{\{ \$labels\.instance \}\}: sockdoc/, `${name}: first command`);
  }
});

test('one alert per problem: each such promtool scenario checks every alert of the rules file, and exactly one fires', () => {
  const rules = readFileSync(contrib('prometheus', 'sockdoc.rules.yml'), 'utf8');
  const alerts = [...rules.matchAll(/\n\s+- alert: (\S+)/g)].map((m) => m[1]);
  const scenarios = readFileSync(contrib('prometheus', 'sockdoc.rules.test.yml'), 'utf8')
    .split(/\n {2}- interval: /)
    .filter((b) => b.includes('# one-alert-per-problem:'));
  assert.deepEqual(scenarios.map((b) => /# one-alert-per-problem: (.*)/.exec(b)![1]).sort(), ['a full accept queue', 'a full unix-domain queue', 'a process out of file descriptors', 'a process out of file descriptors whose queue is full']);
  for (const b of scenarios) {
    const checks = b.split(/\n\s+- eval_time: /).slice(1);
    assert.deepEqual(checks.map((c) => /alertname: (\S+)/.exec(c)![1]).sort(), [...alerts].sort(), 'every alert is checked');
    const firing = checks.filter((c) => !/exp_alerts: \[\]/.test(c));
    assert.equal(firing.length, 1, 'one alert fires');
    assert.equal(firing[0].split('- exp_labels:').length, 2, 'one alert, once');
  }
});

test('the Grafana dashboard has datasource, host and namespace variables and uses them everywhere', () => {
  const d = JSON.parse(readFileSync(contrib('grafana', 'sockdoc.json'), 'utf8')) as {
    templating: { list: Array<{ name: string; type: string }> };
    panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ datasource: { uid: string }; expr: string }> }>;
  };
  assert.deepEqual(d.templating.list.map((v) => `${v.name}:${v.type}`), ['datasource:datasource', 'host:query', 'netns:query']);
  for (const p of d.panels) {
    assert.equal(p.datasource.uid, '${datasource}', p.title);
    for (const t of p.targets) {
      assert.equal(t.datasource.uid, '${datasource}', p.title);
      assert.match(t.expr, /instance=~"\$host"/, `${p.title}: filtered by host`);
    }
  }
  const titles = d.panels.map((p) => p.title).join('\n');
  for (const want of [/nearest full/, /per namespace/, /dropped per listener/, /Accept wait/, /nearest their fd limit.*limit came from/, /CLOSE_WAIT per process/, /Current findings/]) assert.match(titles, want);
  assert.ok(dashboardExpressions(d).length >= 10);
  // At scale (500 listeners, 2,000 namespaces): every per-listener, per-namespace or per-process
  // time series panel shows its top few, and a listener's legend names its namespace.
  for (const p of d.panels as Array<{ title: string; type?: string; targets: Array<{ expr: string; legendFormat?: string }> }>) {
    if (p.type !== 'timeseries') continue;
    for (const t of p.targets) {
      if (!/sockdoc_(listener|tcpext|process)_/.test(t.expr)) continue;
      assert.match(t.expr, /topk\(/, `${p.title}: ${t.expr}`);
      if (/\{\{address\}\}|\{\{pid\}\}/.test(t.legendFormat ?? '')) assert.match(t.legendFormat!, /\{\{netns\}\}/, `${p.title}: netns in the legend`);
    }
  }
});

test('systemd-analyze verify accepts the unit', { skip: onPath('systemd-analyze') ? false : 'systemd-analyze missing' }, () => {
  // The unit names the installed /usr/bin/sockdoc; verify it against this checkout's binary.
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-unit-'));
  try {
    const unit = readFileSync(contrib('systemd', 'sockdoc.service'), 'utf8').replace('ExecStart=/usr/bin/sockdoc', `ExecStart=${process.execPath} ${cliPath}`);
    writeFileSync(join(dir, 'sockdoc.service'), unit);
    const r = spawnSync('systemd-analyze', ['verify', join(dir, 'sockdoc.service')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l.includes('sockdoc.service')).join('\n'), '');
    assert.match(unit, /^LimitNOFILE=\d+$/m);
    assert.match(unit, /^CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_SYS_ADMIN CAP_BPF CAP_PERFMON$/m);
    assert.match(unit, /^SystemCallFilter=@system-service setns bpf$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the DaemonSet runs an image built from contrib/docker/Dockerfile (never `npm install -g sockdoc`), whose entry point takes its args', () => {
  const ds = readFileSync(contrib('kubernetes', 'daemonset.yaml'), 'utf8');
  const df = readFileSync(contrib('docker', 'Dockerfile'), 'utf8');
  const code = (text: string) => text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  assert.match(ds, /docker build -f contrib\/docker\/Dockerfile /, 'the DaemonSet says how its image is built');
  assert.doesNotMatch(ds, /^#.*\be\.g\..*npm install -g/m);
  assert.doesNotMatch(code(df), /npm install -g|npm i -g|npx /, 'the image installs nothing from the registry by name');
  assert.doesNotMatch(code(ds), /^\s*command:/m, 'args are the entry point\'s arguments');
  assert.match(code(ds), /args:\s*\n\s*- serve\n/);
  assert.match(df, /^ENTRYPOINT \["sockdoc"\]$/m);
  assert.match(df, /^USER 0$/m, 'root, as runAsUser: 0');
  assert.match(ds, /runAsUser: 0/);
  assert.match(ds, /readOnlyRootFilesystem: true/);
  // Multi-stage: the compiler and the development dependencies stay in the build stage.
  assert.equal((df.match(/^FROM /gm) ?? []).length, 2);
  assert.match(df, /npm ci .*--ignore-scripts/);
  assert.match(df, /npm run build/);
  assert.match(df, /npm prune --omit=dev/);
  assert.match(df, /test -f native\/build\/Release\/sockdoc_native\.node/);
});

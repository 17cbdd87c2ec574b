/**
 * Unix socket paths are bytes: two that differ only in a byte that is not UTF-8, or in an ESC
 * against a literal "\x1b", must read apart in the terminal, the JSON and the metrics (issue 23's
 * attack: they printed as U+FFFD, a backslash unescaped).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from '../cli/diagnose.js';
import { proc, snapshot, unixListener } from '../testing/snapshot-builder.js';
import { DEFAULT_RULE_OPTIONS } from '../rules/types.js';
import { hostText } from '../safety/host-bytes.js';
import { renderDiagnosis } from './terminal.js';
import { renderSummary } from './summary.js';
import { diagnosisToJson } from './json.js';
import { buildMetricsModel } from './prometheus-model.js';
import { MetricsRenderer } from './prometheus.js';

const PATHS = [
  hostText(Buffer.from('/run/a\xff.sock', 'latin1')), // an invalid byte FF
  hostText(Buffer.from('/run/a\xfe.sock', 'latin1')), // FE
  '/run/a\\xff.sock', // the text backslash, x, f, f
  '/run/a\x1b.sock', // an ESC
  '/run/a\\x1b.sock', // the text
  '/run/a\n.sock', // a newline
  '@abs\\nname', // an abstract name holding a backslash and n
];

function host() {
  return diagnose(
    snapshot({
      processes: PATHS.map((_, i) => proc({ pid: 100 + i, name: `app${i}`, open: 10, soft: 1024 })),
      listeners: PATHS.map((path, i) => unixListener({ path, pids: [100 + i], acceptQueue: 6, backlog: 5, inode: 91000 + i })),
    }),
    DEFAULT_RULE_OPTIONS,
    {},
  );
}

test('terminal: every path reads apart, each byte as \\xNN, a literal backslash before x or n as \\\\', () => {
  const out = renderDiagnosis(host(), { color: false, columns: 100, verbose: true });
  const shown = ['/run/a\\xff.sock', '/run/a\\xfe.sock', '/run/a\\\\xff.sock', '/run/a\\x1b.sock', '/run/a\\\\x1b.sock', '/run/a\\n.sock', '@abs\\\\nname'];
  for (const s of shown) assert.ok(out.includes(`Accept queue of unix socket ${s} is full`), `${s} in\n${out}`);
  assert.doesNotMatch(out, /\ufffd/);
  const summary = renderSummary(host());
  assert.doesNotMatch(summary, /\ufffd/);
});

test('JSON: the paths come back exact (a kept byte as the escaped surrogate \\udcNN); metrics: one series each', async () => {
  const d = host();
  const text = JSON.stringify(diagnosisToJson(d));
  assert.match(text, /\/run\/a\\udcff\.sock/);
  const back = JSON.parse(text) as { unixListeners: Array<{ path: string }> };
  assert.deepEqual(back.unixListeners.map((l) => l.path).sort(), [...PATHS].sort());
  const model = buildMetricsModel(d.snapshot, d.findings, new Map(), new Map(), new Map());
  const metrics = await new MetricsRenderer().render({ model, scrapeSeconds: 0, snapshotSeconds: 0, ageSeconds: 0, timedOut: false, version: 't', rssBytes: 1 });
  const addresses = new Set([...metrics.matchAll(/^sockdoc_listener_info\{[^\n]*address="([^"\\]*(?:\\.[^"\\]*)*)"/gm)].map((m) => m[1]));
  for (const p of ['/run/a\\\\xff.sock', '/run/a\\\\xfe.sock', '/run/a\\\\\\\\xff.sock', '/run/a\\\\x1b.sock', '/run/a\\\\\\\\x1b.sock', '/run/a\\\\n.sock']) assert.ok(addresses.has(p), `${p} in ${[...addresses].join(' | ')}`);
  assert.doesNotMatch(metrics, /\ufffd/);
});

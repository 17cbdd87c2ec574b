import { test } from 'node:test';
import assert from 'node:assert/strict';
import { visible } from '../render/format.js';
import { leakySource } from '../testing/sample-builder.js';
import { HISTORY_T0 } from '../testing/history-builder.js';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { History } from '../history/history.js';
import { runRules } from '../rules/index.js';
import { DEFAULT_RULE_OPTIONS } from '../rules/types.js';
import type { Snapshot } from '../snapshot/types.js';
import { withDeltasSince, type Sample } from './sampler.js';
import { buildModel } from './model.js';
import { renderScreen, summaryLine } from './screen.js';
import { sparkline } from './sparkline.js';
import { width } from './text.js';
import { followSelection, INITIAL_UI, keysOf, press, type UiState } from './ui.js';

function model(n = 30, name = 'leaky') {
  const source = leakySource(n, name);
  return buildModel(source.latest()!, source.history);
}

test('the screen fits the terminal exactly: rows - 1 lines, none wider than the columns', () => {
  for (const [cols, rows] of [
    [80, 24],
    [150, 45],
    [40, 8],
    [20, 5],
  ] as const) {
    for (const color of [true, false]) {
      const lines = renderScreen(model(), INITIAL_UI, { cols, rows }, 2000, color);
      assert.equal(lines.length, rows - 1, `${cols}x${rows}: a taller frame would scroll the header away`);
      for (const l of lines) assert.ok(width(visible(l)) <= cols, `too wide at ${cols}: ${JSON.stringify(visible(l))}`);
    }
  }
});

test('the leaking process: its row with rate and "full in", its sparkline, and the forecast finding', () => {
  const text = renderScreen(model(), INITIAL_UI, { cols: 150, rows: 40 }, 2000, false).join('\n');
  // 3 fds per 2 s = +90/min; at 187 of 1024 after 58 s: (1024 - 187) / 1.5 = 558 s = ~9 min.
  assert.match(text, /^\s+4242 leaky\s+187\/1024\s+18%\s+\+90\/min\s+~9 min\s+[▁▂▃▄▅▆▇█]{24}$/m);
  assert.match(text, /CRITICAL fd-exhaustion-forecast {2}leaky \(pid 4242\) will run out of file descriptors in ~9 min/);
  assert.match(text, /127\.0\.0\.1:8080 +4242\/leaky +116\/128 +91%/);
  assert.match(text, /ListenOverflows 5 · ListenDrops - · TCPReqQFullDrop - · SyncookiesSent - · PassiveOpens 50/);
  assert.doesNotMatch(text, /\x1b/, 'colour off: not one escape');
});

test('host strings cannot drive the terminal: control characters in a process name are replaced', () => {
  const text = renderScreen(model(30, 'evil\x1b]0;owned\x07\x1b[2J'), INITIAL_UI, { cols: 150, rows: 40 }, 2000, true).join('\n');
  assert.ok(!text.includes('\x1b]0;'), 'no OSC');
  assert.ok(!text.includes('\x07'), 'no BEL');
  assert.ok(!text.includes('\x1b[2J'), 'no clear-screen from the name');
  assert.ok(visible(text).includes('evil\\x1b]0;owned\\x07\\x1b[2J'), 'shown escaped, visibly');
  assert.ok(summaryLine(model(30, 'a\nb')).includes('process=4242/a\\nb '));
});

test('keys: p pauses, s cycles the sort, / edits a filter, ↑↓ select, Enter opens why+fix, Esc closes, q quits', () => {
  const m = model();
  const n = m.findings.length;
  let ui: UiState = INITIAL_UI;
  const key = (name: string, sequence = name) => (ui = press(ui, { name, sequence }, n));
  key('p');
  assert.equal(ui.paused, true);
  key('p');
  assert.equal(ui.paused, false);
  key('s');
  assert.equal(ui.sort, 'rate');
  key('s');
  key('s');
  assert.equal(ui.sort, 'fill');
  key('', '/');
  for (const ch of '4242') key(ch);
  key('q'); // typed into the filter, not quitting
  key('backspace', '\x7f');
  key('return', '\r');
  assert.deepEqual([ui.editing, ui.filter, ui.quit], [false, '4242', false]);
  key('down');
  key('down');
  key('up');
  assert.equal(ui.selected, 1);
  key('return', '\r');
  assert.equal(ui.detail, true);
  const detail = renderScreen(m, ui, { cols: 100, rows: 40 }, 2000, false).join('\n');
  assert.match(detail, /why/);
  key('escape', '\x1b');
  assert.equal(ui.detail, false);
  key('', '?');
  assert.equal(ui.help, true);
  assert.match(renderScreen(m, ui, { cols: 100, rows: 30 }, 2000, false).join('\n'), /q, Ctrl-C {3}quit/);
  key('q');
  assert.equal(ui.quit, true);
  assert.equal(press(INITIAL_UI, { name: 'c', ctrl: true }, 0).quit, true);
});

test('Enter on a finding shows its evidence, why and every fix line', () => {
  const m = model();
  const i = m.findings.findIndex((f) => f.id === 'fd-exhaustion-forecast');
  const lines = renderScreen(m, { ...INITIAL_UI, selected: i, detail: true }, { cols: 200, rows: 60 }, 2000, false).join('\n');
  // Commands exactly as they must be copied (spaces kept), comments on their own line.
  for (const fix of m.findings[i].fix) assert.ok(fix.startsWith('#') ? lines.includes(fix.slice(0, 40)) && !lines.includes(`$ ${fix.slice(0, 40)}`) : lines.includes(`$ ${fix.split('   # ')[0]}`), `fix line: ${fix}`);
  assert.match(lines, /^ +# what kind of descriptor is piling up$/m);
  assert.match(lines, /secondsToLimit=558/);
});

test('a filter keeps matching rows only', () => {
  const text = renderScreen(model(), { ...INITIAL_UI, filter: 'quiet' }, { cols: 150, rows: 40 }, 2000, false).join('\n');
  assert.match(text, /\s77 quiet/);
  assert.doesNotMatch(text, /4242 leaky/);
});

test('sparkline: scaled between min and max, spaces for gaps, flat lines flat', () => {
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), '▁▂▃▄▅▆▇█');
  assert.equal(sparkline([5, null, 5], 3), '▄ ▄');
  assert.equal(sparkline([0, 64, 128], 3, { min: 0, max: 128 }), '▁▅█');
  assert.equal(sparkline([1, 2, 3, 4], 2), '▁█');
  assert.equal(sparkline([], 4), '');
});

test('summary line for logs: one line, worst listener and process, the findings', () => {
  const line = summaryLine(model());
  assert.doesNotMatch(line, /\n/);
  assert.match(line, /^2026-11-30T03:00:58\.000Z critical=\d+ warning=\d+ info=\d+ sockets=0 listener=127\.0\.0\.1:8080 queue=116\/128 process=4242\/leaky fds=187\/1024 full_in=558s findings=.*fd-exhaustion-forecast@4242/);
});

test('Esc then Ctrl-C typed quickly (readline joins them into one meta key) still quits', () => {
  // What node's emitKeypressEvents emits for "\x1b" and "\x03" within its escape timeout.
  const joined = { sequence: '\x1b\x03', ctrl: false, meta: true };
  assert.deepEqual(keysOf(joined), [{ name: 'escape', sequence: '\x1b' }, { name: 'c', ctrl: true, sequence: '\x03' }]);
  const ui = keysOf(joined).reduce((s, k) => press(s, k, 0), { ...INITIAL_UI, detail: true });
  assert.equal(ui.quit, true);
  assert.deepEqual(keysOf({ sequence: '\x1bq', name: 'q', meta: true }).map((k) => k.name), ['escape', 'q']);
  const altUp = { sequence: '\x1b\x1b[A', name: 'up', meta: true };
  assert.deepEqual(keysOf(altUp), [altUp], 'a longer sequence stays one key');
});

test('the selection follows its group of findings when the list reorders, and the overlay closes when it is gone', () => {
  const m = model();
  const forecast = m.groups.findIndex((g) => g.id === 'fd-exhaustion-forecast');
  const ui = { ...INITIAL_UI, selected: forecast, detail: true };
  const reordered = { ...m, groups: [...m.groups].reverse() };
  const moved = followSelection(ui, m, reordered);
  assert.equal(reordered.groups[moved.selected].id, 'fd-exhaustion-forecast');
  assert.equal(moved.detail, true);
  const without = { ...m, findings: m.findings.filter((f) => f.id !== 'fd-exhaustion-forecast'), groups: m.groups.filter((g) => g.id !== 'fd-exhaustion-forecast') };
  const gone = followSelection(ui, m, without);
  assert.equal(gone.detail, false);
});

test('findings are listed in groups, as the report folds them: 40 full listeners of one program are one line', () => {
  const s = snapshot({
    processes: [proc({ pid: 5100, name: 'nginx', open: 60, soft: 65536, sockets: { LISTEN: 40 } })],
    listeners: Array.from({ length: 40 }, (_, k) => listener({ port: 7000 + k, pids: [5100], acceptQueue: 130 + k, backlog: 128 })),
  });
  const findings = runRules(s, DEFAULT_RULE_OPTIONS);
  const sample: Sample = { at: HISTORY_T0, snapshot: s, findings, tookMs: 5 };
  const m = buildModel(sample, new History());
  const full = m.groups.filter((g) => g.id === 'accept-queue-full');
  assert.equal(full.length, 1);
  assert.equal(full[0].count, 40);
  const text = renderScreen(m, INITIAL_UI, { cols: 160, rows: 40 }, 2000, false).join('\n');
  assert.match(text, new RegExp(`Findings \\(${m.findings.length} in ${m.groups.length} groups\\)`));
  assert.match(text, /CRITICAL accept-queue-full {2}40 listeners of nginx — worst: Accept queue of 0\.0\.0\.0:7039 is full: 169 waiting/);
  assert.equal(text.split('\n').filter((l) => /accept-queue-full/.test(l)).length, 1, 'one line for the 40');
  // Enter on it: the worst member's why and fix, and the others named.
  const detail = renderScreen(m, { ...INITIAL_UI, selected: m.groups.indexOf(full[0]), detail: true }, { cols: 160, rows: 60 }, 2000, false).join('\n');
  assert.match(detail, /40 listeners of nginx: accept-queue-full; the worst is above, the others: accept-queue-full@0\.0\.0\.0:7038/);
  // The filter narrows a group to its members that match, and says so.
  const narrowed = renderScreen(m, { ...INITIAL_UI, filter: ':7001' }, { cols: 160, rows: 40 }, 2000, false).join('\n');
  assert.match(narrowed, /40 listeners of nginx \(1 match\)/);
});

test('listeners in several namespaces get a netns column, and the filter matches the namespace', () => {
  const m = model();
  const two = {
    ...m,
    listeners: [
      { ...m.listeners[0], netns: 1, netnsName: 'web' },
      { ...m.listeners[0], netns: 2, netnsName: 'api' },
    ],
  };
  const text = renderScreen(two, INITIAL_UI, { cols: 150, rows: 40 }, 2000, false).join('\n');
  assert.match(text, /^ {2}netns +listen +process/m);
  assert.match(text, /^ {2}web +127\.0\.0\.1:8080 +4242\/leaky/m);
  assert.match(text, /^ {2}api +127\.0\.0\.1:8080 +4242\/leaky/m);
  const filtered = renderScreen(two, { ...INITIAL_UI, filter: 'api' }, { cols: 150, rows: 40 }, 2000, false).join('\n');
  assert.match(filtered, /^ {2}api +127\.0\.0\.1:8080/m);
  assert.doesNotMatch(filtered, /^ {2}web /m);
  assert.match(filtered, /\(no process matches the filter api\)/);
  assert.doesNotMatch(renderScreen(m, INITIAL_UI, { cols: 150, rows: 40 }, 2000, false).join('\n'), /netns/, 'one namespace: no column');
});

test('a partial read is never "healthy"; processes whose fds could not be read are counted, not "none visible"', () => {
  const m = model();
  const quiet = { ...m, findings: [], groups: [], counts: { critical: 0, warning: 0, info: 0 }, processes: [], partial: true, asRoot: false };
  const text = renderScreen(quiet, INITIAL_UI, { cols: 150, rows: 40 }, 2000, false).join('\n');
  assert.match(text.split('\n')[1], /^no findings partial \(not root\) · /);
  assert.doesNotMatch(text, /healthy/);
  assert.match(text, /\(the fds of 2 processes could not be read \(not root: run as root to see them\)\)/);
  const whole = renderScreen({ ...quiet, partial: false }, INITIAL_UI, { cols: 150, rows: 40 }, 2000, false).join('\n');
  assert.match(whole.split('\n')[1], /^healthy · /);
});

test('a small terminal keeps the findings: sections come in by importance, findings first', () => {
  const m = model();
  const small = renderScreen(m, INITIAL_UI, { cols: 60, rows: 10 }, 2000, false);
  assert.equal(small.length, 9);
  const text = small.join('\n');
  assert.match(text, /─ Findings \(\d+\)/);
  assert.match(text, /CRITICAL fd-exhaustion-forecast/);
  assert.match(small[0], /^sockdoc watch/, 'the header stays on top');
  const tiny = renderScreen(m, INITIAL_UI, { cols: 40, rows: 6 }, 2000, false);
  assert.equal(tiny.length, 5);
  assert.match(tiny[2], /^─ Findings/);
  assert.match(tiny[3], /CRITICAL/);
  assert.match(tiny[4], /^q quit/);
});

test('a sample slower than --every: the header says the real pace', () => {
  const m = { ...model(), tookMs: 2400 };
  assert.match(renderScreen(m, INITIAL_UI, { cols: 150, rows: 40 }, 500, false)[0], / · every 0\.5 s asked, 2\.4 s per sample · /);
  assert.match(renderScreen({ ...m, tookMs: 100 }, INITIAL_UI, { cols: 150, rows: 40 }, 500, false)[0], / · every 0\.5 s · /);
});

test('watching one namespace: the header and each log line name it', () => {
  const m = { ...model(), scope: 'docker container web (7d67eaab97b9)' };
  assert.match(renderScreen(m, INITIAL_UI, { cols: 150, rows: 40 }, 2000, false)[0], /^sockdoc watch · web-1 · docker container web \(7d67eaab97b9\) only · /);
  assert.match(summaryLine(m), /^\S+Z netns="docker container web \(7d67eaab97b9\)" critical=/);
  assert.doesNotMatch(summaryLine(model()), /netns=/);
});

test('log line values with spaces are quoted (logfmt): a process named "tmux: server" stays one field', () => {
  const line = summaryLine(model(30, 'tmux: server'));
  assert.match(line, / process="4242\/tmux: server" fds=187\/1024 /);
  assert.match(summaryLine(model(30, 'say "hi"')), / process="4242\/say \\"hi\\"" /);
});

test('a why+fix taller than the terminal scrolls with ↑↓ and says what is above and below', () => {
  const m = model();
  const i = m.findings.findIndex((f) => f.id === 'fd-exhaustion-forecast');
  let ui: UiState = { ...INITIAL_UI, selected: i, detail: true };
  const first = renderScreen(m, ui, { cols: 60, rows: 12 }, 2000, false);
  assert.equal(first.length, 11);
  assert.match(first[10], /↑↓ scroll · 0 above, \d+ below · Esc back/);
  for (let k = 0; k < 200; k++) ui = press(ui, { name: 'down' }, m.findings.length);
  assert.equal(ui.detail, true, 'scrolling does not close it');
  const last = renderScreen(m, ui, { cols: 60, rows: 12 }, 2000, false);
  assert.match(last[10], / 0 below/);
  assert.ok(last.some((l) => l.includes(`sockdoc explain fd-exhaustion-forecast`)), 'the end is reachable');
  ui = press(ui, { name: 'escape' }, m.findings.length);
  assert.equal(ui.scroll, 0);
});

test('processes in a container or in several namespaces get a netns column (two containers\' python3 at their limit), and the filter matches it', () => {
  const m = model();
  const two = {
    ...m,
    processes: [
      { ...m.processes[0], pid: 11, netns: 1, netnsName: 'web' },
      { ...m.processes[0], pid: 22, netns: 2, netnsName: 'api' },
    ],
  };
  const text = renderScreen(two, INITIAL_UI, { cols: 150, rows: 40 }, 2000, false).join('\n');
  assert.match(text, /^ {2}netns +pid +name/m);
  assert.match(text, /^ {2}web +11 +leaky/m);
  assert.match(text, /^ {2}api +22 +leaky/m);
  const one = { ...m, processes: [{ ...m.processes[0], netns: 1, netnsName: 'web' }] };
  assert.match(renderScreen(one, INITIAL_UI, { cols: 150, rows: 40 }, 2000, false).join('\n'), /^ {2}web +4242 +leaky/m, 'a lone container process is named too');
  const filtered = renderScreen(two, { ...INITIAL_UI, filter: 'api' }, { cols: 150, rows: 40 }, 2000, false).join('\n');
  assert.match(filtered, /^ {2}api +22 /m);
  assert.doesNotMatch(filtered, /^ {2}web +11 /m);
});

test('a slow listener: its drops (now), its longest wait and the wait\'s sparkline', () => {
  const history = new History({ capacity: 100 });
  let prev: Snapshot | null = null;
  let last: Sample | null = null;
  for (let i = 0; i < 10; i++) {
    const s = snapshot({
      processes: [proc({ pid: 700, name: 'haproxy' })],
      listeners: [
        listener({ address: '0.0.0.0', port: 6379, pids: [700], acceptQueue: 202, backlog: 4096, waitsMs: [500 * (i + 1), 100], drops: 10 + 3 * i }),
        listener({ address: '0.0.0.0', port: 22, acceptQueue: 0, backlog: 128, waitsMs: [], drops: 0 }),
      ],
    });
    s.namespaces[0].socketSource = 'sock_diag';
    s.host.takenAt = new Date(HISTORY_T0 + i * 2000).toISOString();
    if (prev) withDeltasSince(s, prev);
    prev = s;
    history.record(s, Date.parse(s.host.takenAt));
    last = { snapshot: s, findings: runRules(s, DEFAULT_RULE_OPTIONS, undefined, { history }), at: Date.parse(s.host.takenAt), tookMs: 5 };
  }
  const m = buildModel(last!, history);
  assert.equal(m.listeners[0].label, '0.0.0.0:6379', 'the one keeping clients waiting comes first');
  const text = renderScreen(m, INITIAL_UI, { cols: 150, rows: 40 }, 2000, false).join('\n');
  assert.match(text, /^ {2}listen +process +queue\/backlog +used +syn +drops +wait +queue, last 16 +wait$/m);
  assert.match(text, /^ {2}0\.0\.0\.0:6379 +700\/haproxy +202\/4096 +5% +0 +\+3 +5s +[▁▂▃▄▅▆▇█ ]{16} [▁▂▃▄▅▆▇█]{10}$/m);
  assert.match(text, /^ {2}0\.0\.0\.0:22 +0\/128 +0% +0 +0 +0 {2}/m);
  assert.match(summaryLine(m), /listener=0\.0\.0\.0:6379 queue=202\/4096 wait_ms=5000 drops=\+3 /);
  assert.match(text, /accept-wait-long/);
});

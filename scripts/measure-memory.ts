/**
 * Memory of sockdoc's history and of a long `sockdoc watch` (not part of the test suite).
 *
 *   node --expose-gc dist/scripts/measure-memory.js ring      an hour-long ring buffer (1800 samples at 2 s)
 *                                                             of a churning synthetic host, then another hour
 *   node --expose-gc dist/scripts/measure-memory.js sampler [N]  the real Sampler on this host, N samples
 *                                                             back to back: heap after GC every 100
 *   node dist/scripts/measure-memory.js watch [SECONDS]       `sockdoc watch --every 1s` in tmux for SECONDS
 *                                                             (default 600) beside a process-spawning loop;
 *                                                             its RSS every 30 s (needs tmux)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { History } from '../src/history/history.js';
import { runRules } from '../src/rules/index.js';
import { DEFAULT_RULE_OPTIONS } from '../src/rules/types.js';
import { dashboardState } from '../src/dashboard/state.js';
import { buildModel } from '../src/watch/model.js';
import { renderScreen } from '../src/watch/screen.js';
import { INITIAL_UI } from '../src/watch/ui.js';
import { withDeltasSince } from '../src/watch/sampler.js';
import { listener, proc, snapshot } from '../src/testing/snapshot-builder.js';
import { cliPath } from '../src/testing/paths.js';
import type { Snapshot } from '../src/snapshot/types.js';

const MB = 1024 * 1024;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Sample i of a busy host: 1000 processes of which 20 are new each sample, 300 listeners, one leaking. */
function hostAt(i: number): Snapshot {
  const processes = [];
  for (let k = 0; k < 980; k++) processes.push(proc({ pid: 10 + k, name: `w${k}`, open: 50 + ((k * 7 + i) % 40), soft: 4096, sockets: { ESTABLISHED: 5 } }));
  for (let k = 0; k < 20; k++) processes.push(proc({ pid: 100_000 + i * 20 + k, name: 'cron-job', open: 8, soft: 1024 }));
  processes.push(proc({ pid: 5, name: 'leaky', open: 100 + Math.floor(i / 4), soft: 65536 }));
  const listeners = Array.from({ length: 300 }, (_, k) => listener({ address: '0.0.0.0', port: 1000 + k, pids: [10 + k], acceptQueue: (k + i) % 50, backlog: 511 }));
  const s = snapshot({ processes, listeners, values: { 'TcpExt.ListenOverflows': i * 3, 'Tcp.PassiveOpens': i * 100, 'Tcp.ActiveOpens': i * 50 } });
  s.host.takenAt = new Date(Date.UTC(2026, 10, 30, 3) + i * 2000).toISOString();
  return s;
}

function ring(): void {
  const history = new History({ capacity: 1800 });
  gc();
  const base = process.memoryUsage().heapUsed;
  let prev: Snapshot | null = null;
  let recordMs = 0;
  process.stdout.write('| samples | heap used over start | ring bytes | series | processes tracked | record+rules ms/sample | dashboard state ms | state JSON |\n|---|---|---|---|---|---|---|---|\n');
  for (let i = 1; i <= 3600; i++) {
    const s = hostAt(i);
    if (prev) withDeltasSince(s, prev);
    prev = s;
    const t0 = performance.now();
    history.record(s);
    const findings = runRules(s, DEFAULT_RULE_OPTIONS, undefined, { history });
    recordMs += performance.now() - t0;
    if (i % 900 === 0) {
      const sample = { snapshot: s, findings, at: Date.parse(s.host.takenAt), tookMs: 0 };
      const t1 = performance.now();
      const json = JSON.stringify(dashboardState(sample, history, 2000));
      renderScreen(buildModel(sample, history), INITIAL_UI, { cols: 150, rows: 45 }, 2000, true);
      const stateMs = performance.now() - t1;
      gc();
      const heap = (process.memoryUsage().heapUsed - base) / MB;
      process.stdout.write(
        `| ${i} | ${heap.toFixed(1)} MB | ${(history.ring.bytes / MB).toFixed(1)} MB | ${history.ring.seriesCount} | ${history.processes.size} | ${(recordMs / 900).toFixed(1)} | ${stateMs.toFixed(0)} | ${(json.length / 1024).toFixed(0)} KiB |\n`,
      );
      recordMs = 0;
    }
  }
  process.stdout.write(`(rss ${(process.memoryUsage().rss / MB).toFixed(0)} MB)\n`);
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function watch(seconds: number): Promise<void> {
  const sock = `sockdoc-measure-${process.pid}`;
  const tmux = (...args: string[]) => spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  // Short-lived processes all along (a pid every ~0.1 s): the history must not keep them all.
  const churn = spawnSync('sh', ['-c', `(timeout ${seconds + 5} sh -c 'while :; do sleep 0.5 & sleep 0.1; done' >/dev/null 2>&1 &) ; echo started`], { encoding: 'utf8' });
  tmux('new-session', '-d', '-s', 'm', '-x', '150', '-y', '45', `${process.execPath} ${cliPath} watch --every 1s`);
  await new Promise((r) => setTimeout(r, 3000));
  const panePid = tmux('display-message', '-p', '-t', 'm', '#{pane_pid}').stdout.trim();
  const pid = Number(panePid);
  process.stdout.write(`watch pid ${pid} (${churn.stdout.trim()} churn)\n| t (s) | RSS (MB) |\n|---|---|\n`);
  for (let t = 0; t <= seconds; t += 30) {
    process.stdout.write(`| ${t} | ${rssOf(pid).toFixed(1)} |\n`);
    if (t < seconds) await new Promise((r) => setTimeout(r, 30_000));
  }
  tmux('send-keys', '-t', 'm', 'q');
  await new Promise((r) => setTimeout(r, 1000));
  tmux('kill-server');
}

/** The real Sampler on this host, as fast as it goes, for `n` samples: heap after GC every 100. */
async function sampler(n: number): Promise<void> {
  const { Sampler } = await import('../src/watch/sampler.js');
  const { buildSnapshot } = await import('../src/snapshot/build.js');
  const { diagnose } = await import('../src/cli/diagnose.js');
  const history = new History({ capacity: 1800 });
  const s = new Sampler({
    everyMs: 0,
    history,
    take: () => buildSnapshot({ root: '/', intervalMs: 0 }),
    analyse: (snap, context) => diagnose(snap, DEFAULT_RULE_OPTIONS, {}, context).findings,
  });
  process.stdout.write('| samples | heap used (MB) | array buffers (MB) | rss (MB) | series |\n|---|---|---|---|---|\n');
  for (let i = 1; i <= n; i++) {
    const sample = await s.sampleOnce();
    buildModel(sample, history);
    if (i % 100 === 0) {
      gc();
      const m = process.memoryUsage();
      process.stdout.write(`| ${i} | ${(m.heapUsed / MB).toFixed(1)} | ${(m.arrayBuffers / MB).toFixed(1)} | ${(m.rss / MB).toFixed(0)} | ${history.ring.seriesCount} |\n`);
    }
  }
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'ring') ring();
else if (mode === 'sampler') await sampler(Number(arg ?? 600));
else if (mode === 'watch') await watch(Number(arg ?? 600));
else process.stderr.write('usage: measure-memory.js ring | watch [SECONDS]\n');

/**
 * Measures the tools: one check run each (output counted), then K rounds in which every healthy
 * tool runs once, so a burst of load on the host spreads over all rows instead of hitting one.
 * Each call goes through timer.ts inside the namespace.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { inNetns } from './netns.js';
import { succeeded, type RunOutcome, type TimerResult } from './run-outcome.js';
import type { ToolSpec } from './tools.js';

export interface Measured {
  label: string;
  /** "ok", or why there are no (trustworthy) numbers. */
  status: string;
  timesS: number[];
  medianS: number | null;
  minS: number | null;
  seen: number | null;
  /** The check run's saved output, when the spec asked for it. */
  output: string;
  /** CPU seconds (user + system) of each timed run, when the spec asked for it. */
  cpuS?: number[];
  cpuMedianS?: number | null;
  /** Peak RSS of the check run, MiB, when the spec asked for it (null: could not be measured). */
  maxRssMiB?: number | null;
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function describeFailure(r: RunOutcome): string {
  if (r.timedOut) return 'timed out';
  const how = r.exitCode !== null ? `exit ${r.exitCode}` : `killed by ${r.signal}`;
  return r.stderr ? `${how}: ${r.stderr.split('\n')[0]}` : how;
}

export interface MeasureContext {
  ns: string;
  timerScript: string;
  timeoutMs: number;
}

function runTimer(ctx: MeasureContext, spec: ToolSpec, extra: string[]): Promise<TimerResult> {
  const args = [ctx.timerScript, ...extra, ...(spec.cpu ? ['--cpu'] : []), '--timeout-ms', String(ctx.timeoutMs), '--ok-exit', spec.okExit.join(','), '--', spec.cmd, ...spec.args];
  const [cmd, argv] = inNetns(ctx.ns, process.execPath, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`timer for ${spec.label} exited ${code}`));
      try {
        resolve(JSON.parse(out) as TimerResult);
      } catch (err) {
        reject(new Error(`timer for ${spec.label} printed no result: ${(err as Error).message}`));
      }
    });
  });
}

/** The untimed run: did the tool work, and did it see about `expected` sockets? */
export async function checkTool(ctx: MeasureContext, spec: ToolSpec, expected: number | null): Promise<Measured> {
  const row: Measured = { label: spec.label, status: 'ok', timesS: [], medianS: null, minS: null, seen: null, output: '' };
  if (spec.missing) return { ...row, status: spec.missing };
  const saveFile = join(tmpdir(), `sockdoc-bench-${process.pid}-${spec.label.replace(/\W+/g, '_')}.out`);
  const result = await runTimer(ctx, spec, ['--check', ...(spec.save ? ['--save', saveFile] : []), ...(spec.rss ? ['--rss'] : []), ...(spec.count ? ['--count', spec.count] : [])]);
  if (spec.save && existsSync(saveFile)) {
    row.output = readFileSync(saveFile, 'utf8');
    rmSync(saveFile);
  }
  const check = result.check!;
  if (spec.rss) row.maxRssMiB = check.maxRssKiB ? Math.round(check.maxRssKiB / 1024) : null;
  if (!succeeded(check, spec.okExit)) return { ...row, status: describeFailure(check) };
  try {
    row.seen = spec.seen(check.lines, row.output, check.matches ?? null);
  } catch (err) {
    return { ...row, status: (err as Error).message };
  }
  // A tool listing far fewer sockets than exist did not do the same work: flag it, do not rank it.
  if (expected !== null && row.seen !== null && Math.abs(row.seen - expected) > expected * 0.02 + 10) {
    return { ...row, status: `saw ${row.seen} sockets, expected ~${expected}` };
  }
  return row;
}

/** One timed run (stdout on /dev/null); updates the row, marking it failed if the run failed. */
export async function timeOnce(ctx: MeasureContext, spec: ToolSpec, row: Measured): Promise<void> {
  const result = await runTimer(ctx, spec, ['--runs', '1']);
  const run = result.runs[0];
  if (!run || !succeeded(run, spec.okExit)) {
    row.status = `run failed: ${run ? describeFailure(run) : 'no result'}`;
    return;
  }
  row.timesS.push(run.ms / 1000);
  row.medianS = median(row.timesS);
  row.minS = Math.min(...row.timesS);
  if (run.cpuMs !== undefined) {
    row.cpuS = [...(row.cpuS ?? []), run.cpuMs / 1000];
    row.cpuMedianS = median(row.cpuS);
  }
}

/** Checks every tool, then times the healthy ones round-robin, `runs` rounds. */
export async function measureAll(ctx: MeasureContext, specs: ToolSpec[], runs: number, expected: (s: ToolSpec) => number | null, onStep: (text: string) => void): Promise<Measured[]> {
  const rows: Measured[] = [];
  for (const spec of specs) {
    if (!spec.missing) onStep(`checking ${spec.label}`);
    rows.push(await checkTool(ctx, spec, expected(spec)));
  }
  for (let round = 1; round <= runs; round++) {
    for (let i = 0; i < specs.length; i++) {
      if (rows[i].status !== 'ok') continue;
      onStep(`round ${round}/${runs}: ${specs[i].label}`);
      await timeOnce(ctx, specs[i], rows[i]);
    }
  }
  return rows;
}

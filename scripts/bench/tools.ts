/**
 * The tools the benchmark compares, and how each one's output tells how many sockets it saw.
 * Every tool lists all TCP sockets with their owning processes, so each has to walk
 * /proc/PID/fd of every process (the only inode -> pid map the kernel offers, kernel-facts §1).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { findOnPath, inNetns } from './netns.js';
import type { TimerResult } from './timer.js';

export interface ToolSpec {
  /** Row label, also the command as a person would type it. */
  label: string;
  cmd: string;
  args: string[];
  /** Exit codes that mean "worked" (diagnose exits 1/2 when it has findings). */
  okExit: number[];
  /** Sockets seen, from the check run's line count and saved output; null = cannot tell. */
  seen: (lines: number, output: string) => number | null;
  /** Why it cannot run here ("not installed"), or null. */
  missing: string | null;
  /** Keep the check run's output (to read sockdoc's own timings). */
  save: boolean;
}

/** Counts socket rows in diagnose JSON if it carries a per-state summary; null when absent. */
function socketsInDiagnosis(output: string): number | null {
  let doc: unknown;
  try {
    doc = JSON.parse(output);
  } catch (err) {
    // Not JSON at all: the check fails on the count, and the reason is the parse error.
    throw new Error(`diagnose --json output is not JSON: ${(err as Error).message}`);
  }
  const d = doc as { sockets?: { total?: unknown; byState?: Record<string, unknown> } | unknown[] };
  if (Array.isArray(d.sockets)) return d.sockets.length;
  if (d.sockets && typeof d.sockets === 'object') {
    if (typeof d.sockets.total === 'number') return d.sockets.total;
    if (d.sockets.byState) return Object.values(d.sockets.byState).reduce<number>((n, v) => n + (typeof v === 'number' ? v : 0), 0);
  }
  return null;
}

function jsonArrayLength(output: string): number | null {
  const doc = JSON.parse(output) as unknown;
  return Array.isArray(doc) ? doc.length : null;
}

/** The rows of the table, in order. `cli` is dist/src/cli/main.js. */
export function benchTools(cli: string): ToolSpec[] {
  const cliMissing = existsSync(cli) ? null : `not built (${cli} missing)`;
  const sys = (name: string) => (findOnPath(name) ? null : 'not installed');
  return [
    // `sockdoc sockets` prints a header line, one line per socket, then a summary line.
    { label: 'sockdoc sockets', cmd: process.execPath, args: [cli, 'sockets'], okExit: [0], seen: (l) => l - 2, missing: cliMissing, save: false },
    // Same snapshot, JSON instead of the aligned table: separates reading from rendering.
    {
      label: 'sockdoc sockets --json',
      cmd: process.execPath,
      args: [cli, 'sockets', '--json'],
      okExit: [0],
      seen: (_l, out) => jsonArrayLength(out),
      missing: cliMissing,
      save: true,
    },
    {
      label: 'sockdoc --interval 0 --json',
      cmd: process.execPath,
      args: [cli, '--interval', '0', '--json'],
      okExit: [0, 1, 2],
      seen: (_l, out) => socketsInDiagnosis(out),
      missing: cliMissing,
      save: true,
    },
    { label: 'ss -tanp', cmd: 'ss', args: ['-tanp'], okExit: [0], seen: (l) => l - 1, missing: sys('ss'), save: false },
    // netstat: "Active Internet connections" + column header.
    { label: 'netstat -tanp', cmd: 'netstat', args: ['-tanp'], okExit: [0], seen: (l) => l - 2, missing: sys('netstat'), save: false },
    // lsof: one header, then one line per (process, fd): a socket held by two processes counts twice.
    { label: 'lsof -nP -iTCP', cmd: 'lsof', args: ['-nP', '-iTCP'], okExit: [0], seen: (l) => l - 1, missing: sys('lsof'), save: false },
  ];
}

/** Not a competitor: the floor under both sockdoc rows (starting node and exiting). */
export function nodeStartup(): ToolSpec {
  return { label: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], okExit: [0], seen: () => null, missing: null, save: false };
}

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
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function describeFailure(r: TimerResult['check']): string {
  if (r.timedOut) return 'timed out';
  const how = r.exitCode !== null ? `exit ${r.exitCode}` : `killed by ${r.signal}`;
  return r.stderr ? `${how}: ${r.stderr.split('\n')[0]}` : how;
}

/** Runs the timer inside the namespace for one tool and judges the result against `expected` sockets. */
export async function measureTool(ns: string, timerScript: string, spec: ToolSpec, runs: number, expected: number, timeoutMs: number): Promise<Measured> {
  const base: Measured = { label: spec.label, status: 'ok', timesS: [], medianS: null, minS: null, seen: null, output: '' };
  if (spec.missing) return { ...base, status: spec.missing };
  const saveFile = join(tmpdir(), `sockdoc-bench-${process.pid}-${spec.label.replace(/\W+/g, '_')}.out`);
  const timerArgs = ['--runs', String(runs), '--timeout-ms', String(timeoutMs), '--ok-exit', spec.okExit.join(',')];
  if (spec.save) timerArgs.push('--save', saveFile);
  const [cmd, argv] = inNetns(ns, process.execPath, [timerScript, ...timerArgs, '--', spec.cmd, ...spec.args]);
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`timer for ${spec.label} exited ${code}`))));
  });
  const result = JSON.parse(stdout) as TimerResult;
  if (spec.save && existsSync(saveFile)) {
    base.output = readFileSync(saveFile, 'utf8');
    rmSync(saveFile);
  }
  const check = result.check;
  if (check.timedOut || check.exitCode === null || !spec.okExit.includes(check.exitCode)) return { ...base, status: describeFailure(check) };
  const times = result.runs.map((r) => r.ms / 1000);
  const bad = result.runs.find((r) => r.timedOut || r.exitCode === null || !spec.okExit.includes(r.exitCode));
  let seen: number | null;
  try {
    seen = spec.seen(check.lines, base.output);
  } catch (err) {
    return { ...base, status: (err as Error).message };
  }
  const out = { ...base, timesS: times, medianS: median(times), minS: times.length ? Math.min(...times) : null, seen };
  if (bad) return { ...out, status: `run failed: ${describeFailure({ ...bad, lines: 0, bytes: 0 })}` };
  // A tool that lists far fewer sockets than exist did not do the same work: flag it, do not rank it.
  if (seen !== null && Math.abs(seen - expected) > expected * 0.02 + 10) return { ...out, status: `saw ${seen} sockets, expected ~${expected}` };
  return out;
}

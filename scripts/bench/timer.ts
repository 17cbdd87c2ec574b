/**
 * Times one command, run from INSIDE the benchmark namespace so that `ip netns exec` (which
 * unshares a mount namespace and remounts /sys) is paid once per tool, not once per run:
 *   node timer.js [--check] [--cpu] [--save FILE] --runs K --timeout-ms T [--ok-exit 0,1,2] -- CMD ARGS...
 * --check: first one untimed run with stdout captured (lines counted, optionally saved), so a tool
 * that fails fast is not mistaken for a fast one. Then K timed runs with stdout on /dev/null,
 * stopping at the first that fails. --cpu: the command runs under bash, whose `times` gives its CPU
 * time (user + system, all threads) as well.
 * Prints one JSON object (TimerResult) on stdout.
 */
import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTimes, succeeded, type RunOutcome, type TimerResult } from './run-outcome.js';

/** Runs CMD under bash and has bash write its children's CPU times to a file afterwards. */
function underTimes(cmd: string, args: string[], file: string): [string, string[]] {
  return ['bash', ['-c', 'T=$1; shift; "$@"; rc=$?; times > "$T"; exit $rc', 'bash', file, cmd, ...args]];
}

async function runMeasured(cmd: string, args: string[], timeoutMs: number, stdout: number | 'pipe', cpu: boolean, onData?: (b: Buffer) => void): Promise<RunOutcome> {
  if (!cpu) return runOnce(cmd, args, timeoutMs, stdout, onData);
  const file = join(tmpdir(), `sockdoc-bench-times-${process.pid}`);
  const [c, a] = underTimes(cmd, args, file);
  const r = await runOnce(c, a, timeoutMs, stdout, onData);
  try {
    const ms = parseTimes(readFileSync(file, 'utf8'));
    if (ms !== null) r.cpuMs = ms;
    rmSync(file);
  } catch {
    // No times file: the run failed or was killed; its outcome says so.
  }
  return r;
}

function runOnce(cmd: string, args: string[], timeoutMs: number, stdout: number | 'pipe', onData?: (b: Buffer) => void): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < 1024) stderr += b.toString('utf8').slice(0, 1024 - stderr.length);
    });
    if (onData) child.stdout!.on('data', onData);
    let ms = 0;
    child.on('exit', () => {
      // Wall time to process exit: what a person at a shell waits for.
      ms = Number(process.hrtime.bigint() - t0) / 1e6;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ms: 0, exitCode: null, signal: null, timedOut: false, stderr: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ms, exitCode: code, signal, timedOut, stderr: stderr.trim() });
    });
  });
}

async function main(argv: string[]): Promise<number> {
  const sep = argv.indexOf('--');
  if (sep < 0 || sep === argv.length - 1) {
    process.stderr.write('usage: timer.js [--check] [--save FILE] --runs K --timeout-ms T [--ok-exit 0,1] -- CMD ARGS...\n');
    return 2;
  }
  const opt = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && i < sep ? argv[i + 1] : dflt;
  };
  let runs = Number(opt('--runs', '0'));
  const timeoutMs = Number(opt('--timeout-ms', '120000'));
  const okExit = opt('--ok-exit', '0').split(',').map(Number);
  const save = opt('--save', '');
  const [cmd, ...args] = argv.slice(sep + 1);
  const cpu = argv.slice(0, sep).includes('--cpu');

  const result: TimerResult = { check: null, runs: [] };
  if (argv.slice(0, sep).includes('--check')) {
    let lines = 0;
    let bytes = 0;
    const file = save ? createWriteStream(save) : null;
    const check = await runMeasured(cmd, args, timeoutMs, 'pipe', cpu, (b) => {
      bytes += b.length;
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
      file?.write(b);
    });
    if (file) await new Promise((r) => file.end(r));
    result.check = { ...check, lines, bytes };
    if (!succeeded(check, okExit)) runs = 0;
  }
  const devNull = openSync('/dev/null', 'w');
  try {
    for (let i = 0; i < runs; i++) {
      const r = await runMeasured(cmd, args, timeoutMs, devNull, cpu);
      result.runs.push(r);
      if (!succeeded(r, okExit)) break;
    }
  } finally {
    closeSync(devNull);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));

/**
 * Times one command, run from INSIDE the benchmark namespace so that `ip netns exec` (which
 * unshares a mount namespace and remounts /sys) is paid once per tool, not once per run:
 *   node timer.js [--check] [--cpu] [--rss] [--count PATTERN] [--save FILE] --runs K --timeout-ms T [--ok-exit 0,1,2] -- CMD ARGS...
 * --check: first one untimed run with stdout captured (lines counted, optionally saved), so a tool
 * that fails fast is not mistaken for a fast one. Then K timed runs with stdout on /dev/null,
 * stopping at the first that fails. --cpu: the command runs under bash, whose `times` gives its CPU
 * time (user + system, all threads) as well. --rss: the check run's peak RSS (python3's getrusage of
 * its children), --count: occurrences of PATTERN in the check run's stdout (a JSON array's rows,
 * counted as they stream: a million rows are never one string here).
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

/**
 * Runs CMD under python3, which writes the peak RSS of what it waited for (ru_maxrss of
 * RUSAGE_CHILDREN, KiB on Linux) to FILE. The command dies with it (PR_SET_PDEATHSIG): a timeout's
 * SIGKILL of the wrapper leaves nothing behind.
 */
function underRss(cmd: string, args: string[], file: string): [string, string[]] {
  const py = [
    'import ctypes,resource,signal,subprocess,sys',
    'libc=ctypes.CDLL(None)',
    'r=subprocess.run(sys.argv[2:],preexec_fn=lambda: libc.prctl(1,signal.SIGKILL))',
    'open(sys.argv[1],"w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))',
    'sys.exit(r.returncode if r.returncode>=0 else 128-r.returncode)',
  ].join('\n');
  return ['python3', ['-c', py, file, cmd, ...args]];
}

async function runMeasured(cmd: string, args: string[], timeoutMs: number, stdout: number | 'pipe', cpu: boolean, onData?: (b: Buffer) => void, rssFile?: string): Promise<RunOutcome> {
  if (rssFile) [cmd, args] = underRss(cmd, args, rssFile);
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
    process.stderr.write('usage: timer.js [--check] [--cpu] [--rss] [--count PATTERN] [--save FILE] --runs K --timeout-ms T [--ok-exit 0,1] -- CMD ARGS...\n');
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
  const rss = argv.slice(0, sep).includes('--rss');
  const pattern = opt('--count', '');

  const result: TimerResult = { check: null, runs: [] };
  if (argv.slice(0, sep).includes('--check')) {
    let lines = 0;
    let bytes = 0;
    let matches = 0;
    // The pattern may straddle two reads: the tail of the last one is searched with the next.
    const needle = Buffer.from(pattern);
    let tail = Buffer.alloc(0);
    const file = save ? createWriteStream(save) : null;
    const rssFile = rss ? join(tmpdir(), `sockdoc-bench-rss-${process.pid}`) : undefined;
    const check = await runMeasured(cmd, args, timeoutMs, 'pipe', cpu, (b) => {
      bytes += b.length;
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
      if (needle.length > 0) {
        const hay = tail.length ? Buffer.concat([tail, b]) : b;
        for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) matches++;
        tail = Buffer.from(hay.subarray(Math.max(0, hay.length - needle.length + 1)));
      }
      file?.write(b);
    }, rssFile);
    if (file) await new Promise((r) => file.end(r));
    result.check = { ...check, lines, bytes, ...(needle.length ? { matches } : {}) };
    if (rssFile) {
      try {
        result.check.maxRssKiB = Number(readFileSync(rssFile, 'utf8')) || null;
        rmSync(rssFile);
      } catch {
        result.check.maxRssKiB = null; // no python3, or the run was killed before it wrote
      }
    }
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

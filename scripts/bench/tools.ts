/**
 * The tools the benchmark compares, and how each one's output tells how many sockets it saw.
 * Every tool lists all TCP sockets with their owning processes, so each has to walk
 * /proc/PID/fd of every process (the only inode -> pid map the kernel offers, kernel-facts §1).
 */
import { existsSync } from 'node:fs';
import { findOnPath } from './netns.js';

export interface ToolSpec {
  /** Row label, also the command as a person would type it. */
  label: string;
  cmd: string;
  args: string[];
  /** Exit codes that mean "worked" (diagnose exits 1/2 when it has findings). */
  okExit: number[];
  /** Sockets seen, from the check run's line count, saved output and `count` matches; null = cannot tell. */
  seen: (lines: number, output: string, matches: number | null) => number | null;
  /** Why it cannot run here ("not installed"), or null. */
  missing: string | null;
  /** Keep the check run's output (to read sockdoc's own timings). */
  save: boolean;
  /** Also measure its CPU time (timer.ts --cpu). */
  cpu?: boolean;
  /** Also measure the check run's peak RSS (timer.ts --rss). */
  rss?: boolean;
  /** Count this string in the check run's output as it streams (timer.ts --count): `seen` gets the count. */
  count?: string;
}

function parseJson(what: string, output: string): unknown {
  try {
    return JSON.parse(output);
  } catch (err) {
    // Reported on the row instead of a count: a tool printing garbage did not do the work.
    throw new Error(`${what} output is not JSON: ${(err as Error).message}`);
  }
}

/** Sockets in diagnose JSON: the sum of `socketStates` (docs/json-schema.md). */
function socketsInDiagnosis(output: string): number | null {
  const states = (parseJson('diagnose --json', output) as { socketStates?: Record<string, unknown> }).socketStates;
  if (!states || typeof states !== 'object') return null;
  return Object.values(states).reduce<number>((n, v) => n + (typeof v === 'number' ? v : 0), 0);
}

/**
 * Rows of `sockets --json`, counted as the output streams through the timer: every row, and only a
 * row, starts with `{"state":` (a string holding that text is escaped: `{\"state\":`), so a million
 * rows are counted without holding ~200 MB of JSON.
 */
export const SOCKETS_ROW = '{"state":';

/** Above this many sockets, the tools that look up each socket's owners by a chained hash are not timed. */
export const OWNER_TOOLS_MAX = 200_000;

/** The diagnose row and its peer without drops and waits (SOCKDOC_LISTENER_EXTRAS=off). */
export const WITH_EXTRAS = 'sockdoc --interval 0 --json';
export const WITHOUT_EXTRAS = 'sockdoc --interval 0 --json, no drops/waits';

/**
 * The rows of the table, in order. `cli` is dist/src/cli/main.js; `ns` the benchmark's namespace,
 * to which sockdoc is narrowed (it reads every namespace of the host otherwise, as ss does not).
 */
export function benchTools(cli: string, ns: string, sockets = 0): ToolSpec[] {
  const only = ['--netns', ns];
  const cliMissing = existsSync(cli) ? null : `not built (${cli} missing)`;
  const sys = (name: string) => (findOnPath(name) ? null : 'not installed');
  // ss -p and netstat -p find each inode's owner in a fixed chained hash (docs/benchmarks.md):
  // quadratic, 12 minutes a run for ss -tanp at 1M sockets. lsof is not timed beside them either.
  const owners = (name: string) => sys(name) ?? (sockets > OWNER_TOOLS_MAX ? `not timed above ${OWNER_TOOLS_MAX} sockets (minutes a run; ss -tan is the floor)` : null);
  return [
    // `sockdoc sockets` prints a header line, one line per socket, then a summary line.
    { label: 'sockdoc sockets', cmd: process.execPath, args: [cli, 'sockets', ...only], okExit: [0], seen: (l) => l - 2, missing: cliMissing, save: false, rss: true },
    // Same snapshot, JSON instead of the aligned table: separates reading from rendering.
    {
      label: 'sockdoc sockets --json',
      cmd: process.execPath,
      args: [cli, 'sockets', '--json', ...only],
      okExit: [0],
      seen: (_l, _out, rows) => rows,
      missing: cliMissing,
      save: false,
      rss: true,
      count: SOCKETS_ROW,
    },
    {
      label: WITH_EXTRAS,
      cmd: process.execPath,
      args: [cli, '--interval', '0', '--json', ...only],
      okExit: [0, 1, 2],
      seen: (_l, out) => socketsInDiagnosis(out),
      missing: cliMissing,
      save: true,
      cpu: true,
      rss: true,
    },
    // The same diagnosis without each listener's drops and its queue's waits (one plain dump, as
    // before issue 20): the pair says what reading them costs (docs/benchmarks.md).
    {
      label: WITHOUT_EXTRAS,
      cmd: 'env',
      args: ['SOCKDOC_LISTENER_EXTRAS=off', process.execPath, cli, '--interval', '0', '--json', ...only],
      okExit: [0, 1, 2],
      seen: (_l, out) => socketsInDiagnosis(out),
      missing: cliMissing ?? sys('env'),
      save: true,
      cpu: true,
    },
    { label: 'ss -tanp', cmd: 'ss', args: ['-tanp'], okExit: [0], seen: (l) => l - 1, missing: owners('ss'), save: false },
    // The sockets without their processes: the kernel's dump and its formatting, the floor under every row.
    { label: 'ss -tan', cmd: 'ss', args: ['-tan'], okExit: [0], seen: (l) => l - 1, missing: sys('ss'), save: false, rss: true },
    // netstat: "Active Internet connections" + column header.
    { label: 'netstat -tanp', cmd: 'netstat', args: ['-tanp'], okExit: [0], seen: (l) => l - 2, missing: owners('netstat'), save: false },
    // lsof: one header, then one line per (process, fd): a socket held by two processes counts twice.
    { label: 'lsof -nP -iTCP', cmd: 'lsof', args: ['-nP', '-iTCP'], okExit: [0], seen: (l) => l - 1, missing: owners('lsof'), save: false },
  ];
}

/** `sockdoc --interval 0 --json` of one checkout (`cli` its dist/src/cli/main.js), for --baseline. */
export function diagnoseSpec(cli: string, which: string): ToolSpec {
  return {
    label: `sockdoc --interval 0 --json (${which})`,
    cmd: process.execPath,
    args: [cli, '--interval', '0', '--json'],
    okExit: [0, 1, 2],
    seen: (_l, out) => socketsInDiagnosis(out),
    missing: existsSync(cli) ? null : `not built (${cli} missing)`,
    save: true,
    cpu: true,
  };
}

/** Not a competitor: the floor under both sockdoc rows (starting node and exiting). */
export function nodeStartup(): ToolSpec {
  return { label: 'node -e 0', cmd: process.execPath, args: ['-e', '0'], okExit: [0], seen: () => null, missing: null, save: false };
}

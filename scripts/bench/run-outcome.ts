/** What timer.ts reports for one command (shared with the bench, which reads its JSON). */

export interface RunOutcome {
  ms: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** First KiB of stderr, for the report when something went wrong. */
  stderr: string;
  /** With --cpu: user + system time of the command and its threads (bash's `times`), ms. */
  cpuMs?: number;
}

/** The children's line of bash's `times` ("0m0.637s 0m0.019s", second line) as ms. */
export function parseTimes(text: string): number | null {
  const line = text.split('\n')[1] ?? '';
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(line.trim());
  if (!m) return null;
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

export interface CheckOutcome extends RunOutcome {
  lines: number;
  bytes: number;
  /** With --count PATTERN: occurrences of PATTERN in stdout (counted as it streams, never held whole). */
  matches?: number;
  /** With --rss: the command's peak resident set (getrusage of the children, ru_maxrss), KiB; null when not measured. */
  maxRssKiB?: number | null;
}

export interface TimerResult {
  check: CheckOutcome | null;
  runs: RunOutcome[];
}

/** The command did what it should: finished in time with an accepted exit code. */
export function succeeded(r: RunOutcome, okExit: number[]): boolean {
  return !r.timedOut && r.exitCode !== null && okExit.includes(r.exitCode);
}

/** What timer.ts reports for one command (shared with the bench, which reads its JSON). */

export interface RunOutcome {
  ms: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** First KiB of stderr, for the report when something went wrong. */
  stderr: string;
}

export interface CheckOutcome extends RunOutcome {
  lines: number;
  bytes: number;
}

export interface TimerResult {
  check: CheckOutcome | null;
  runs: RunOutcome[];
}

/** The command did what it should: finished in time with an accepted exit code. */
export function succeeded(r: RunOutcome, okExit: number[]): boolean {
  return !r.timedOut && r.exitCode !== null && okExit.includes(r.exitCode);
}

/** What a command may touch: its arguments come separately; output and environment come through here. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** stdout is a terminal (colour allowed unless NO_COLOR). */
  isTTY: boolean;
  /** stderr is a terminal (progress lines allowed). */
  stderrIsTTY: boolean;
  /** Terminal width, or 100 when unknown. */
  columns: number;
}

/** Exit codes, the monitoring-plugin convention (Nagios plugin guidelines). */
export const EXIT = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const;

/** An expected failure: printed as one line "sockdoc: <message>", exit 3. Never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
  /** @param help false when --help cannot help (a busy port, an address not on this host). */
  constructor(message: string, readonly help = true) {
    super(message);
  }
}

/** A command: returns its exit code. */
export type Command = (args: string[], io: Io) => Promise<number>;

/** Colour only on a TTY and when NO_COLOR is unset or empty (no-color.org). */
export function useColor(io: Io): boolean {
  return io.isTTY && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

/** The real process's streams and environment (used by the bin and the lab's inner entry point). */
export function processIo(): Io {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stdout.columns || 100,
  };
}

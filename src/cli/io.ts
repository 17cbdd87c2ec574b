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
  /**
   * Writes one piece of a long output (`sockets` at a million sockets) and resolves once the next
   * may follow: after the reader took it (a pipe's back-pressure), so one piece is in memory at a
   * time. Resolves false when nobody reads any more (a closed pipe: `sockdoc sockets | head`): the
   * caller stops making pieces. A piece may be UTF-8 bytes (`sockets` writes its rows as bytes).
   * Absent: `stdout`, and true.
   */
  stdoutPiece?: (piece: string | Uint8Array) => Promise<boolean>;
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

/**
 * Writes every piece of `pieces` (text, or UTF-8 bytes) through io.stdoutPiece (or io.stdout, bytes
 * as text); false when the reader went away first.
 */
export async function writePieces(io: Io, pieces: Iterable<string | Uint8Array>): Promise<boolean> {
  for (const piece of pieces) {
    if (io.stdoutPiece) {
      if (!(await io.stdoutPiece(piece))) return false;
    } else io.stdout(typeof piece === 'string' ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('utf8'));
  }
  return true;
}

/** One piece to a stream, waiting for 'drain' when its buffer is full; false once it failed or closed. */
export function writeToStream(stream: NodeJS.WritableStream & { destroyed?: boolean; errored?: unknown; writableNeedDrain?: boolean }, text: string | Uint8Array): Promise<boolean> {
  const gone = () => Boolean(stream.destroyed || stream.errored);
  if (gone()) return Promise.resolve(false);
  // A write to a closed pipe fails at once (EPIPE: `errored` is set before write returns).
  if (stream.write(text) || gone()) return Promise.resolve(!gone());
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve(!gone());
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
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
    stdoutPiece: (t) => writeToStream(process.stdout, t),
  };
}

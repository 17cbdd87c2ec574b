/**
 * File access shared by every probe. procfs reports size 0 and generates text per read() call
 * (fs/proc/generic.c, seq_file), so files are read in large chunks without stat.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeReport } from '../snapshot/types.js';

const CHUNK = 1 << 20;

/** Reads a whole file, procfs included, in 1 MiB chunks. Throws the errno error as is. */
export function readText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      chunks.push(n === CHUNK ? buf : buf.subarray(0, n));
    }
    return chunks.length === 1 ? chunks[0].toString('latin1') : Buffer.concat(chunks).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Joins a path onto the injected filesystem root ("/" for the live host). */
export function under(root: string, ...parts: string[]): string {
  return join(root, ...parts);
}

/** A file that exists but does not parse: names the file and the line. */
export class ParseError extends Error {
  override name = 'ParseError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

export type Outcome = 'absent' | 'denied' | 'failed';

/** Maps an error to a probe outcome: ENOENT/ESRCH -> absent, EACCES/EPERM -> denied, the rest failed. */
export function outcomeOf(err: unknown): Outcome {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return 'absent';
  if (code === 'EACCES' || code === 'EPERM') return 'denied';
  return 'failed';
}

/** One line describing an error, for notes and probe reports. */
export function describeError(err: unknown): string {
  if (err instanceof ParseError) return err.message;
  const e = err as NodeJS.ErrnoException | null;
  if (e?.code && e.path) return `${e.code} ${e.path}`;
  return e?.message ?? String(err);
}

/**
 * Runs one probe and reports its outcome and duration. Returns null (and a non-ok report) on error;
 * expected errors never escape as exceptions.
 */
export function runProbe<T>(probe: string, source: string, fn: () => T): { value: T | null; report: ProbeReport } {
  const t0 = performance.now();
  try {
    const value = fn();
    return { value, report: { probe, source, status: 'ok', ms: performance.now() - t0 } };
  } catch (err) {
    const status = err instanceof ParseError ? 'failed' : outcomeOf(err);
    return { value: null, report: { probe, source, status, ms: performance.now() - t0, detail: describeError(err) } };
  }
}

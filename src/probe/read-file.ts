/**
 * File access shared by every probe. procfs reports size 0 and generates text per read() call
 * (fs/proc/generic.c, seq_file), so files are read in large chunks without stat.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeReport } from '../snapshot/types.js';

// Most proc files are small (stat, limits: < 2 KiB); /proc/net/tcp is megabytes. Start small,
// grow to 1 MiB chunks: a 1 MiB allocation per small file cost ~20 µs per read here.
const FIRST_CHUNK = 16 << 10;
const CHUNK = 1 << 20;

/** Reads a whole file, procfs included, in growing chunks. Throws the errno error as is. */
export function readText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let size = FIRST_CHUNK;
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      let filled = 0;
      // procfs may return less than asked before EOF (one seq_file page per read): fill the buffer.
      while (filled < size) {
        const n = readSync(fd, buf, filled, size - filled, null);
        if (n === 0) break;
        filled += n;
      }
      chunks.push(filled === size ? buf : buf.subarray(0, filled));
      if (filled < size) break;
      size = CHUNK;
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

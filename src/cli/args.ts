/** Flag parsing shared by commands: node's parseArgs, with errors turned into one-line UsageErrors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true as const });
  } catch (err) {
    // parseArgs messages are already one line; drop its "To specify a positional..." hint.
    throw new UsageError((err as Error).message.split('. To specify')[0]);
  }
}

/** A non-negative integer flag ("--pid 123"). */
export function intFlag(name: string, value: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} expects a whole number, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A ratio flag given as 0.8 or 80%. */
export function ratioFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(value);
  if (!m) throw new UsageError(`--${name} expects a ratio like 0.8 or 80%, got '${value}'`);
  const n = m[2] ? Number(m[1]) / 100 : Number(m[1]);
  if (!(n > 0 && n <= 1)) throw new UsageError(`--${name} must be in (0, 1] (or 1%..100%), got '${value}'`);
  return n;
}

/** A duration: "1", "1.5" (seconds), "500ms", "2s". Returns ms. */
export function durationFlag(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value);
  if (!m) throw new UsageError(`--${name} expects a duration like 1, 0.5, 500ms or 2s, got '${value}'`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : n * 1000;
  if (ms > 60_000) throw new UsageError(`--${name} must be at most 60s, got '${value}'`);
  return Math.round(ms);
}

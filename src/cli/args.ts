/** Flag parsing shared by commands: node's parseArgs, with errors turned into one-line UsageErrors. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';
import { processOfThread } from '../probe/pid-status.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(args: string[], options: T, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals, strict: true as const, tokens: true as const });
  } catch (err) {
    throw new UsageError(parseArgsMessage((err as Error).message, args));
  }
  refuseRepeats(parsed.tokens, options);
  const { values, positionals } = parsed;
  return { values, positionals };
}

/**
 * One line from a parseArgs error. Its messages may span lines ("argument is ambiguous.\nDid you
 * forget…\nTo specify an option argument starting with a dash use '--every=-XYZ'."), which the
 * bin would print escaped as one line with literal \n; they end with hints about parseArgs' own
 * syntax. A value that starts with '-' is said plainly, quoting it.
 */
export function parseArgsMessage(message: string, args: readonly string[]): string {
  const ambiguous = /^Option '(-[^']*)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const flag = ambiguous[1].split(', ').pop()!;
    const at = args.indexOf(flag);
    const value = at >= 0 ? args[at + 1] : undefined;
    return value !== undefined ? `${flag} ${value}: a value cannot start with '-' (none of sockdoc's options takes a negative number)` : `${flag} needs a value`;
  }
  return message.split('\n')[0].split(/(?<=[.?]) To specify/)[0];
}

/**
 * parseArgs keeps the last of a repeated flag: `--port 80 --port 443` would silently diagnose 443
 * only. A flag given twice (unless declared `multiple`) is refused, naming both values.
 */
function refuseRepeats(tokens: ReadonlyArray<{ kind: string; name?: string; value?: string | undefined }>, options: Options): void {
  const seen = new Map<string, string | undefined>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined || options[t.name]?.multiple) continue;
    if (seen.has(t.name)) {
      const before = seen.get(t.name);
      const values = before !== undefined && t.value !== undefined ? ` ('${before}' and '${t.value}')` : '';
      throw new UsageError(`--${t.name} was given twice${values}: give it once`);
    }
    seen.set(t.name, t.value);
  }
}

/**
 * Options that take a value, across every command: with them, `sockdoc --root DIR limits PID`
 * can find the command word after options (DIR is a value, "limits" the command). app.test.ts
 * checks this matches the commands' option tables.
 */
export const VALUE_OPTIONS: ReadonlySet<string> = new Set([
  'interval', 'pid', 'port', 'root', 'fd-warning', 'fd-critical', 'queue-warning', 'file-table-warning',
  'syn-warning', 'state', 'lab-id', 'mode', 'capture', 'conntrack-warning', 'ports-warning', 'ports-critical', 'cap-warning', 'inotify-warning',
  'process-ratio', 'listen', 'allow-host', 'timeout', 'top', 'max-listeners', 'max-processes', 'max-namespaces', 'netns', 'container', 'pod', 'every', 'count', 'history',
  'accept-wait', 'netns-budget',
]);

/**
 * Splits argv into the command word and the rest, wherever the command word stands among the
 * options: the first token that is neither an option nor an option's value. null = none given.
 */
export function splitCommand(argv: readonly string[]): { command: string | null; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a.startsWith('-') && a !== '-') {
      if (a.startsWith('--') && !a.includes('=') && VALUE_OPTIONS.has(a.slice(2))) i++;
      continue;
    }
    return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: null, rest: [...argv] };
}

/**
 * A non-negative integer flag ("--pid 123"); `what` names it in errors (default `--NAME`; "the port"
 * for a positional). Errors quote the value as typed: 99999999999999999999 is not "1e20".
 */
export function intFlag(name: string, value: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER, what = `--${name}`): number | undefined {
  if (value === undefined) return undefined;
  const range = max === Number.MAX_SAFE_INTEGER ? (min > 0 ? ` (at least ${min})` : '') : ` from ${min} to ${max}`;
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} expects a whole number${range}, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${what} must be between ${min} and ${max}, got '${value}'`);
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

/**
 * A duration: "1", "1.5" (seconds), "500ms", "2s", from `minMs` to 60 s. Returns ms.
 * @throws UsageError naming the flag, the accepted form and range, and the bad value.
 */
export function durationFlag(name: string, value: string | undefined, fallbackMs: number, minMs = 0): number {
  if (value === undefined) return fallbackMs;
  const range = `${minMs > 0 ? `${minMs}ms` : '0'} to 60s`;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value);
  if (!m) throw new UsageError(`--${name} expects a duration from ${range} like 1, 0.5, 500ms or 2s, got '${value}'`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : n * 1000;
  if (ms > 60_000 || ms < minMs) throw new UsageError(`--${name} must be from ${range}, got '${value}'`);
  return Math.round(ms);
}

/**
 * A --pid or PID argument that may be a thread id (what `top -H` shows): the process it belongs
 * to, so every command answers about the same process. Tells the user on stderr when it mapped.
 * A pid with no process under `root` (/proc/PID absent: exited, never there, or in a PID namespace
 * this /proc does not show) is a UsageError naming the flag (`flag` null: a positional PID), exit 3 (docs/exit-codes.md), for every
 * command alike: `sockets --pid 999999` must not print an empty list as if that process held nothing.
 */
export function processId(root: string, id: number, io: { stderr: (t: string) => void }, flag: string | null = '--pid'): number {
  if (!existsSync(join(root, 'proc', String(id)))) throw new UsageError(flag === null ? `no process ${id}` : `${flag} ${id}: no such process (or not visible to this user)`);
  const pid = processOfThread(root, id);
  if (pid !== id) io.stderr(`sockdoc: note: ${id} is a thread of process ${pid}; showing process ${pid}\n`);
  return pid;
}

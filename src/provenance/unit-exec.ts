/**
 * What a systemd unit starts: its effective ExecStart= (a drop-in's empty ExecStart= clears the
 * list, the next one replaces it; man systemd.service) split into words with its Environment= and
 * EnvironmentFile= variables expanded (files override Environment=, man systemd.exec). Programs
 * that rewrite their title (Redis, PostgreSQL backends) lose their command line; the unit keeps it,
 * and each word remembers the file and line that wrote it.
 */
import { readOptional } from './config-files.js';
import { parseEnvFile, type EnvAssignment } from './env-file.js';
import { splitExecLine, type ExecWord } from './exec-line.js';
import { findDropIns, findFragment } from './systemd.js';
import { parseUnitFile, type UnitAssignment } from './unit-file.js';

export interface UnitExec {
  unit: string;
  /** The ExecStart= assignment in force. */
  exec: UnitAssignment;
  words: ExecWord[];
  /** The variables it could expand, with where each was set. */
  env: Map<string, EnvAssignment>;
}

/** Environment= values ("A=1 'B=two words'") as assignments. */
function environmentLine(a: UnitAssignment): EnvAssignment[] {
  const out: EnvAssignment[] = [];
  for (const w of splitExecLine(a.value, new Map())) {
    const eq = w.word.indexOf('=');
    if (eq > 0) out.push({ key: w.word.slice(0, eq), value: w.word.slice(eq + 1), file: a.file, line: a.line });
  }
  return out;
}

/** The environment ExecStart= sees: Environment= in order, then each EnvironmentFile= (which override it); an empty assignment resets its list. */
function unitEnvironment(root: string, all: readonly UnitAssignment[]): Map<string, EnvAssignment> {
  let inline: UnitAssignment[] = [];
  let files: UnitAssignment[] = [];
  for (const a of all) {
    if (a.section !== 'Service') continue;
    if (a.key === 'Environment') inline = a.value === '' ? [] : [...inline, a];
    if (a.key === 'EnvironmentFile') files = a.value === '' ? [] : [...files, a];
  }
  const env = new Map<string, EnvAssignment>();
  for (const a of inline) for (const e of environmentLine(a)) env.set(e.key, e);
  for (const f of files) {
    const path = f.value.startsWith('-') ? f.value.slice(1) : f.value;
    const text = readOptional(root, path);
    if (text === null) continue; // "-" makes a missing file fine; without it systemd would not start the unit
    for (const e of parseEnvFile(text, path)) env.set(e.key, e);
  }
  return env;
}

/**
 * The unit's command line, or null when it has no ExecStart= (or no unit file is found). Throws
 * ParseError for a malformed unit file or drop-in.
 * @example readUnitExec('/', 'redis-server.service')?.words.map((w) => w.word) // ['/usr/bin/redis-server', '/etc/redis/redis.conf', ...]
 */
export function readUnitExec(root: string, unit: string): UnitExec | null {
  const frag = findFragment(root, unit);
  const all: UnitAssignment[] = [];
  if (frag) all.push(...parseUnitFile(frag.text, frag.path));
  for (const d of findDropIns(root, unit)) all.push(...parseUnitFile(readOptional(root, d) ?? '', d));
  let exec: UnitAssignment | null = null;
  for (const a of all) if (a.section === 'Service' && a.key === 'ExecStart') exec = a.value === '' ? null : a;
  if (!exec) return null;
  const env = unitEnvironment(root, all);
  const words = splitExecLine(exec.value, new Map([...env].map(([k, e]) => [k, e.value])));
  return { unit, exec, words, env };
}

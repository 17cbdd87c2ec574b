/**
 * What systemd will apply as RLIMIT_NOFILE to a unit's processes: the unit's `LimitNOFILE=`
 * (fragment, then drop-ins), else the manager's `DefaultLimitNOFILE=`, else the built-in default.
 * Sources: man systemd.unit ("Unit File Load Path", drop-ins), man systemd.exec (LimitNOFILE=),
 * man systemd-system.conf (DefaultLimitNOFILE=, system.conf.d).
 */
import { byteOrder, listDir, readOptional } from './config-files.js';
import { parseLimitValue, type NofilePair } from './rlimit.js';
import { parseUnitFile, type UnitAssignment } from './unit-file.js';

/**
 * The system manager's unit search path, highest priority first (man systemd.unit). /lib is
 * listed for distributions without a merged /usr.
 */
export const UNIT_SEARCH_PATH = [
  '/etc/systemd/system.control',
  '/run/systemd/system.control',
  '/run/systemd/transient',
  '/run/systemd/generator.early',
  '/etc/systemd/system',
  '/etc/systemd/system.attached',
  '/run/systemd/system',
  '/run/systemd/system.attached',
  '/run/systemd/generator',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
  '/run/systemd/generator.late',
];

/**
 * systemd ≥ 240 gives services soft 1024 (keeps select() safe) and hard 512K
 * (src/core/main.c, HIGH_RLIMIT_NOFILE; NEWS for v240).
 */
export const BUILTIN_DEFAULT_NOFILE: NofilePair = { soft: 1024, hard: 524288 };

/** Where the value the manager applies comes from. */
export interface NofileSetting {
  value: NofilePair;
  origin: 'unit' | 'drop-in' | 'manager-default' | 'built-in';
  /** Host path of the file holding the winning assignment; null for the built-in default. */
  file: string | null;
  line: number | null;
  /** The assignment as written, e.g. "LimitNOFILE=65536". */
  setting: string;
}

export interface UnitLimit {
  unit: string;
  /** Host path of the unit file (fragment), null when none was found under the root. */
  fragment: string | null;
  /** Host paths of the drop-ins applied, in application order. */
  dropIns: string[];
  limit: NofileSetting;
  /** PAMName= of the unit: pam_limits then applies to it too (man systemd.exec). */
  pamName: string | null;
  /** Ignored assignments and other remarks, one sentence each. */
  warnings: string[];
}

/** The exec section of a unit type that may carry LimitNOFILE= (man systemd.exec). */
function execSection(unit: string): string | null {
  const type = unit.slice(unit.lastIndexOf('.') + 1);
  const map: Record<string, string> = { service: 'Service', socket: 'Socket', mount: 'Mount', swap: 'Swap' };
  return map[type] ?? null;
}

/** "foo@bar.service" -> "foo@.service"; null for a non-instance name. */
export function templateOf(unit: string): string | null {
  const m = /^([^@]+)@[^.]*(\.[a-z]+)$/.exec(unit);
  return m ? `${m[1]}@${m[2]}` : null;
}

/** Drop-in directory names for a unit: "a-b-c.service.d", the dash prefixes, the template's, "service.d". */
function dropInDirNames(unit: string): string[] {
  const dot = unit.lastIndexOf('.');
  const stem = unit.slice(0, dot);
  const type = unit.slice(dot + 1);
  const names = [`${type}.d`];
  // Hierarchical drop-ins "a-.service.d" apply to every "a-*.service" (systemd ≥ 246).
  const parts = stem.split('-');
  for (let i = 1; i < parts.length; i++) names.push(`${parts.slice(0, i).join('-')}-.${type}.d`);
  const tpl = templateOf(unit);
  if (tpl) names.push(`${tpl}.d`);
  names.push(`${unit}.d`);
  return names;
}

/** Drop-ins read at most per unit; LIST_CAP.config already bounds each directory. */
const MAX_DROP_INS = 256;

/**
 * Drop-ins of a unit: every `*.conf` in every `<dir>/<name>.d/`; a file name seen in a higher-priority
 * directory masks the same name below; the survivors apply sorted by file name (man systemd.unit).
 */
export function findDropIns(root: string, unit: string): string[] {
  const byName = new Map<string, string>();
  for (const dir of UNIT_SEARCH_PATH) {
    for (const d of dropInDirNames(unit)) {
      for (const name of listDir(root, `${dir}/${d}`)) {
        if (!name.endsWith('.conf') || byName.has(name)) continue;
        byName.set(name, `${dir}/${d}/${name}`);
      }
    }
  }
  // Bounded: each name once (byName), and at most MAX_DROP_INS in all (a real unit has a few).
  return [...byName.keys()].sort(byteOrder).slice(0, MAX_DROP_INS).map((n) => byName.get(n) as string);
}

/** The unit file: the first of the search path holding the name, else its template. */
export function findFragment(root: string, unit: string): { path: string; text: string } | null {
  const names = [unit, templateOf(unit)].filter((n): n is string => n !== null);
  for (const name of names) {
    for (const dir of UNIT_SEARCH_PATH) {
      const text = readOptional(root, `${dir}/${name}`);
      if (text !== null) return { path: `${dir}/${name}`, text };
    }
  }
  return null;
}

/**
 * Folds LimitNOFILE= assignments in order: the last valid one wins, an empty one resets to the
 * manager default (man systemd.exec), an invalid one is ignored with a warning, as systemd does.
 */
export function foldLimitAssignments(
  list: UnitAssignment[],
  key: string,
  section: string,
  warnings: string[],
): { value: NofilePair; a: UnitAssignment } | null {
  let current: { value: NofilePair; a: UnitAssignment } | null = null;
  for (const a of list) {
    if (a.section !== section || a.key !== key) continue;
    if (a.value === '') {
      current = null;
      continue;
    }
    const value = parseLimitValue(a.value);
    if (!value) {
      warnings.push(`${a.file}:${a.line}: ${key}=${a.value} is not a valid limit; systemd ignores it.`);
      continue;
    }
    current = { value, a };
  }
  return current;
}

/** Manager configuration directories for system.conf.d, highest priority first (man systemd-system.conf). */
const SYSTEM_CONF_DIRS = ['/etc/systemd/system.conf.d', '/run/systemd/system.conf.d', '/usr/local/lib/systemd/system.conf.d', '/usr/lib/systemd/system.conf.d'];

/**
 * DefaultLimitNOFILE= of the system manager: /etc/systemd/system.conf, then system.conf.d/*.conf
 * sorted by name across directories (same name: /etc masks /run masks /usr), later wins.
 */
export function readManagerDefault(root: string, warnings: string[] = []): NofileSetting {
  const byName = new Map<string, string>();
  for (const dir of SYSTEM_CONF_DIRS) {
    for (const name of listDir(root, dir)) if (name.endsWith('.conf') && !byName.has(name)) byName.set(name, `${dir}/${name}`);
  }
  const files = ['/etc/systemd/system.conf', ...[...byName.keys()].sort(byteOrder).map((n) => byName.get(n) as string)];
  const all: UnitAssignment[] = [];
  for (const f of files) {
    const text = readOptional(root, f);
    if (text !== null) all.push(...parseUnitFile(text, f));
  }
  const hit = foldLimitAssignments(all, 'DefaultLimitNOFILE', 'Manager', warnings);
  if (!hit) return { value: BUILTIN_DEFAULT_NOFILE, origin: 'built-in', file: null, line: null, setting: 'built-in default 1024:524288 (systemd ≥ 240)' };
  return { value: hit.value, origin: 'manager-default', file: hit.a.file, line: hit.a.line, setting: `DefaultLimitNOFILE=${hit.a.value}` };
}

/**
 * The RLIMIT_NOFILE the system manager applies to `unit` when it next starts it.
 * Throws ParseError for a malformed unit file or drop-in.
 * @example readUnitLimit('/', 'supervisor.service').limit.setting // "DefaultLimitNOFILE=..." or "LimitNOFILE=..."
 */
export function readUnitLimit(root: string, unit: string): UnitLimit {
  const warnings: string[] = [];
  const section = execSection(unit);
  const frag = findFragment(root, unit);
  const dropIns = findDropIns(root, unit);
  const all: UnitAssignment[] = [];
  if (frag) all.push(...parseUnitFile(frag.text, frag.path));
  for (const d of dropIns) all.push(...parseUnitFile(readOptional(root, d) ?? '', d));
  if (!frag) warnings.push(`No unit file for ${unit} was found in the systemd search path.`);
  let pamName: string | null = null;
  for (const a of all) if (a.section === section && a.key === 'PAMName') pamName = a.value || null;
  const hit = section ? foldLimitAssignments(all, 'LimitNOFILE', section, warnings) : null;
  let limit: NofileSetting;
  if (hit) {
    const origin = frag && hit.a.file === frag.path ? 'unit' : 'drop-in';
    limit = { value: hit.value, origin, file: hit.a.file, line: hit.a.line, setting: `LimitNOFILE=${hit.a.value}` };
  } else {
    limit = readManagerDefault(root, warnings);
  }
  return { unit, fragment: frag?.path ?? null, dropIns, limit, pamName, warnings };
}

/**
 * What systemd will apply as RLIMIT_NOFILE to a unit's processes: the unit's `LimitNOFILE=`
 * (fragment, then drop-ins), else the manager's `DefaultLimitNOFILE=`, else the built-in default.
 * Sources: man systemd.unit ("Unit File Load Path", drop-ins), man systemd.exec (LimitNOFILE=),
 * man systemd-system.conf (DefaultLimitNOFILE=, system.conf.d).
 */
import { byteOrder, linksToDevNull, listDir, readOptional } from './config-files.js';
import { parseLimitValue, type NofilePair } from './rlimit.js';
import { parseUnitFile, type UnitAssignment } from './unit-file.js';
import type { BuiltinDefault } from './systemd-defaults.js';
import { ignoredLimitKeys } from './systemd-keys.js';

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

/** The search path of a user manager for `home` (man systemd.unit, "User Unit Search Path"), highest priority first. */
export function userUnitSearchPath(home: string | null): string[] {
  const mine = home ? [`${home}/.config/systemd/user.control`, `${home}/.config/systemd/user`] : [];
  const data = home ? [`${home}/.local/share/systemd/user`] : [];
  return [...mine, '/etc/systemd/user', '/run/systemd/user', ...data, '/usr/local/lib/systemd/user', '/usr/lib/systemd/user', '/lib/systemd/user'];
}

/** Which manager's configuration applies: the system manager's (system.conf) or a user manager's (user.conf). */
export interface ManagerScope {
  user: boolean;
  /** Unit search path, highest priority first. */
  searchPath: string[];
  /** What applies when neither the unit nor the manager configuration sets a limit. */
  builtin: BuiltinDefault;
}

export function systemScope(builtin: BuiltinDefault): ManagerScope {
  return { user: false, searchPath: UNIT_SEARCH_PATH, builtin };
}

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
  /** Who the unit's processes run as: User= (a name or uid), "dynamic" for DynamicUser=yes, null = the manager's own user. */
  user: string | null;
  /** Executables a (re)start runs: the first word of each ExecStartPre/ExecStart/ExecStartPost= (man systemd.service). */
  programs: string[];
  /** Ignored assignments and other remarks, one sentence each. */
  warnings: string[];
  /** How the unit is masked (its file links to /dev/null or is empty): systemd will not start it. Absent when it is not. */
  masked?: Masked;
}

/** A masked unit file (man systemd.unit): "FILE → /dev/null" (`systemctl mask`) or an empty file. */
export interface Masked {
  file: string;
  how: 'link' | 'empty';
}

/** "/etc/systemd/system/x.service → /dev/null", "the empty file /etc/…": for notes. */
export function describeMasked(m: Masked): string {
  return m.how === 'link' ? `${m.file} → /dev/null` : `the empty file ${m.file}`;
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
export function findDropIns(root: string, unit: string, searchPath: readonly string[] = UNIT_SEARCH_PATH): string[] {
  const byName = new Map<string, string>();
  for (const dir of searchPath) {
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

/**
 * The unit file: the first of the search path holding the name, else its template. A file that
 * links to /dev/null or is empty masks the unit (man systemd.unit: "its configuration will not be
 * loaded ... and cannot be activated"), also when a lower-priority directory holds the real file.
 */
export function findFragment(root: string, unit: string, searchPath: readonly string[] = UNIT_SEARCH_PATH): { path: string; text: string; masked?: Masked; behind?: { path: string; text: string } } | null {
  const names = [unit, templateOf(unit)].filter((n): n is string => n !== null);
  let masked: Masked | undefined;
  for (const name of names) {
    for (const dir of searchPath) {
      const path = `${dir}/${name}`;
      const text = readOptional(root, path);
      if (text === null) continue;
      // Size 0, as systemd's null_or_empty(): a file holding only a newline is an empty unit, not a mask.
      if (text === '') {
        if (!masked) masked = { file: path, how: linksToDevNull(root, path) ? 'link' : 'empty' };
        continue; // the file it masks (a package's unit below /etc's mask) is what a running service started from
      }
      return masked ? { path: masked.file, text: '', masked, behind: { path, text } } : { path, text };
    }
  }
  return masked ? { path: masked.file, text: '', masked } : null;
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

/** Manager configuration directories for system.conf.d / user.conf.d, highest priority first (man systemd-system.conf). */
function confDirs(kind: 'system' | 'user'): string[] {
  return [`/etc/systemd/${kind}.conf.d`, `/run/systemd/${kind}.conf.d`, `/usr/local/lib/systemd/${kind}.conf.d`, `/usr/lib/systemd/${kind}.conf.d`];
}

/**
 * DefaultLimitNOFILE= of the system (or user) manager: /etc/systemd/system.conf (user.conf), then
 * the .conf.d/*.conf files sorted by name across directories (same name: /etc masks /run masks
 * /usr), later wins. Keys systemd would ignore there are reported in `warnings`.
 */
export function readManagerDefault(root: string, warnings: string[], builtin: BuiltinDefault, kind: 'system' | 'user' = 'system'): NofileSetting {
  const byName = new Map<string, string>();
  for (const dir of confDirs(kind)) {
    for (const name of listDir(root, dir)) if (name.endsWith('.conf') && !byName.has(name)) byName.set(name, `${dir}/${name}`);
  }
  const files = [`/etc/systemd/${kind}.conf`, ...[...byName.keys()].sort(byteOrder).map((n) => byName.get(n) as string)];
  const all: UnitAssignment[] = [];
  for (const f of files) {
    const text = readOptional(root, f);
    if (text !== null) all.push(...parseUnitFile(text, f));
  }
  warnings.push(...ignoredLimitKeys(all, 'manager'));
  const hit = foldLimitAssignments(all, 'DefaultLimitNOFILE', 'Manager', warnings);
  if (!hit) return { value: builtin.value, origin: 'built-in', file: null, line: null, setting: 'built-in default' };
  return { value: hit.value, origin: 'manager-default', file: hit.a.file, line: hit.a.line, setting: `DefaultLimitNOFILE=${hit.a.value}` };
}

/**
 * The RLIMIT_NOFILE a manager applies to `unit` when it next starts it (before clamping: see
 * layer-systemd). Throws ParseError for a malformed unit file or drop-in.
 * @example readUnitLimit('/', 'supervisor.service', systemScope(builtinDefault(252, 1048576))).limit.setting
 */
export function readUnitLimit(root: string, unit: string, scope: ManagerScope): UnitLimit {
  const warnings: string[] = [];
  const section = execSection(unit);
  const found = findFragment(root, unit, scope.searchPath);
  // A masked unit's processes started from the file the mask now hides (if any): that is what set their limit.
  const frag = found?.masked ? (found.behind ?? null) : found;
  const dropIns = findDropIns(root, unit, scope.searchPath);
  const all: UnitAssignment[] = [];
  if (frag) all.push(...parseUnitFile(frag.text, frag.path));
  for (const d of dropIns) all.push(...parseUnitFile(readOptional(root, d) ?? '', d));
  if (found?.masked) {
    const behind = found.behind ? ` Its processes started from ${found.behind.path}, which the mask hides; that file is read here.` : '';
    warnings.push(`${unit} is masked (${describeMasked(found.masked)}): systemd will not start it again until it is unmasked; what runs keeps running until it stops.${behind}`);
  } else if (!frag) warnings.push(`No unit file for ${unit} was found in the ${scope.user ? 'user' : 'systemd'} search path.`);
  warnings.push(...ignoredLimitKeys(all, section ?? 'Service'));
  let pamName: string | null = null;
  for (const a of all) if (a.section === section && a.key === 'PAMName') pamName = a.value || null;
  const { user, programs } = section ? execOf(all, section) : { user: null, programs: [] };
  const hit = section ? foldLimitAssignments(all, 'LimitNOFILE', section, warnings) : null;
  let limit: NofileSetting;
  if (hit) {
    const origin = frag && hit.a.file === frag.path ? 'unit' : 'drop-in';
    limit = { value: hit.value, origin, file: hit.a.file, line: hit.a.line, setting: `LimitNOFILE=${hit.a.value}` };
  } else {
    limit = readManagerDefault(root, warnings, scope.builtin, scope.user ? 'user' : 'system');
  }
  return { unit, fragment: frag?.path ?? null, dropIns, limit, pamName, user, programs, warnings, ...(found?.masked ? { masked: found.masked } : {}) };
}

const EXEC_KEYS = new Set(['ExecStartPre', 'ExecStart', 'ExecStartPost']);

/**
 * User= and the executables of the Exec*= lines a start runs, in the order assignments apply (an
 * empty assignment resets that key's list). The executable is the first word after the special
 * prefixes `@-:+!|` (man systemd.service, "Command lines"); quoting is left as written.
 */
export function execOf(all: readonly UnitAssignment[], section: string): { user: string | null; programs: string[] } {
  let user: string | null = null;
  let dynamic = false;
  const lists = new Map<string, string[]>();
  for (const a of all) {
    if (a.section !== section) continue;
    if (a.key === 'User') user = a.value || null;
    else if (a.key === 'DynamicUser') dynamic = /^(1|yes|y|true|t|on)$/i.test(a.value);
    else if (EXEC_KEYS.has(a.key)) {
      if (a.value === '') {
        lists.set(a.key, []);
        continue;
      }
      const word = a.value.replace(/^[@\-:+!|]+/, '').trim().split(/\s+/)[0] ?? '';
      if (word) lists.set(a.key, [...(lists.get(a.key) ?? []), word]);
    }
  }
  const programs = [...EXEC_KEYS].flatMap((k) => lists.get(k) ?? []);
  return { user: dynamic ? 'dynamic' : user, programs: programs.filter((p, i) => programs.indexOf(p) === i) };
}

/**
 * supervisord's `minfds`. supervisor/options.py `set_rlimits_or_exit`, called by supervisord.py
 * `main` on the first start only: when the soft RLIMIT_NOFILE is below minfds it becomes minfds
 * (and hard too when it was lower); otherwise nothing changes. `supervisorctl reload` re-reads the
 * configuration in the same process and does not call it again. Programs inherit supervisord's limit.
 */
import { ParseError, type Identity } from '../probe/read-file.js';
import { globFiles, newGlobBudget, readOptional as readConfigAs, type GlobBudget } from './config-files.js';
import type { Effective } from './rlimit.js';

/** supervisor/options.py: `minfds` defaults to 1024. */
export const DEFAULT_MINFDS = 1024;

/** One `key = value` of a Python ConfigParser file. */
export interface IniAssignment {
  section: string;
  key: string;
  value: string;
  file: string;
  line: number;
}

/**
 * Python's RawConfigParser as supervisor configures it (UnhosedConfigParser): `key = value` or
 * `key: value`, keys lower-cased, full-line comments `#`/`;`, inline comments `;`/`#` after
 * whitespace, indented lines continue the previous value.
 */
export function parseIni(text: string, file: string): IniAssignment[] {
  const out: IniAssignment[] = [];
  let section: string | null = null;
  let last: IniAssignment | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const stripped = raw.replace(/\s[;#].*$/, '');
    const t = stripped.trim();
    if (t === '' || raw.trimStart().startsWith('#') || raw.trimStart().startsWith(';')) continue;
    if (/^\s/.test(raw) && last) {
      last.value = `${last.value}\n${t}`;
      continue;
    }
    const sec = /^\[([^\]]+)\]$/.exec(t);
    if (sec) {
      section = sec[1].trim();
      last = null;
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(t);
    if (!m) throw new ParseError(file, i + 1, 'expected "key = value"');
    if (section === null) throw new ParseError(file, i + 1, 'assignment before any [section]');
    last = { section, key: m[1].trim().toLowerCase(), value: m[2].trim(), file, line: i + 1 };
    out.push(last);
  }
  return out;
}

/** How supervisord was started, from its argv. */
export interface SupervisordArgs {
  /** -c / --configuration, as given (may be relative). */
  config: string | null;
  /** -a / --minfds on the command line: overrides the file (options.py: command line wins). */
  minfds: number | null;
  /** argv[0] of the Python script, for the default search path. */
  script: string;
}

/** Parses supervisord's argv (skipping a leading interpreter such as /usr/bin/python3). */
export function parseSupervisordArgs(argv: string[]): SupervisordArgs {
  let i = argv.findIndex((a) => /(^|\/)supervisord(\.py)?$/.test(a));
  if (i < 0) i = 0;
  const script = argv[i] ?? 'supervisord';
  let config: string | null = null;
  let minfds: number | null = null;
  for (let j = i + 1; j < argv.length; j++) {
    const a = argv[j];
    const take = (): string | undefined => argv[++j];
    let m: RegExpExecArray | null;
    if (a === '-c' || a === '--configuration') config = take() ?? null;
    else if ((m = /^--configuration=(.*)$/.exec(a))) config = m[1];
    else if (/^-c./.test(a)) config = a.slice(2);
    else if (a === '-a' || a === '--minfds') minfds = toInt(take());
    else if ((m = /^--minfds=(.*)$/.exec(a))) minfds = toInt(m[1]);
    else if (/^-a\d/.test(a)) minfds = toInt(a.slice(2));
  }
  return { config, minfds, script };
}

function toInt(s: string | undefined): number | null {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : null;
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function resolve(base: string, p: string): string {
  if (p.startsWith('/')) return p;
  const parts = `${base}/${p}`.split('/');
  const out: string[] = [];
  for (const x of parts) {
    if (x === '' || x === '.') continue;
    if (x === '..') out.pop();
    else out.push(x);
  }
  return '/' + out.join('/');
}

/**
 * Candidate config files in supervisord's order (options.py Options.__init__ searchpaths):
 * beside the script's parent directory, then the working directory, then /etc.
 */
export function supervisordSearchPaths(script: string, cwd: string): string[] {
  const here = dirname(dirname(resolve(cwd, script)));
  return [`${here}/etc/supervisord.conf`, `${here}/supervisord.conf`, resolve(cwd, 'supervisord.conf'), resolve(cwd, 'etc/supervisord.conf'), '/etc/supervisord.conf', '/etc/supervisor/supervisord.conf'].map((p) =>
    p.replace(/^\/\//, '/'),
  );
}

export interface SupervisordConfig {
  /** Host path of the main configuration file. */
  file: string;
  /** Every file read: the main one, then [include] files in order. */
  files: string[];
  /**
   * What a restart makes supervisord read or run as its own account: `files`, every directory an
   * [include] glob listed (a new file there is read), include paths without wildcards, and the
   * absolute paths in the `command=` of programs without `user=` (they run as supervisord's account).
   */
  closure: string[];
  /** Effective minfds as the file(s) say now (command-line -a wins). */
  minfds: number;
  /** Where minfds came from: "file:line", "command line", or "default". */
  minfdsFrom: { file: string | null; line: number | null; how: 'file' | 'command line' | 'default' };
  warnings: string[];
}

/** Included files read at most (a real configuration has a handful; a hostile tree may glob thousands). */
const MAX_INCLUDED_FILES = 256;

/**
 * Reads supervisord's configuration as a (re)start would: the main file, then `[include] files`
 * (whitespace-separated globs relative to the main file's directory, each glob's matches sorted),
 * later files overriding earlier keys. Returns null when no file is found.
 */
export function readSupervisordConfig(root: string, args: SupervisordArgs, cwd: string, budget: GlobBudget = newGlobBudget(), as: Identity | null = null): SupervisordConfig | null {
  const warnings: string[] = [];
  // Read with the rights of the supervisord process's owner (read-file.ts Identity): a file it
  // could not open itself counts as absent here (and is never copied into a capture).
  const readOptional = (r: string, f: string): string | null => {
    try {
      return readConfigAs(r, f, as);
    } catch (err) {
      if (as && (err as { code?: string }).code === 'ENOTYOURS') {
        warnings.push(`${f}: ${(err as Error).message.replace(/^ENOTYOURS \S+: /, '')}; not read.`);
        return null;
      }
      throw err;
    }
  };
  let file: string | null = null;
  if (args.config) {
    file = resolve(cwd, args.config);
    if (readOptional(root, file) === null) return null;
  } else {
    file = supervisordSearchPaths(args.script, cwd).find((p) => readOptional(root, p) !== null) ?? null;
    if (!file) return null;
  }
  const files = [file];
  const listed: string[] = [];
  const all = parseIni(readOptional(root, file) ?? '', file);
  const include = all.filter((a) => a.section === 'include' && a.key === 'files').pop();
  if (include) {
    const base = dirname(file);
    for (const pat of include.value.replace(/%\(here\)s/g, base).split(/\s+/).filter(Boolean)) {
      if (/%\(/.test(pat)) {
        warnings.push(`${include.file}:${include.line}: include pattern ${pat} uses an expansion sockdoc does not evaluate.`);
        continue;
      }
      // Python's glob.glob, as supervisor/options.py uses it: fnmatch semantics, matches sorted.
      const matches = globFiles(root, resolve(base, pat), 'python', budget, listed);
      if (budget.cut) {
        warnings.push(`${include.file}:${include.line}: ${budget.cut}.`);
        break;
      }
      if (!matches.length) warnings.push(`${include.file}:${include.line}: no file matches include "${pat}".`);
      for (const f of matches) {
        // Each file once (a pattern may match the main file, or two patterns one file), and a bounded
        // number in all: supervisord reads [include] from the main file only, so there is no depth.
        if (files.includes(f)) continue;
        if (files.length > MAX_INCLUDED_FILES) {
          warnings.push(`${include.file}:${include.line}: more than ${MAX_INCLUDED_FILES} included files; the rest were not read.`);
          break;
        }
        files.push(f);
        all.push(...parseIni(readOptional(root, f) ?? '', f));
      }
    }
  }
  const hit = all.filter((a) => a.section === 'supervisord' && a.key === 'minfds').pop();
  let minfds = DEFAULT_MINFDS;
  let minfdsFrom: SupervisordConfig['minfdsFrom'] = { file: null, line: null, how: 'default' };
  if (hit) {
    if (/^\d+$/.test(hit.value)) {
      minfds = Number(hit.value);
      minfdsFrom = { file: hit.file, line: hit.line, how: 'file' };
    } else warnings.push(`${hit.file}:${hit.line}: minfds=${hit.value} is not a number sockdoc can evaluate.`);
  }
  if (args.minfds !== null) {
    minfds = args.minfds;
    minfdsFrom = { file: null, line: null, how: 'command line' };
  }
  return { file, files, closure: [...files, ...listed, ...programPaths(all)], minfds, minfdsFrom, warnings };
}

/**
 * Absolute paths in the `command=` of programs that run as supervisord's own account (no `user=`,
 * or user=root): the program and the script it is given. Words as supervisord splits them
 * (shlex), roughly: whitespace, quotes removed.
 */
function programPaths(all: readonly IniAssignment[]): string[] {
  const out: string[] = [];
  const sections = new Set(all.filter((a) => a.section.startsWith('program:')).map((a) => a.section));
  for (const sec of sections) {
    const of = (k: string) => all.filter((a) => a.section === sec && a.key === k).pop()?.value;
    const user = of('user');
    if (user !== undefined && user !== 'root' && user !== '0') continue;
    for (const w of (of('command') ?? '').split(/\s+/).slice(0, 64)) {
      const word = w.replace(/^['"]|['"]$/g, '');
      if (word.startsWith('/')) out.push(word);
    }
  }
  return out;
}

/**
 * The limit supervisord ends up with when started with `inherited` (set_rlimits_or_exit).
 * @example applyMinfds({ soft: 1024, hard: 4096 }, 3000) // { soft: 3000, hard: 4096 }
 */
export function applyMinfds(inherited: Effective, minfds: number): Effective {
  if (inherited.soft === null || inherited.hard === null) return inherited;
  if (inherited.soft >= minfds) return inherited;
  return { soft: minfds, hard: inherited.hard < minfds ? minfds : inherited.hard };
}

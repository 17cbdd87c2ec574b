/**
 * pam_limits: /etc/security/limits.conf then /etc/security/limits.d/*.conf (C-locale order),
 * applied when a PAM session opens (man limits.conf, modules/pam_limits/pam_limits.c).
 * Precedence (pam_limits.c process_limit): an entry for the user by name beats an @group entry,
 * which beats `*`; among equals the later line wins. Group and wildcard entries do not apply to
 * root (man limits.conf NOTE). A `<domain> -` line (two fields) stops parsing: no limits at all.
 */
import { ParseError } from '../probe/read-file.js';
import { listDir, readOptional } from './config-files.js';
import type { Rlim } from './rlimit.js';

export interface LimitsEntry {
  domain: string;
  type: 'soft' | 'hard' | '-';
  item: string;
  /** "unlimited"/"infinity"/"-1" -> 'infinity'. */
  value: Rlim;
  file: string;
  line: number;
}

/** A `<domain> -` line: no limits for that domain (pam_limits.c, i == 2). */
export interface NoLimitsEntry {
  domain: string;
  file: string;
  line: number;
}

/**
 * Parses one limits.conf-format file. Lines pam_limits would skip with a warning (bad type, bad
 * value) are malformed here: the user meant something, and we name the line.
 */
export function parseLimitsConf(text: string, file: string): { entries: LimitsEntry[]; noLimits: NoLimitsEntry[] } {
  const entries: LimitsEntry[] = [];
  const noLimits: NoLimitsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].replace(/#.*$/, '').trim();
    if (t === '') continue;
    const f = t.split(/\s+/);
    if (f.length === 2 && f[1] === '-') {
      noLimits.push({ domain: f[0], file, line: i + 1 });
      continue;
    }
    if (f.length < 4) throw new ParseError(file, i + 1, 'expected "<domain> <type> <item> <value>"');
    const type = f[1].toLowerCase();
    if (type !== 'soft' && type !== 'hard' && type !== '-') throw new ParseError(file, i + 1, 'type must be soft, hard or -');
    const item = f[2].toLowerCase();
    const v = f[3].toLowerCase();
    let value: Rlim;
    if (v === 'unlimited' || v === 'infinity' || v === '-1' || v === '-') value = 'infinity';
    else if (/^\d+$/.test(v)) value = Number(v);
    else if (item === 'nofile') throw new ParseError(file, i + 1, 'nofile value must be a number or unlimited');
    else continue; // other items (priority, nice...) have other value syntaxes; not ours to judge
    entries.push({ domain: f[0], type, item, value, file, line: i + 1 });
  }
  return { entries, noLimits };
}

/** Host paths pam_limits reads, in order. */
export function limitsFiles(root: string): string[] {
  const out: string[] = [];
  if (readOptional(root, '/etc/security/limits.conf') !== null) out.push('/etc/security/limits.conf');
  for (const n of listDir(root, '/etc/security/limits.d')) if (n.endsWith('.conf')) out.push(`/etc/security/limits.d/${n}`);
  return out;
}

export interface PamNofile {
  soft: { value: Rlim; entry: LimitsEntry } | null;
  hard: { value: Rlim; entry: LimitsEntry } | null;
  /** Set when a `<domain> -` line switched limits off for this user. */
  noLimits: NoLimitsEntry | null;
  /** Every nofile line of the files, whoever it is for (for "this does not apply" sentences). */
  allNofile: LimitsEntry[];
  files: string[];
}

/** Who the session is for. */
export interface PamUser {
  name: string;
  uid: number;
  /** Group names the user belongs to (primary and supplementary). */
  groups: string[];
}

const PRIORITY = { user: 0, group: 1, all: 4 } as const;

/** The precedence class of a domain for this user, or null when it does not match. */
function domainClass(domain: string, user: PamUser): number | null {
  if (domain === user.name) return PRIORITY.user;
  const range = /^(@?)(\d*):(\d*)$/.exec(domain);
  if (range) {
    if (range[1]) return null; // gid ranges need the primary gid; not resolved here
    const lo = range[2] === '' ? Number(range[3]) : Number(range[2]);
    const hi = range[3] === '' ? Infinity : Number(range[3]);
    return user.uid >= lo && user.uid <= hi ? PRIORITY.user : null;
  }
  if (user.uid === 0) return null; // man limits.conf: group and wildcard limits do not apply to root
  if (domain.startsWith('@')) return user.groups.includes(domain.slice(1)) ? PRIORITY.group : null;
  if (domain === '*') return PRIORITY.all;
  return null;
}

/** A `<domain> -` line counts for the user by name, a group of theirs, or a uid range; `*` is skipped. */
function noLimitsApplies(domain: string, user: PamUser): boolean {
  if (domain === user.name) return true;
  if (/^\d*:\d*$/.test(domain)) return domainClass(domain, user) !== null;
  return domain.startsWith('@') && !domain.includes(':') && user.groups.includes(domain.slice(1));
}

/** What pam_limits would set for nofile in a new session of `user`. */
export function resolvePamNofile(files: Array<{ file: string; text: string }>, user: PamUser): PamNofile {
  const result: PamNofile = { soft: null, hard: null, noLimits: null, allNofile: [], files: files.map((f) => f.file) };
  let softSrc = 99;
  let hardSrc = 99;
  for (const { file, text } of files) {
    const parsed = parseLimitsConf(text, file);
    // Order within a file matters for "<domain> -": pam_limits stops at the first applicable one.
    const lines = [...parsed.entries.map((e) => ({ k: 'e' as const, e, line: e.line })), ...parsed.noLimits.map((n) => ({ k: 'n' as const, n, line: n.line }))].sort(
      (a, b) => a.line - b.line,
    );
    for (const l of lines) {
      if (l.k === 'n') {
        if (noLimitsApplies(l.n.domain, user)) {
          result.noLimits = l.n;
          return result;
        }
        continue;
      }
      const e = l.e;
      if (e.item !== 'nofile') continue;
      result.allNofile.push(e);
      const cls = domainClass(e.domain, user);
      if (cls === null) continue;
      // process_limit(): a lower-priority source never overrides; `-` returns early if soft is blocked.
      if (e.type === 'soft' || e.type === '-') {
        if (softSrc < cls) continue;
        result.soft = { value: e.value, entry: e };
        softSrc = cls;
      }
      if (e.type === 'hard' || e.type === '-') {
        if (hardSrc < cls) continue;
        result.hard = { value: e.value, entry: e };
        hardSrc = cls;
      }
    }
  }
  return result;
}

/** Reads limits.conf and limits.d under root and resolves nofile for `user`. */
export function readPamNofile(root: string, user: PamUser): PamNofile {
  const files = limitsFiles(root).map((file) => ({ file, text: readOptional(root, file) ?? '' }));
  return resolvePamNofile(files, user);
}

/** Most files one pam.d walk opens; Linux-PAM itself stops at PAM_SUBSTACK_MAX_LEVEL 16 (libpam/pam_handlers.c). */
const PAM_MAX_DEPTH = 16;

/**
 * Does /etc/pam.d/SERVICE open a session with pam_limits? Follows `@include X` and
 * `session include|substack X` (man pam.conf), each file at most once (a file including itself, or
 * two including each other, would otherwise recurse exponentially) and at most PAM_MAX_DEPTH deep.
 */
export function pamServiceUsesLimits(root: string, service: string, depth = 0, visited: Set<string> = new Set()): boolean | null {
  if (depth > PAM_MAX_DEPTH || visited.has(service)) return false;
  visited.add(service);
  const text = readOptional(root, service.startsWith('/') ? service : `/etc/pam.d/${service}`);
  if (text === null) return depth === 0 ? null : false;
  for (const raw of text.split('\n')) {
    const t = raw.replace(/#.*$/, '').trim();
    if (!t) continue;
    const inc = /^@include\s+(\S+)/.exec(t);
    if (inc && pamServiceUsesLimits(root, inc[1], depth + 1, visited)) return true;
    const f = t.split(/\s+/);
    const type = f[0].replace(/^-/, '');
    if (type !== 'session') continue;
    if ((f[1] === 'include' || f[1] === 'substack') && f[2] && pamServiceUsesLimits(root, f[2], depth + 1, visited)) return true;
    if (f.some((x) => /(^|\/)pam_limits\.so$/.test(x))) return true;
  }
  return false;
}

/**
 * State shared while explaining several processes: configuration files are read once per call of
 * explainLimits (not per process, and never across calls: no module-level cache).
 */
import { readGroup, readPasswd, groupsOfUser, type GroupEntry, type PasswdEntry } from '../probe/passwd.js';
import { describeError, readLinkUnder, readUnder } from '../probe/read-file.js';
import type { LimitSource } from './types.js';
import type { PamUser } from './pam.js';
import type { FixStep } from './fix.js';
import type { ProcNode } from './chain.js';
import { newGlobBudget, type GlobBudget } from './config-files.js';

export interface ExplainContext {
  /** Memoised reads, keyed by what was read ("unit:nginx.service", "supervisord:/etc/..."). */
  cache: Map<string, unknown>;
}

export function newContext(): ExplainContext {
  return { cache: new Map() };
}

/** A configuration read that may fail: the value, or one sentence saying why not. */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs `fn` once per key per context; errors (malformed, denied) become a sentence, never a throw. */
export function memoRead<T>(ctx: ExplainContext, key: string, fn: () => T): Read<T> {
  if (ctx.cache.has(key)) return ctx.cache.get(key) as Read<T>;
  let r: Read<T>;
  try {
    r = { ok: true, value: fn() };
  } catch (err) {
    r = { ok: false, error: describeError(err) };
  }
  ctx.cache.set(key, r);
  return r;
}

/** What a layer explainer returns before the generic parts (chain, prlimit) are added. */
export interface Verdict {
  source: LimitSource;
  contradictions: string[];
  /** Durable change and restart for this layer (the caller adds the prlimit relief in front). */
  fix: FixStep[];
  notes: string[];
  /** Set when the process belongs to a PAM session (pam_limits did run for it). */
  pamSession?: boolean;
  /** The layer found the setting itself (a ulimit line), not only inferred it. */
  confident?: boolean;
  /** Other processes the relief should raise too (a launcher whose future children inherit its limit). */
  reliefAlso?: ProcNode[];
  /** A value some configuration asks for but the process does not have: the fix aims at it. */
  wanted?: { soft: number; hard: number };
}

/** fs.nr_open: the ceiling of any RLIMIT_NOFILE, and what systemd turns `infinity` into. */
export function nrOpen(ctx: ExplainContext, root: string): number | null {
  const r = memoRead(ctx, 'nr_open', () => Number(readUnder(root, 'proc/sys/fs/nr_open', 'proc').trim()));
  return r.ok && Number.isInteger(r.value) ? r.value : null;
}

/** The user a uid names, with groups, for pam_limits matching; a bare uid when /etc/passwd lacks it. */
export function pamUser(ctx: ExplainContext, root: string, uid: number): PamUser {
  const pw = memoRead<PasswdEntry[]>(ctx, 'passwd', () => readPasswd(root));
  const gr = memoRead<GroupEntry[]>(ctx, 'group', () => readGroup(root));
  const entry = pw.ok ? pw.value.find((e) => e.uid === uid) : undefined;
  if (!entry) return { name: String(uid), uid, groups: [] };
  return { name: entry.name, uid, groups: gr.ok ? groupsOfUser(entry, gr.value) : [] };
}

/** The glob budget of this explanation: every host glob it expands shares it (src/provenance/config-files.ts). */
export function globBudget(ctx: ExplainContext): GlobBudget {
  let b = ctx.cache.get('glob-budget') as GlobBudget | undefined;
  if (!b) {
    b = newGlobBudget();
    ctx.cache.set('glob-budget', b);
  }
  return b;
}

/** A process's working directory, for relative config paths; "/" when it cannot be read. */
export function cwdOf(root: string, pid: number): string {
  // Gone, denied (not root) or not captured in a fixture: relative paths then resolve against "/",
  // and the reader says which file it used.
  return cwdOrNull(root, pid) ?? '/';
}

/** The working directory of a process (/proc/PID/cwd) as a host path; null when it cannot be read. */
export function cwdOrNull(root: string, pid: number): string | null {
  try {
    const target = readLinkUnder(root, `proc/${pid}/cwd`);
    // Under a fixture root the link may point into the tree; keep it a host path.
    return target.startsWith(root) && root !== '/' ? target.slice(root.length) || '/' : target;
  } catch {
    return null;
  }
}

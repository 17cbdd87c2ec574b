/**
 * Who runs a fix line, and what that account can do. Fix lines are pasted into a root shell (the
 * operator's: sockdoc's own process stands in for it, and a capture's lines are written for root).
 * Three rules follow, and every line that starts a program or reads a user's state goes through
 * this module:
 * - Another user's program, or a command that reads its HOME-based state (pm2's PM2_HOME, forever's
 *   ~/.forever, tmux's socket, supervisord's config, a user unit), runs as that user:
 *   `runuser -u USER -- env K=V … COMMAND` (util-linux; root only), its environment stated.
 * - A line run as root never executes, reads as configuration or writes into a file that someone
 *   other than root can change — the file, or any directory above it (writableByOthers), for a
 *   configuration every file and directory of its closure (untrustedClosure): such a line is not
 *   offered as a command at all, but as comments naming the owner and what to check (refusedLines).
 * - A value is checked against the hard limit of whoever applies it: a non-root account cannot
 *   raise a hard limit at all, and root without CAP_SYS_RESOURCE not above its own (kernel/sys.c
 *   do_prlimit). runuser keeps the caller's hard limit (and sets a soft one of its own: 1024 on
 *   Debian 12's util-linux 2.38), unless pam_limits of /etc/pam.d/runuser sets another from
 *   limits.conf; so a limit is set inside the user's own shell (`sh -c 'ulimit -n N && exec …'`).
 */
import { dirname } from 'node:path';
import type { ProcNode } from './chain.js';
import { statUnder } from '../probe/read-file.js';
import { memoRead, type ExplainContext } from './context.js';
import { fixer, type Fixer } from './host-facts.js';
import { pamServiceUsesLimits, readPamNofile } from './pam.js';
import { readGroup, readPasswd, groupsOfUser, type GroupEntry, type PasswdEntry } from '../probe/passwd.js';
import { shellCommand, shellQuote } from '../safety/shell-quote.js';
import { terminalSafe } from '../safety/terminal.js';
import { writableByOthers, type WritableBy } from '../safety/writable-by.js';

/** An account a line can run as. */
export interface Account {
  uid: number;
  /** Name from /etc/passwd; null for a uid it does not list. */
  name: string | null;
  /** Primary gid from /etc/passwd; null when unknown. */
  gid: number | null;
  home: string | null;
}

/** The operator: the root shell the lines are pasted into (uid 0 assumed when unknown, as for a capture). */
export interface Operator extends Fixer {
  uid: number;
}

export function operator(ctx: ExplainContext, root: string): Operator {
  const f = fixer(ctx, root);
  return { ...f, uid: f.uid ?? 0 };
}

function passwd(ctx: ExplainContext, root: string): PasswdEntry[] {
  const r = memoRead(ctx, 'passwd', () => readPasswd(root));
  return r.ok ? r.value : [];
}

function groups(ctx: ExplainContext, root: string): GroupEntry[] {
  const r = memoRead(ctx, 'group', () => readGroup(root));
  return r.ok ? r.value : [];
}

export function accountOf(ctx: ExplainContext, root: string, uid: number): Account {
  const e = passwd(ctx, root).find((p) => p.uid === uid);
  return e ? { uid, name: e.name, gid: e.gid, home: e.home } : { uid, name: null, gid: null, home: null };
}

/** "bob (uid 1003)", "root", or "uid 1003" for a uid /etc/passwd does not name. Host text: quoted for a shell comment. */
export function accountText(a: Account): string {
  if (a.uid === 0) return 'root';
  return a.name !== null ? `${terminalSafe(a.name)} (uid ${a.uid})` : `uid ${a.uid}`;
}

/** The owner of a process as an account (its real uid), or null when unread. */
export function ownerOf(ctx: ExplainContext, root: string, n: ProcNode): Account | null {
  return n.uid === null ? null : accountOf(ctx, root, n.uid);
}

/** A group name for a gid, when /etc/group names it. */
function groupName(ctx: ExplainContext, root: string, gid: number): string | null {
  return groups(ctx, root).find((g) => g.gid === gid)?.name ?? null;
}

/**
 * The words that run what follows as `who` from the operator's shell, with `gid` as the primary
 * group when it must be a particular one (prlimit(2) compares gids too): [] when the operator is
 * `who` already; `runuser -u NAME [-g GROUP] --` from root; `setpriv --reuid=UID --regid=GID
 * --clear-groups --` for a uid or gid without a name; `sudo -u NAME --` from another account.
 */
export function asPrefix(ctx: ExplainContext, root: string, who: Account, gid: number | null = null): string[] {
  const op = operator(ctx, root);
  if (op.uid === who.uid) return [];
  const wantGid = gid ?? who.gid;
  const gname = gid !== null && gid !== who.gid ? groupName(ctx, root, gid) : null;
  if (op.uid === 0) {
    if (who.name !== null && (gid === null || gid === who.gid || gname !== null)) return ['runuser', '-u', who.name, ...(gname ? ['-g', gname] : []), '--'];
    if (wantGid !== null) return ['setpriv', `--reuid=${who.uid}`, `--regid=${wantGid}`, '--clear-groups', '--'];
    return ['setpriv', `--reuid=${who.uid}`, `--regid=${who.uid}`, '--clear-groups', '--'];
  }
  return ['sudo', '-u', who.name ?? `#${who.uid}`, ...(gname ? ['-g', gname] : []), '--'];
}

/** `env K=V …` words for a stated environment ([] when none). */
function envWords(env: ReadonlyArray<readonly [string, string]>): string[] {
  return env.length ? ['env', ...env.map(([k, v]) => `${k}=${v}`)] : [];
}

/**
 * One line running `argv` as `who`, its environment stated: `runuser -u bob -- env
 * PM2_HOME=/home/bob/.pm2 pm2 save`. Every word is quoted (src/safety/shell-quote.ts).
 */
export function runAs(ctx: ExplainContext, root: string, who: Account, argv: readonly string[], env: ReadonlyArray<readonly [string, string]> = [], gid: number | null = null): string {
  return shellCommand([...asPrefix(ctx, root, who, gid), ...envWords(env), ...argv]);
}

/**
 * `argv` started as `who` with `ulimit -n N` in who's own shell: after runuser (and its PAM
 * session) has set the limits it sets, so N is bounded by the hard limit `who` starts with
 * (ceilingAs): `runuser -u bob -- env PM2_HOME=… sh -c 'ulimit -n 20000 && exec pm2 resurrect'`.
 */
export function runWithLimitAs(ctx: ExplainContext, root: string, who: Account, n: number, argv: readonly string[], env: ReadonlyArray<readonly [string, string]> = []): string {
  // A shell of its own even for the operator's own account: `exec` pasted bare would replace the operator's shell.
  const inner = `ulimit -n ${n} && exec ${shellCommand(argv)}`;
  return `${shellCommand([...asPrefix(ctx, root, who), ...envWords(env), 'sh', '-c'])} ${shellQuote(inner)}`;
}

/** What the account running a line can set: the hard limit it starts with, and whether it may go above. */
export interface Ceiling {
  hard: number | null;
  /** CAP_SYS_RESOURCE: false for every non-root account; null when unknown (a capture). */
  canRaise: boolean | null;
  /** Who, for sentences: "this shell", "bob (uid 1003) under runuser from this shell". */
  who: string;
  /** What to raise first to go higher, for a "to go higher" sentence. */
  raiseFirst: string;
}

/**
 * The ceiling of a line run as `who` from the operator's shell. The operator itself: its hard
 * limit, CAP_SYS_RESOURCE as it has. Another account through runuser: the operator's hard limit,
 * or the hard nofile limits.conf gives `who` when /etc/pam.d/runuser loads pam_limits (root
 * applies it before the switch, so without CAP_SYS_RESOURCE not above its own); never a raise.
 */
export function ceilingAs(ctx: ExplainContext, root: string, who: Account): Ceiling {
  const op = operator(ctx, root);
  const shellRaise = `the hard limit of the shell you paste this into (${op.hard ?? 'unknown'} here${op.canRaise === false ? ', and it lacks CAP_SYS_RESOURCE to go above it' : ''}: raise it where that shell gets it)`;
  if (op.uid === who.uid) return { hard: op.hard, canRaise: op.canRaise, who: 'this shell', raiseFirst: shellRaise };
  let hard = op.hard;
  const uses = memoRead(ctx, 'pam.d:runuser', () => pamServiceUsesLimits(root, 'runuser'));
  if (uses.ok && uses.value && who.name !== null) {
    const pw = passwd(ctx, root).find((p) => p.uid === who.uid);
    const user = { name: who.name, uid: who.uid, groups: pw ? groupsOfUser(pw, groups(ctx, root)) : [] };
    const pam = memoRead(ctx, `pam:${who.name}`, () => readPamNofile(root, user));
    const h = pam.ok ? pam.value.hard?.value : undefined;
    if (typeof h === 'number' && (op.hard === null || h <= op.hard || op.canRaise === true)) hard = h;
  }
  return { hard, canRaise: false, who: `${accountText(who)} under runuser from this shell`, raiseFirst: shellRaise };
}

/**
 * Why a line run as `runner` (null: root) should not execute or act on `hostPath`: someone other
 * than root and the runner can change it or a directory above it. Unreadable counts as untrusted.
 */
export function untrusted(ctx: ExplainContext, root: string, hostPath: string, runner: number | null = null): WritableBy | null {
  const r = memoRead(ctx, `trust:${runner ?? 0}:${hostPath}`, () => writableByOthers(root, hostPath, runner === 0 ? null : runner));
  return r.ok ? r.value : { path: hostPath, uid: -1, why: 'not checkable (its owner could not be read)' };
}

/** `hostPath` when it exists, else the nearest directory above it that does (whoever can write there can create it). */
function existingOrAbove(root: string, hostPath: string): string {
  let p = hostPath;
  for (let depth = 0; depth < 64 && p !== '/'; depth++) {
    try {
      if (statUnder(root, p)) return p;
    } catch {
      // Refused or unreadable: untrusted() says "not checkable" for it.
      return p;
    }
    p = dirname(p);
  }
  return p;
}

/**
 * The first path of a configuration closure that someone other than root and `runner` can change:
 * the main file, every included file, every directory whose entries an include glob matched (a new
 * name there is a new file read), program files it starts; each with every directory above it and
 * where its links lead (writableByOthers). An absent path counts by the directory that would hold it.
 */
export function untrustedClosure(ctx: ExplainContext, root: string, paths: Iterable<string>, runner: number | null = null): WritableBy | null {
  const seen = new Set<string>();
  for (const p of paths) {
    if (!p.startsWith('/') || seen.has(p)) continue;
    seen.add(p);
    const bad = untrusted(ctx, root, existingOrAbove(root, p), runner);
    if (bad) return bad;
  }
  return null;
}

/**
 * The one rendering of a line that would make `runner` run, read as configuration or write what
 * someone else controls: never a pasteable command, only comments — the command as it would be,
 * what it would do, whose the file is, and what to check. Renderers show fix lines as they are, so
 * the terminal, JSON, watch and the dashboard all show these comments. `does`: "supervisord then
 * reads its configuration as root".
 */
export function refusedLines(ctx: ExplainContext, root: string, command: string, runner: Account, does: string, bad: WritableBy, check = 'check it, and make it root\'s or remove it, before running that'): string[] {
  return [terminalSafe(`# not offered: ${command}`), terminalSafe(`# do not run that as ${accountText(runner)}: ${does}, and ${untrustedText(ctx, root, bad)}; ${check}`)];
}

/** "/home/bob/run.sh is owned by uid 1003 (bob)" for a `#` comment: the path quoted, the name escaped. */
export function untrustedText(ctx: ExplainContext, root: string, w: WritableBy): string {
  const owner = w.uid >= 0 ? accountOf(ctx, root, w.uid) : null;
  const named = owner?.name ? ` (${terminalSafe(owner.name)})` : '';
  return `${shellQuote(w.path)} is ${w.why}${w.why.startsWith('owned by') ? named : owner && owner.uid !== 0 ? `, owned by ${accountText(owner)}` : ''}`;
}

/** A value as a runner with ceiling `c` can apply it. */
export interface Capped {
  value: { soft: number; hard: number };
  /** Set when capped: "To go above 20000, first raise …". */
  higher?: string;
  /** Set when nothing above `current` is possible for this runner: what it needs. */
  needs?: string;
}

/**
 * `value` capped at the hard limit of its runner, when that runner cannot raise one (no
 * CAP_SYS_RESOURCE): soft = hard = the ceiling, with what to raise first to go higher. When even
 * that is no raise over `current`, the value stays and `needs` says why it would fail.
 */
export function capAt(value: { soft: number; hard: number }, c: Pick<Ceiling, 'hard' | 'canRaise' | 'who' | 'raiseFirst'>, current: number | null): Capped {
  if (c.canRaise !== false || c.hard === null || value.hard <= c.hard) return { value };
  if (c.hard > (current ?? 0)) return { value: { soft: c.hard, hard: c.hard }, higher: `To go above ${c.hard}, first raise ${c.raiseFirst}.` };
  return { value, needs: `a hard limit above ${c.hard} for ${c.who}, which cannot raise its own: first raise ${c.raiseFirst}` };
}

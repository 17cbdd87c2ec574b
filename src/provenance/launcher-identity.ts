/**
 * Is a process really the launcher its name says? comm and argv are the process's own to choose
 * (`exec -a /usr/sbin/cron`, prctl(PR_SET_NAME), a script named `runsv`), so a name alone never
 * makes a launcher: its executable (/proc/PID/exe, which the kernel sets at execve and the process
 * cannot change) must be one of the launcher's binaries, owned by root and changeable by nobody
 * else (the file and every directory above it: safety/writable-by.ts) — for a launcher any account
 * may run (pm2, runsv, tmux), also owned by the account running it, whose fix lines then run as
 * that account — and it must run as the real one does (cron and the PAM session openers as root). Where the executable cannot be read (a
 * capture or fixture without it, a non-root sockdoc looking at another user's process), the uid
 * alone decides, and what was not checked is said.
 */
import { basename } from 'node:path';
import type { ProcNode } from './chain.js';
import { memoRead, type ExplainContext } from './context.js';
import { accountOf, accountText, untrusted, untrustedText } from './fix-runner.js';
import { readLinkUnder } from '../probe/read-file.js';
import { terminalSafe } from '../safety/terminal.js';

export interface Identity {
  /** What it is, for sentences ("cron", "runsv"). */
  what: string;
  /** Base names its real executable has. */
  binaries: readonly string[];
  /** The account the real program runs as: root (effective uid 0), or any account (a user's own pm2, tmux, runsv). */
  runsAs: 'root' | 'any';
}

/** The executable of a process as a host path (" (deleted)" kept off); null when it cannot be read. */
export function exeOf(ctx: ExplainContext, root: string, pid: number): string | null {
  const r = memoRead(ctx, `exe:${pid}`, () => readLinkUnder(root, `proc/${pid}/exe`));
  if (!r.ok) return null;
  const t = r.value.replace(/ \(deleted\)$/, '');
  return t.startsWith(root) && root !== '/' ? t.slice(root.length) || '/' : t;
}

/** The verdict on a name: genuine, or why not (one sentence, host text escaped). */
export type IdentityCheck = { genuine: true; unchecked?: string } | { genuine: false; why: string };

export function checkIdentity(ctx: ExplainContext, root: string, n: ProcNode, id: Identity): IdentityCheck {
  const euid = n.creds?.euid ?? n.uid;
  if (id.runsAs === 'root' && euid !== null && euid !== 0) {
    return { genuine: false, why: `${terminalSafe(n.name)} (pid ${n.pid}) is named like ${id.what} but runs as ${accountText(accountOf(ctx, root, euid))}, and the real ${id.what} runs as root` };
  }
  const exe = exeOf(ctx, root, n.pid);
  if (exe === null) return { genuine: true, unchecked: `the executable of ${terminalSafe(n.name)} (pid ${n.pid}) could not be read, so only its name${id.runsAs === 'root' ? ' and uid' : ''} say it is ${id.what}` };
  if (!id.binaries.includes(basename(exe))) return { genuine: false, why: `${terminalSafe(n.name)} (pid ${n.pid}) is named like ${id.what} but runs ${terminalSafe(exe)}` };
  // Root's launcher runs only root's executables; a user's own launcher (its pm2 under nvm, its runsvdir) may run that user's.
  const bad = untrusted(ctx, root, exe, id.runsAs === 'any' ? n.uid : null);
  if (bad) return { genuine: false, why: `${terminalSafe(n.name)} (pid ${n.pid}) runs ${terminalSafe(exe)}, which is not the system's ${id.what}: ${untrustedText(ctx, root, bad)}` };
  return { genuine: true };
}

export const isGenuine = (ctx: ExplainContext, root: string, n: ProcNode, id: Identity): boolean => checkIdentity(ctx, root, n, id).genuine;

/**
 * Copy-paste fixes, one layer each. Lines are shell commands or configuration lines; a `#` comment
 * says what to do with a configuration line. The value offered is what a configuration already asks
 * for when there is one, else an example sized well above today's.
 */
import { byteOrder } from './config-files.js';
import { shellQuote } from '../safety/shell-quote.js';
import type { Effective } from './rlimit.js';

export interface Pair {
  soft: number;
  hard: number;
}

/** 65536 is what most server guides use; comfortably below the default fs.nr_open (1048576). */
const EXAMPLE_SOFT = 65536;

/** fs.nr_open's default (include/linux/fs.h NR_OPEN = 1024*1024). */
const DEFAULT_NR_OPEN = 1048576;

/**
 * The value a fix proposes: `wanted` when a configuration asks for it, else soft = max(65536, 2×soft)
 * and hard kept when higher (lowering a hard limit helps no one).
 */
export function proposedValue(current: Effective, wanted?: Pair, nrOpen?: number | null): Pair {
  if (wanted) return wanted;
  // Never propose above fs.nr_open (setrlimit fails with EPERM); 1048576 is its kernel default.
  const cap = nrOpen ?? DEFAULT_NR_OPEN;
  const soft = Math.max(Math.min(Math.max(EXAMPLE_SOFT, (current.soft ?? 0) * 2), cap), current.soft ?? 0);
  return { soft, hard: Math.max(soft, current.hard ?? 0) };
}

const sh = (p: Pair) => `${p.soft}:${p.hard}`;

/**
 * systemd: a drop-in via `systemctl edit` (it writes override.conf), a reload, a restart.
 * When a drop-in that sorts after override.conf already sets LimitNOFILE=, that file must be edited
 * instead, or it wins again (drop-ins apply in file-name order, man systemd.unit).
 */
export function systemdFix(unit: string, p: Pair, opts: { userUnit?: boolean; winningDropIn?: string | null; restartOnly?: boolean } = {}): string[] {
  const ctl = opts.userUnit ? 'systemctl --user' : 'systemctl';
  const u = shellQuote(unit);
  if (opts.restartOnly) return [`${ctl} daemon-reload`, `${ctl} restart ${u}`];
  const dropIn = opts.winningDropIn ?? null;
  const base = dropIn ? dropIn.slice(dropIn.lastIndexOf('/') + 1) : null;
  const edit =
    dropIn && base && byteOrder(base, 'override.conf') > 0
      ? [`sed -i 's/^LimitNOFILE=.*/LimitNOFILE=${sh(p)}/' ${shellQuote(dropIn)}   # this drop-in sorts after override.conf and would win over systemctl edit`]
      : [`${ctl} edit ${u}   # add these two lines in the editor, save:`, '[Service]', `LimitNOFILE=${sh(p)}`];
  return [...edit, `${ctl} daemon-reload`, `${ctl} restart ${u}`];
}

/** supervisord: minfds in [supervisord], then a real restart (a reload keeps the old limit). */
export function supervisordFix(file: string, minfds: number, restart: string[], configuredAlready: boolean): string[] {
  const inFile = file.startsWith('/');
  const edit = configuredAlready ? [] : inFile ? [`# in ${shellQuote(file)}, section [supervisord]:`, `minfds=${minfds}`] : [`# in ${file}:`, `--minfds=${minfds}`];
  const how = `${configuredAlready ? '# restart' : '# then restart'} supervisord for real (\`supervisorctl reload\` does not re-apply minfds):`;
  return [...edit, how, ...restart];
}

/** pam_limits: a limits.d line for the user, then a new session. */
export function pamFix(user: string, p: Pair, cron = false): string[] {
  return [
    `printf '%s\\n' ${shellQuote(`${user} soft nofile ${p.soft}`)} ${shellQuote(`${user} hard nofile ${p.hard}`)} >> /etc/security/limits.d/90-nofile.conf`,
    cron ? '# the next run of the cron job gets it: limits.conf applies when a session opens' : '# then log out and log in again: limits.conf applies to new sessions only',
  ];
}

/** A shell that ran `ulimit -n`: the line to write there instead. `where` is our own text, its host path already quoted. */
export function shellFix(where: string | null, p: Pair): string[] {
  const line = `ulimit -n ${p.soft}   # bash sets soft and hard; raising hard above the current hard needs root`;
  return where ? [`# in ${where}, replace the ulimit line with:`, line, '# then restart the program from that shell'] : [line, '# in the script or shell that starts the program, then restart it'];
}

/** Immediate relief: changes the running process, lost when it restarts (man 1 prlimit). */
export function prlimitFix(pid: number, p: Pair, currentHard: number | null): string {
  // prlimit(2): raising a hard limit needs CAP_SYS_RESOURCE in the target's user namespace.
  const priv = currentHard !== null && p.hard > currentHard ? ' (raising the hard limit needs root)' : '';
  return `prlimit --pid ${pid} --nofile=${sh(p)}   # now, without a restart${priv}; lost when the process restarts`;
}

/**
 * The relief line a rule offers for a process's fd limit when provenance has not explained it
 * (src/provenance/explain.ts does the full version). prlimit(2) (kernel/sys.c
 * check_prlimit_permission, do_prlimit): with CAP_SYS_RESOURCE anything up to fs.nr_open, for any
 * process; without it only the process's own user may change its limits, and nobody may raise its
 * hard limit. `canRaise` is the pasting shell's CAP_SYS_RESOURCE (sockdoc's own, live; null for a
 * capture, whose lines are written for root, which has it on most hosts). Without it the soft limit
 * goes up to the hard one, as the process's owner when that is not root; a hard limit already
 * reached is said in a comment, never offered as a line that fails.
 */
import type { ProcessInfo } from '../../snapshot/types.js';
import { shellCommand } from '../../safety/shell-quote.js';

export function reliefLine(p: Pick<ProcessInfo, 'pid' | 'uid' | 'user' | 'fds'>, canRaise: boolean | null | undefined, nrOpen: number | null, note: string): string {
  const { soft, hard } = p.fds;
  if (soft === null) return `# pid ${p.pid}'s limits could not be read: cat /proc/${p.pid}/limits`;
  const roomy = hard !== null && soft < hard;
  if (canRaise !== false && !roomy) {
    // fs.nr_open caps any value (setrlimit fails with EPERM above it).
    const target = Math.min(Math.max(65536, soft * 2), nrOpen ?? Infinity);
    return `prlimit --pid ${p.pid} --nofile=${target}:${target}   # ${note}; raising the hard limit needs CAP_SYS_RESOURCE${canRaise === null ? ' (root on most hosts)' : ''}`;
  }
  if (!roomy) {
    return `# no relief without a restart: pid ${p.pid} is at its hard limit${hard !== null ? ` ${hard}` : ''}, and raising a hard limit needs CAP_SYS_RESOURCE, which this shell lacks; raise it where it is set (sockdoc limits ${p.pid}) and restart`;
  }
  const as = canRaise === true ? [] : asOwner(p);
  return `${shellCommand([...as, 'prlimit', '--pid', String(p.pid), `--nofile=${hard}:${hard}`])}   # ${note}${as.length ? ' (as its owner: without CAP_SYS_RESOURCE only its own user may change its limits)' : ''}`;
}

/**
 * The words that make a root shell run a command as the process's owner: none for root, `runuser -u
 * USER --` for a named user, setpriv for a uid without a name.
 */
export function asOwner(p: Pick<ProcessInfo, 'uid' | 'user'>): string[] {
  if (p.uid === 0) return [];
  return p.user !== null ? ['runuser', '-u', p.user, '--'] : ['setpriv', `--reuid=${p.uid}`, `--regid=${p.uid}`, '--clear-groups', '--'];
}

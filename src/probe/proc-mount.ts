/**
 * How /proc is mounted, from /proc/self/mountinfo (proc(5), Documentation/filesystems/proc.rst §4):
 * `hidepid=1|noaccess` makes other users' /proc/PID unreadable, `hidepid=2|invisible` hides them,
 * `subset=pid` hides everything but the pid directories; `gid=N` exempts that group. Root
 * (CAP_SYS_PTRACE) sees everything either way. Not seeing a process must make a report partial:
 * its sockets lose their owner and its fd limit is never judged.
 */
import { readUnder } from './read-file.js';

export interface ProcMount {
  /** "0"/"off", "1"/"noaccess", "2"/"invisible", "4"/"ptraceable"; null when not set. */
  hidepid: string | null;
  /** The gid exempted by gid=, else null. */
  gid: number | null;
  /** subset=pid when set. */
  subset: string | null;
}

/** Options of the mount at /proc in mountinfo text (the topmost); null when no proc is mounted there. Never throws. */
export function parseProcMount(text: string): ProcMount | null {
  // The last /proc line wins: a later mount stacks on top of an earlier one (mountinfo lists in mount order).
  let found: ProcMount | null = null;
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    // "36 25 0:21 / /proc rw,nosuid - proc proc rw,hidepid=invisible"
    if (f[4] !== '/proc' || dash < 0 || f[dash + 1] !== 'proc') continue;
    const opts = new Map<string, string>();
    for (const o of (f[dash + 3] ?? '').split(',')) {
      const eq = o.indexOf('=');
      if (eq > 0) opts.set(o.slice(0, eq), o.slice(eq + 1));
    }
    const gid = opts.get('gid');
    found = { hidepid: opts.get('hidepid') ?? null, gid: gid !== undefined && /^\d{1,10}$/.test(gid) ? Number(gid) : null, subset: opts.get('subset') ?? null };
  }
  return found;
}

export function readProcMount(root: string): ProcMount | null {
  return parseProcMount(readUnder(root, 'proc/self/mountinfo', 'proc'));
}

/**
 * The sentence saying what this reader cannot see, or null when it sees every process: hidepid
 * hides nothing from root, from the gid= group, or when it is 0/off.
 */
export function hiddenByProcMount(m: ProcMount | null, who: { uid: number; groups: readonly number[] }): string | null {
  if (!m || who.uid === 0) return null;
  if (m.gid !== null && who.groups.includes(m.gid)) return null;
  const h = m.hidepid;
  if (h === null || h === '0' || h === 'off') return null;
  const what = h === '2' || h === 'invisible' ? 'are invisible' : h === '4' || h === 'ptraceable' ? 'are invisible unless ptrace-able' : 'cannot be read';
  return `/proc is mounted with hidepid=${h}: other users' processes ${what} to uid ${who.uid}, so their sockets show no owner and their fd limits are not judged; run as root${m.gid !== null ? ` or in group ${m.gid}` : ''} to see them`;
}

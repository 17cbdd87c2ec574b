/**
 * Login sessions (sshd, login, su, sudo) and cron jobs: pam_limits sets the session's limits from
 * limits.conf when the PAM session opens, in the process that opens it (man pam_limits), and the
 * user's shell and programs inherit them.
 */
import type { ProcNode } from './chain.js';
import { memoRead, pamUser, type ExplainContext, type Verdict } from './context.js';
import { pamFix, proposedValue } from './fix.js';
import { pamServiceUsesLimits, readPamNofile, type PamNofile, type PamUser } from './pam.js';
import { formatSH, type Effective, type Rlim } from './rlimit.js';

export function readPam(ctx: ExplainContext, root: string, user: PamUser) {
  return memoRead<PamNofile>(ctx, `pam:${user.name}`, () => readPamNofile(root, user));
}

function entryText(e: { domain: string; type: string; item: string; value: Rlim; file: string; line: number }): string {
  return `"${e.domain} ${e.type} ${e.item} ${e.value === 'infinity' ? 'unlimited' : e.value}" (${e.file}:${e.line})`;
}

/** What pam_limits would give, falling back to the inherited value for sides it does not set. */
function expectedFrom(p: PamNofile, inherited: Effective, nrOpen: number | null): Effective {
  const v = (x: Rlim | undefined, fallback: number | null) => (x === undefined ? fallback : x === 'infinity' ? nrOpen : x);
  const hard = v(p.hard?.value, inherited.hard);
  let soft = v(p.soft?.value, inherited.soft);
  // setup_limits(): a soft above hard is lowered to hard.
  if (soft !== null && hard !== null && soft > hard) soft = hard;
  return { soft, hard };
}

/**
 * `opener` is the process that opened the session (its limit differs from its parent's);
 * `userNode` is the first process of the session (its uid names the user).
 */
export function sessionVerdict(
  ctx: ExplainContext,
  root: string,
  opener: ProcNode,
  parent: ProcNode | null,
  userNode: ProcNode,
  service: string,
  layer: 'pam' | 'cron',
  nrOpen: number | null,
): Verdict {
  const uid = userNode.uid ?? opener.uid ?? 0;
  const user = pamUser(ctx, root, uid);
  const what = layer === 'cron' ? `The cron job session opened by ${opener.name} (pid ${opener.pid})` : `The login session opened by ${opener.name} (pid ${opener.pid})`;
  const usesRead = memoRead(ctx, `pam.d:${service}`, () => pamServiceUsesLimits(root, service));
  const uses = usesRead.ok ? usesRead.value : null;
  const base = { layer, pid: opener.pid } as const;
  const r = readPam(ctx, root, user);
  const p = proposedValue(opener.limit, undefined, nrOpen);
  if (!r.ok) {
    return { source: { ...base, reason: `${what} for ${user.name} set it; limits.conf could not be read: ${r.error}.` }, contradictions: [], fix: pamFix(user.name, p, layer === 'cron'), notes: [], pamSession: true };
  }
  const pam = r.value;
  const notes: string[] = [];
  if (uses === false) notes.push(`/etc/pam.d/${service} does not load pam_limits.so for sessions, so limits.conf does not apply to ${service} sessions.`);
  if (pam.noLimits) {
    notes.push(`${pam.noLimits.file}:${pam.noLimits.line} "${pam.noLimits.domain} -" switches pam_limits off for ${user.name}.`);
  }
  const winner = pam.soft?.entry ?? pam.hard?.entry;
  if (!winner || pam.noLimits) {
    return {
      source: {
        ...base,
        file: pam.files[0],
        reason: `${opener.name} (pid ${opener.pid}) has a limit different from its parent, so ${what.charAt(0).toLowerCase() + what.slice(1)} set it, but limits.conf and limits.d have no nofile line for ${user.name}; the value may come from another PAM module or from ${opener.name} itself.`,
      },
      contradictions: [],
      fix: pamFix(user.name, p, layer === 'cron'),
      notes,
      pamSession: true,
    };
  }
  const lines = [pam.soft?.entry, pam.hard?.entry].filter((e, i, a): e is NonNullable<typeof e> => !!e && a.indexOf(e) === i);
  const inherited = parent?.limit ?? { soft: null, hard: null };
  const expected = expectedFrom(pam, inherited, nrOpen);
  const value = formatSH(pam.soft?.value ?? null, pam.hard?.value ?? null).replace(/infinity/g, 'unlimited');
  const src = { ...base, file: winner.file, setting: lines.map((e) => `${e.domain} ${e.type} nofile ${e.value}`).join('; '), value };
  const reason = `${what} for ${user.name} applied ${lines.map(entryText).join(' and ')} through pam_limits (/etc/pam.d/${service}).`;
  const contradictions: string[] = [];
  if (expected.soft !== opener.limit.soft || expected.hard !== opener.limit.hard) {
    contradictions.push(
      `limits.conf now gives ${user.name} ${formatSH(expected.soft, expected.hard)}, but this session has ${formatSH(opener.limit.soft, opener.limit.hard)}: limits.conf was changed after the session opened (it applies to new sessions only), or another layer changed it since.`,
    );
  }
  return { source: { ...src, reason }, contradictions, fix: pamFix(user.name, p, layer === 'cron'), notes, pamSession: true };
}

/**
 * Contradictions that hold whatever the layer: a supervisord anywhere in the chain running below
 * its configured minfds; limits.conf lines that cannot reach a process outside a PAM session; a
 * soft limit the program could raise itself.
 */
import type { ProcNode } from './chain.js';
import { pamUser, type ExplainContext, type Verdict } from './context.js';
import { isCron, isSessionScope, isSupervisord, pamServiceOf, sessionIdentity } from './kinds.js';
import { isGenuine } from './launcher-identity.js';
import { readPam } from './layer-session.js';
import { readSupervisord, staleMinfds } from './layer-supervisord.js';
import { readUnit, systemBuiltin } from './layer-systemd.js';
import { systemScope } from './systemd.js';

/**
 * Is any link a PAM session (a login program or cron opened one), or the unit runs PAM itself?
 * Names are the process's own to choose (`exec -a cron`, prctl PR_SET_NAME), so a link counts only
 * when it is the real program (launcher-identity.ts: its executable, root's, run as root) — the
 * same test classify.ts applies before it calls a link a session. A session scope counts only where
 * systemd-logind makes it (user-UID.slice/session-N.scope), not inside a user manager's delegated
 * subtree (user@UID.service/…), where the user may name a cgroup anything.
 */
export function underPamSession(ctx: ExplainContext, root: string, links: readonly ProcNode[], v: Verdict): boolean {
  if (v.pamSession) return true;
  const real = (n: ProcNode | undefined): boolean => n !== undefined && isGenuine(ctx, root, n, sessionIdentity(n));
  // The listening sshd/cron daemon is not a session; a session is a child of one, or a login/su/sudo.
  for (let i = 0; i + 1 < links.length; i++) {
    const l = links[i];
    if (isCron(l) && isCron(links[i + 1]) && real(l) && real(links[i + 1])) return true;
    if (pamServiceOf(l) && real(l) && (l.name !== 'sshd' || (pamServiceOf(links[i + 1]) && real(links[i + 1])))) return true;
  }
  if (links.some((l) => isSessionScope(l.cgroup) && !/\/user@\d+\.service\//.test(l.cgroup ?? ''))) return true;
  if (v.source.unit) {
    const u = readUnit(ctx, root, v.source.unit, systemScope(systemBuiltin(ctx, root)));
    if (u.ok && u.value.pamName) return true;
  }
  return false;
}

/** What the process is instead of a login session ("a service started by systemd (api.service)"), or null when nothing more is known. */
function describeLauncher(v: Verdict): string | null {
  const s = v.source;
  switch (s.layer) {
    case 'systemd':
      return `a service started by systemd${s.unit ? ` (${s.unit})` : ''}`;
    case 'supervisord':
      return 'a program started by supervisord';
    case 'container':
      return 'a container process';
    case 'launcher':
      return `a program started by ${s.launcher ?? 'a process manager'}`;
    default:
      return null;
  }
}

export function chainContradictions(ctx: ExplainContext, root: string, links: readonly ProcNode[], v: Verdict): string[] {
  const out: string[] = [];
  const target = links[0];
  for (const l of links) {
    if (!isSupervisord(l)) continue;
    const r = readSupervisord(ctx, root, l);
    if (!r.ok || !r.value) continue;
    const s = staleMinfds(l, r.value);
    if (s) out.push(s);
  }
  if (target.uid !== null && !underPamSession(ctx, root, links, v)) {
    const user = pamUser(ctx, root, target.uid);
    const r = readPam(ctx, root, user);
    if (r.ok) {
      const p = r.value;
      const differs = (x: { value: number | 'infinity' } | null, have: number | null) => x !== null && x.value !== have;
      if (differs(p.soft, target.limit.soft) || differs(p.hard, target.limit.hard)) {
        const lines = [p.soft?.entry, p.hard?.entry]
          .filter((e, i, a): e is NonNullable<typeof e> => !!e && a.indexOf(e) === i)
          .map((e) => `"${e.domain} ${e.type} nofile ${e.value === 'infinity' ? 'unlimited' : e.value}" (${e.file}:${e.line})`);
        out.push(
          `limits.conf has ${lines.join(' and ')} for ${user.name}, but ${target.name} (pid ${target.pid}) is ${describeLauncher(v) ? `${describeLauncher(v)}, not a login session` : 'not part of a login session'}: pam_limits applies limits.conf only when a PAM session opens (login, sshd, su, sudo, cron), so it does not apply here.`,
        );
      }
    }
  }
  const { soft, hard } = target.limit;
  if (soft !== null && hard !== null && soft < hard && v.source.layer !== 'self') {
    out.push(
      `The soft limit ${soft} is below the hard limit ${hard}: ${target.name} could raise its own soft limit up to ${hard} with setrlimit() (Go ≥ 1.19 does so at start-up; nginx has worker_rlimit_nofile), and \`prlimit --pid ${target.pid} --nofile=${hard}:${hard}\` does it now without a restart.`,
    );
  }
  return out;
}

/**
 * What kind of process a chain link is, from its comm, argv and cgroup. comm is the executable's
 * base name cut to 15 bytes (TASK_COMM_LEN), which is also what a `#!` script gets, so a Python
 * supervisord shows as "supervisord".
 */
import type { ProcNode } from './chain.js';

const SHELLS = new Set(['bash', 'sh', 'dash', 'zsh', 'ksh', 'ksh93', 'mksh', 'ash', 'busybox', 'fish', 'tcsh', 'csh', 'yash']);

/** Programs that open a PAM session for a user, keyed by comm, with their /etc/pam.d service name. */
const PAM_SERVICES: Record<string, string> = {
  sshd: 'sshd',
  'sshd-session': 'sshd', // OpenSSH ≥ 9.8 runs the per-connection side as sshd-session
  login: 'login',
  su: 'su',
  sudo: 'sudo',
  runuser: 'runuser',
  doas: 'doas',
  gdm: 'gdm-password',
  'gdm-session-wor': 'gdm-password',
  lightdm: 'lightdm',
  sddm: 'sddm',
};

const CRON = new Set(['cron', 'crond', 'anacron', 'atd']);

/** The executables' base names behind a comm, where they differ from it (gdm's worker's comm is cut to 15 bytes). */
const BINARIES: Record<string, readonly string[]> = {
  'gdm-session-wor': ['gdm-session-worker'],
  gdm: ['gdm', 'gdm3'],
  sddm: ['sddm', 'sddm-helper'],
};

/**
 * What the real program behind a session opener or cron comm is (launcher-identity.ts): its
 * binaries, run as root. A user's `exec -a cron` has the name but not the uid or the executable.
 */
export function sessionIdentity(n: ProcNode): { what: string; binaries: readonly string[]; runsAs: 'root' } {
  return { what: n.name, binaries: BINARIES[n.name] ?? [n.name], runsAs: 'root' };
}

export function isShell(n: ProcNode): boolean {
  return SHELLS.has(n.name);
}

/** A shell's executable base name (/proc/PID/exe): a script started by its #! line has the script's comm but a shell's exe. */
export function isShellBinary(exeBase: string): boolean {
  return SHELLS.has(exeBase);
}

/** The system manager (pid 1) or a per-user manager (`systemd --user`, in user@UID.service). */
export function isSystemdManager(n: ProcNode): boolean {
  if (n.name !== 'systemd') return false;
  return n.pid === 1 || n.argv.includes('--user') || /\/user@\d+\.service\/init\.scope$/.test(n.cgroup ?? '');
}

export function isUserManager(n: ProcNode): boolean {
  return isSystemdManager(n) && n.pid !== 1;
}

export function isSupervisord(n: ProcNode): boolean {
  return n.name === 'supervisord' || n.argv.slice(0, 2).some((a) => /(^|\/)supervisord(\.py)?$/.test(a));
}

/** The /etc/pam.d service a login program uses, or null when this is not one. */
export function pamServiceOf(n: ProcNode): string | null {
  return PAM_SERVICES[n.name] ?? null;
}

export function isCron(n: ProcNode): boolean {
  return CRON.has(n.name);
}

export function isNginx(n: ProcNode): boolean {
  return n.name === 'nginx';
}

/** A HotSpot JVM: comm is "java" (or the launcher's name); argv names the JVM options. */
export function isJava(n: ProcNode): boolean {
  return n.name === 'java' || /(^|\/)java$/.test(n.argv[0] ?? '');
}

/** A login session's scope (logind: session-N.scope under user-UID.slice). */
export function isSessionScope(cgroup: string | null): boolean {
  return /\/session-[^/]+\.scope$/.test(cgroup ?? '');
}

/** The deepest systemd unit of a cgroup path, with whether it sits below a user manager. */
export function unitOf(cgroup: string | null): { unit: string; user: boolean } | null {
  if (!cgroup) return null;
  const parts = cgroup.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    if (/\.(service|scope|socket|mount|swap)$/.test(p)) {
      const user = parts.slice(0, i).some((q) => /^user@\d+\.service$/.test(q));
      return { unit: p, user };
    }
  }
  return null;
}

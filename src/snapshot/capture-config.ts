/**
 * The configuration files `sockdoc limits` reads, for a set of captured processes: pam_limits
 * (limits.conf, limits.d, pam.d), systemd's manager defaults, the unit and drop-ins of each
 * process's service, and supervisord's files (main + [include]). Without them a capture explains
 * a limit as "no configuration file was found" where the live host names the line. Scripts and
 * home-directory files are not copied: they are a user's own text, not configuration.
 */
import { basename } from 'node:path';
import { parsePidCgroup, systemdCgroupPath } from '../probe/pid-cgroup.js';
import { parsePidCmdline } from '../probe/pid-cmdline.js';
import { listDir } from '../provenance/config-files.js';
import { unitOf } from '../provenance/kinds.js';
import { limitsFiles } from '../provenance/pam.js';
import { parseSupervisordArgs, readSupervisordConfig } from '../provenance/supervisord.js';
import { findDropIns, findFragment } from '../provenance/systemd.js';
import { cwdOf } from '../provenance/context.js';
import { parsePidStat } from '../probe/pid-stat.js';
import { identityOf, parsePidStatus } from '../probe/pid-status.js';
import type { Identity } from '../probe/read-file.js';
import { resolve } from 'node:path';
import { nofile, parsePidLimits } from '../probe/pid-limits.js';
import { programConfigFiles } from './programs.js';
import type { ProcessInfo } from './types.js';

/** systemd manager configuration (man systemd-system.conf: the .d directories in priority order). */
const MANAGER_FILES = ['/etc/systemd/system.conf', '/etc/systemd/user.conf'];
const MANAGER_DIRS = ['system.conf.d', 'user.conf.d'].flatMap((d) => ['/etc/systemd', '/run/systemd', '/usr/local/lib/systemd', '/usr/lib/systemd'].map((p) => `${p}/${d}`));

/** What capture already read of a process: its cmdline and cgroup text (stat, status, limits when read). */
export interface CapturedProcess {
  pid: number;
  cmdline: string;
  cgroup: string;
  stat?: string;
  status?: string;
  limits?: string;
}

/** One file to copy and whose rights it is read with (null: root's: system configuration, root's own processes). */
export interface FileToCopy {
  path: string;
  as: Identity | null;
}

/**
 * Whose rights a captured process's files are read with (read-file.ts Identity, docs/safety.md
 * "read as the owner"): its owner's on the live host, from the status text capture already read;
 * a status that does not parse reads as nobody (uid -1). Under a capture root: null (the capture
 * that made it checked its files; the modes there are its own).
 */
export function identityOfCaptured(root: string, p: CapturedProcess): Identity | null {
  if (resolve(root) !== '/') return null;
  try {
    return identityOf(p.pid, parsePidStatus(p.status ?? ''));
  } catch {
    return { uid: -1, gid: -1, groups: [], label: `the owner of pid ${p.pid} (unreadable)` };
  }
}

/**
 * The configuration files of the catalogued programs among the captured processes (nginx.conf and
 * its includes, haproxy.cfg, redis.conf, ...: src/provenance/programs), each with the root it is
 * read under (the host's, or a container's ROOT/proc/PID/root). A process whose files do not parse
 * is skipped: the capture copies what it can.
 */
export function programFilesFor(root: string, procs: readonly CapturedProcess[]): Array<{ fsRoot: string; files: string[]; as: Identity | null }> {
  const processes: ProcessInfo[] = [];
  const identities = new Map<number, Identity | null>();
  for (const p of procs) identities.set(p.pid, identityOfCaptured(root, p));
  for (const p of procs) {
    try {
      const st = parsePidStat(p.stat ?? '');
      const nf = p.limits ? nofile(parsePidLimits(p.limits)) : null;
      const num = (v: number | 'unlimited' | undefined) => (typeof v === 'number' ? v : null);
      processes.push({
        pid: p.pid,
        ppid: st.ppid,
        name: st.name,
        cmdline: parsePidCmdline(p.cmdline).joined,
        uid: p.status ? parsePidStatus(p.status).uid : 0,
        user: null,
        fds: { open: null, soft: num(nf?.soft), hard: num(nf?.hard) },
        sockets: {},
        netns: null,
      });
    } catch {
      // A process whose files do not parse is not a program sockdoc can read the configuration of.
    }
  }
  try {
    return programConfigFiles(root, processes, identities);
  } catch {
    return [];
  }
}

/**
 * Host paths of the configuration files that exist under root and matter to these processes,
 * sorted, each once. Errors of one process's lookup are skipped (the file list is a best effort;
 * the capture says when one could not be copied).
 */
export function configFilesFor(root: string, procs: readonly CapturedProcess[]): FileToCopy[] {
  const files = new Map<string, Identity | null>(MANAGER_FILES.map((f) => [f, null]));
  const tryAdd = (fn: () => Iterable<string> | null | undefined, as: Identity | null = null) => {
    try {
      for (const f of fn() ?? []) {
        // A file both root and a user name is read as root only when root's own configuration names it.
        if (!files.has(f) || (files.get(f) !== null && as === null)) files.set(f, as);
      }
    } catch {
      // Unreadable or malformed: limits will say so from the capture, as it would live.
    }
  };
  tryAdd(() => ['/etc/security/limits.conf', ...limitsFiles(root)]);
  tryAdd(() => listDir(root, '/etc/pam.d').map((n) => `/etc/pam.d/${n}`));
  for (const d of MANAGER_DIRS) tryAdd(() => listDir(root, d).filter((n) => n.endsWith('.conf')).map((n) => `${d}/${n}`));
  for (const p of procs) {
    tryAdd(() => {
      const cg = systemdCgroupPath(parsePidCgroup(p.cgroup));
      const u = unitOf(cg);
      if (!u) return [];
      const frag = findFragment(root, u.unit);
      return [...(frag ? [frag.path] : []), ...findDropIns(root, u.unit)];
    });
    const as = identityOfCaptured(root, p);
    tryAdd(() => {
      const argv = parsePidCmdline(p.cmdline).argv;
      if (!argv.slice(0, 2).some((a) => basename(a).startsWith('supervisord'))) return [];
      const args = parseSupervisordArgs(argv);
      const cwd = args.config?.startsWith('/') ? '/' : cwdOf(root, p.pid);
      const conf = readSupervisordConfig(root, args, cwd, undefined, as);
      // A -c file its owner could not read is listed anyway: the copy skips it and says why.
      return conf?.files ?? (args.config ? [resolve(cwd, args.config)] : []);
    }, as);
  }
  return [...files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([path, as]) => ({ path, as }));
}

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
import { parsePidStatus } from '../probe/pid-status.js';
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

/**
 * The configuration files of the catalogued programs among the captured processes (nginx.conf and
 * its includes, haproxy.cfg, redis.conf, ...: src/provenance/programs), each with the root it is
 * read under (the host's, or a container's ROOT/proc/PID/root). A process whose files do not parse
 * is skipped: the capture copies what it can.
 */
export function programFilesFor(root: string, procs: readonly CapturedProcess[]): Array<{ fsRoot: string; files: string[] }> {
  const processes: ProcessInfo[] = [];
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
    return programConfigFiles(root, processes);
  } catch {
    return [];
  }
}

/**
 * Host paths of the configuration files that exist under root and matter to these processes,
 * sorted, each once. Errors of one process's lookup are skipped (the file list is a best effort;
 * the capture says when one could not be copied).
 */
export function configFilesFor(root: string, procs: readonly CapturedProcess[]): string[] {
  const files = new Set<string>(MANAGER_FILES);
  const tryAdd = (fn: () => Iterable<string> | null | undefined) => {
    try {
      for (const f of fn() ?? []) files.add(f);
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
    tryAdd(() => {
      const argv = parsePidCmdline(p.cmdline).argv;
      if (!argv.slice(0, 2).some((a) => basename(a).startsWith('supervisord'))) return [];
      const args = parseSupervisordArgs(argv);
      const cwd = args.config?.startsWith('/') ? '/' : cwdOf(root, p.pid);
      return readSupervisordConfig(root, args, cwd)?.files;
    });
  }
  return [...files].sort();
}

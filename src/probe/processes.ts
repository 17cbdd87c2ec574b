/**
 * Every process of a host with its owner, fd usage and RLIMIT_NOFILE, and the socket inodes each holds
 * (/proc/PID/{stat,status,cmdline,limits,fd}). Processes come and go during a scan: one that vanishes
 * is skipped without a word; what could not be read for a reason worth telling (not root, a broken
 * file) is counted and told once per kind, never once per pid.
 */
import { existsSync } from 'node:fs';
import type { Owner, ProbeReport, ProcessInfo } from '../snapshot/types.js';
import { listPids } from './pids.js';
import { readPidCmdline } from './pid-cmdline.js';
import { readPidFds } from './pid-fd.js';
import { nofile, readPidLimits, type LimitValue } from './pid-limits.js';
import { readPidStat } from './pid-stat.js';
import { readPidStatus } from './pid-status.js';
import { readPasswd, userNames } from './passwd.js';
import { describeError, outcomeOf, runProbe, under } from './read-file.js';

export interface ReadProcessesOptions {
  /** Only these pids (a lab or a test scoping the scan to its own processes). Missing ones are skipped. */
  pids?: number[];
}

export interface ProcessScan {
  /** User processes, pid ascending; kernel threads left out. `sockets` is empty: the snapshot fills it. */
  processes: ProcessInfo[];
  /** Socket inode -> every (pid, fd) holding it, in scan order (pid, then fd, ascending). */
  owners: Map<number, Owner[]>;
  reports: ProbeReport[];
  notes: string[];
}

/** Problems of one kind across processes: a count and the first example, told in one note. */
interface Tally {
  count: number;
  first: string;
}

function tally(t: Tally, detail: string): void {
  if (t.count++ === 0) t.first = detail;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function report(probe: string, source: string, ms: number): ProbeReport {
  return { probe, source, status: 'ok', ms };
}

/** Marks the report partial, appends `text` to its detail, and tells it once as a sentence. */
function tell(report: ProbeReport, notes: string[], text: string): void {
  report.status = 'partial';
  report.detail = report.detail ? `${report.detail}; ${text}` : text;
  notes.push(`${text[0].toUpperCase()}${text.slice(1)}.`);
}

/** A pid whose directory is gone exited (and was reaped) during the scan. */
function vanished(root: string, pid: number): boolean {
  return !existsSync(under(root, 'proc', String(pid)));
}

/**
 * kthreadd (pid 2) and its children run no program: their cmdline is empty and they hold no fds.
 * Inside a pid namespace pid 2 may be a real process, hence the cmdline check; a zombie also has an
 * empty cmdline but a user-space parent.
 */
export function isKernelThread(pid: number, ppid: number, cmdline: string, kthread: boolean | null): boolean {
  if (kthread !== null) return kthread;
  return cmdline === '' && (pid === 2 || ppid === 2);
}

function limitNumber(v: LimitValue): number | null {
  return v === 'unlimited' ? null : v;
}

/**
 * Reads every process under ROOT/proc (or `opts.pids`).
 * @example readProcesses('/').owners.get(41623) // [{ pid: 812, fd: 6 }]
 */
export function readProcesses(root = '/', opts: ReadProcessesOptions = {}): ProcessScan {
  const processes: ProcessInfo[] = [];
  const owners = new Map<number, Owner[]>();
  const reports: ProbeReport[] = [];
  const notes: string[] = [];
  const procDir = under(root, 'proc');

  const listed = runProbe('pids', procDir, () => opts.pids ?? listPids(root));
  reports.push(listed.report);
  if (listed.value === null) {
    notes.push(`Processes could not be listed (${listed.report.detail}): socket owners and fd limits are unknown.`);
    return { processes, owners, reports, notes };
  }

  const users = runProbe('passwd', under(root, 'etc', 'passwd'), () => userNames(readPasswd(root)));
  reports.push(users.report);
  if (users.value === null) notes.push(`User names are unknown (${users.report.detail}): processes show numeric uids.`);

  const unreadable: Tally = { count: 0, first: '' };
  const limitsMissing: Tally = { count: 0, first: '' };
  const fdsDenied: Tally = { count: 0, first: '' };
  const fdsRefused: Tally = { count: 0, first: '' };
  const fdsMissing: Tally = { count: 0, first: '' };
  const euid = process.geteuid?.() ?? 0;
  let procMs = 0;
  let limitsMs = 0;
  let fdMs = 0;

  for (const pid of [...new Set(listed.value)].sort((a, b) => a - b)) {
    let t = performance.now();
    let base: { ppid: number; name: string; cmdline: string; uid: number } | null = null;
    try {
      const stat = readPidStat(root, pid);
      const status = readPidStatus(root, pid);
      const cmdline = readPidCmdline(root, pid).joined;
      if (isKernelThread(pid, stat.ppid, cmdline, status.kthread)) {
        procMs += performance.now() - t;
        continue;
      }
      base = { ppid: stat.ppid, name: stat.name, cmdline, uid: status.uid };
    } catch (err) {
      if (!vanished(root, pid)) tally(unreadable, describeError(err));
    }
    procMs += performance.now() - t;
    if (base === null) continue;

    t = performance.now();
    let soft: number | null = null;
    let hard: number | null = null;
    try {
      const limit = nofile(readPidLimits(root, pid));
      if (limit) {
        soft = limitNumber(limit.soft);
        hard = limitNumber(limit.hard);
      } else tally(limitsMissing, `${under(procDir, String(pid), 'limits')} has no "Max open files" row`);
    } catch (err) {
      if (vanished(root, pid)) continue;
      tally(limitsMissing, describeError(err));
    }
    limitsMs += performance.now() - t;

    t = performance.now();
    let open: number | null = null;
    try {
      const fds = readPidFds(root, pid);
      open = fds.count;
      if (fds.denied) {
        // Not root: another user's fd directory is 0500 (proc_fd_permission). Root or the same user can
        // still be refused each link by the ptrace check (proc_fd_access_allowed); seen here for pid 1,
        // which held capabilities this root session lacked.
        const otherUser = euid !== 0 && base.uid !== euid;
        tally(otherUser ? fdsDenied : fdsRefused, under(procDir, String(pid), 'fd'));
      }
      for (const [fd, inode] of fds.sockets) {
        const holders = owners.get(inode);
        if (holders) holders.push({ pid, fd });
        else owners.set(inode, [{ pid, fd }]);
      }
    } catch (err) {
      if (vanished(root, pid)) continue;
      // opendir errors carry no path (Node sets none for it): name the directory here.
      const code = (err as NodeJS.ErrnoException | null)?.code;
      const detail = code ? `${code} ${under(procDir, String(pid), 'fd')}` : describeError(err);
      tally(outcomeOf(err) === 'denied' ? fdsRefused : fdsMissing, detail);
    }
    fdMs += performance.now() - t;

    processes.push({
      pid,
      ppid: base.ppid,
      name: base.name,
      cmdline: base.cmdline,
      uid: base.uid,
      user: users.value?.get(base.uid) ?? null,
      fds: { open, soft, hard },
      sockets: {},
    });
  }

  const procReport = report('pid-stat', under(procDir, '*', '{stat,status,cmdline}'), procMs);
  if (unreadable.count > 0) {
    tell(procReport, notes, `${plural(unreadable.count, 'process', 'processes')} could not be read (first: ${unreadable.first}); they are left out`);
  }
  const limitsReport = report('pid-limits', under(procDir, '*', 'limits'), limitsMs);
  if (limitsMissing.count > 0) {
    tell(limitsReport, notes, `the fd limit of ${plural(limitsMissing.count, 'process is', 'processes are')} unknown (first: ${limitsMissing.first})`);
  }
  const fdReport = report('pid-fd', under(procDir, '*', 'fd'), fdMs);
  if (fdsDenied.count > 0) {
    tell(fdReport, notes, `the fds of ${plural(fdsDenied.count, 'process', 'processes')} owned by other users could not be read (run as root to see them): socket owners and fd counts are missing for them`);
  }
  if (fdsRefused.count > 0) {
    tell(fdReport, notes, `the kernel refused access to the fds of ${plural(fdsRefused.count, 'process', 'processes')} (first: ${fdsRefused.first}; ptrace access check: a non-dumpable process or one holding privileges sockdoc lacks): their socket owners are missing`);
  }
  if (fdsMissing.count > 0) {
    tell(fdReport, notes, `the fds of ${plural(fdsMissing.count, 'process', 'processes')} could not be listed (first: ${fdsMissing.first}): their fd counts and sockets are unknown`);
  }
  reports.push(procReport, limitsReport, fdReport);
  return { processes, owners, reports, notes };
}

/**
 * Every process of a host with its owner, fd usage and RLIMIT_NOFILE, and the socket inodes each holds
 * (/proc/PID/{stat,status,cmdline,limits,fd}). Processes come and go during a scan: one that vanishes
 * is skipped without a word; what could not be read for a reason worth telling (not root, a broken
 * file) is counted and told once per kind, never once per pid.
 */
import { existsSync } from 'node:fs';
import type { Owner, ProbeReport, ProcessInfo } from '../snapshot/types.js';
import { listPids } from './pids.js';
import { OwnerMap } from './owner-map.js';
import { parsePidCmdline } from './pid-cmdline.js';
import { pidFilesHere, startPidFiles, type PidFileTexts } from './pid-files.js';
import { startFdWalk, walkFds, type BpfChoice, type FdWalk, type FdWalkMode } from './fd-walk.js';
import { nofile, parsePidLimits, type LimitValue } from './pid-limits.js';
import { parsePidStat } from './pid-stat.js';
import { parsePidStatus } from './pid-status.js';
import { readPasswd, userNames } from './passwd.js';
import { describeError, outcomeOf, runProbe, under } from './read-file.js';
import { WALK_KINDS, type FdKindCounts } from './fd-kinds.js';
import { readInotifyUse, readPidUserns } from './pid-inotify.js';

export interface ReadProcessesOptions {
  /** Only these pids (a lab or a test scoping the scan to its own processes). Missing ones are skipped. */
  pids?: number[];
  /** Who walks /proc/PID/fd: the native addon when it loads ('auto'), or always one of them (tests). */
  fdWalk?: FdWalkMode;
  /** Whether the native walk lists fds through the BPF iterator (fd-walk.ts BpfChoice); 'auto' by default. */
  bpf?: BpfChoice;
}

export interface ProcessScan {
  /** User processes, pid ascending; kernel threads left out. `sockets` is empty: the snapshot fills it. */
  processes: ProcessInfo[];
  /** Socket inode -> every (pid, fd) holding it, in scan order (pid, then fd, ascending). An OwnerMap: a Map for 100k+ entries. */
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

/** A process that passed the stat and limits reads, waiting for its fd walk. */
interface Candidate {
  pid: number;
  ppid: number;
  name: string;
  cmdline: string;
  uid: number;
  /** /proc/PID/stat state letter. */
  state: string;
  euid: number;
  soft: number | null;
  hard: number | null;
}

/** What the scan has before reading any process: the pids to read, user names, reports and notes so far. */
interface Pending {
  pids: number[];
  users: Map<number, string> | null;
  reports: ProbeReport[];
  notes: string[];
}

/** Lists the pids (sorted, unique) and reads user names; `listed` false when ROOT/proc could not be listed. */
function begin(root: string, opts: ReadProcessesOptions): Pending & { listed: boolean } {
  const reports: ProbeReport[] = [];
  const notes: string[] = [];
  const listed = runProbe('pids', under(root, 'proc'), () => opts.pids ?? listPids(root));
  reports.push(listed.report);
  if (listed.value === null) {
    notes.push(`Processes could not be listed (${listed.report.detail}): socket owners and fd limits are unknown.`);
    return { pids: [], users: null, reports, notes, listed: false };
  }
  const users = runProbe('passwd', under(root, 'etc', 'passwd'), () => userNames(readPasswd(root)));
  reports.push(users.report);
  if (users.value === null) notes.push(`User names are unknown (${users.report.detail}): processes show numeric uids.`);
  return { pids: [...new Set(listed.value)].sort((a, b) => a - b), users: users.value, reports, notes, listed: true };
}

const none = (): Tally => ({ count: 0, first: '' });

/** Problems and time of the stat/status/cmdline and limits reads, before the fd walk. */
interface PerPid {
  unreadable: Tally;
  limitsMissing: Tally;
  procMs: number;
  limitsMs: number;
}

/**
 * stat, status, cmdline and limits of every pid: the user processes, kernel threads left out.
 * `files` gives their texts (read ahead on the addon's threads, or here one by one).
 */
function readCandidates(root: string, pids: readonly number[], t: PerPid, files: PidFileTexts = pidFilesHere(root)): Candidate[] {
  const procDir = under(root, 'proc');
  const file = (pid: number, name: string) => under(procDir, String(pid), name);
  const out: Candidate[] = [];
  for (const pid of pids) {
    let t0 = performance.now();
    let base: Omit<Candidate, 'soft' | 'hard'> | null = null;
    try {
      const stat = parsePidStat(files.text(pid, 'stat'), file(pid, 'stat'));
      // A kernel thread by its stat flags: none of its other files is read (on a many-CPU host,
      // hundreds of per-CPU workers).
      if (stat.kthread) {
        t.procMs += performance.now() - t0;
        continue;
      }
      const status = parsePidStatus(files.text(pid, 'status'), file(pid, 'status'));
      const cmdline = parsePidCmdline(files.text(pid, 'cmdline')).joined;
      if (!isKernelThread(pid, stat.ppid, cmdline, status.kthread)) base = { pid, ppid: stat.ppid, name: stat.name, cmdline, uid: status.uid, state: stat.state, euid: status.euid };
    } catch (err) {
      if (!vanished(root, pid)) tally(t.unreadable, describeError(err));
    }
    t.procMs += performance.now() - t0;
    if (base === null) continue;

    t0 = performance.now();
    let soft: number | null = null;
    let hard: number | null = null;
    try {
      const limit = nofile(parsePidLimits(files.text(pid, 'limits'), file(pid, 'limits')));
      if (limit) {
        soft = limitNumber(limit.soft);
        hard = limitNumber(limit.hard);
      } else tally(t.limitsMissing, `${under(procDir, String(pid), 'limits')} has no "Max open files" row`);
    } catch (err) {
      if (vanished(root, pid)) continue;
      tally(t.limitsMissing, describeError(err));
    }
    t.limitsMs += performance.now() - t0;
    out.push({ ...base, soft, hard });
  }
  return out;
}

/**
 * Reads every process under ROOT/proc (or `opts.pids`).
 * @example readProcesses('/').owners.get(41623) // [{ pid: 812, fd: 6 }]
 */
export function readProcesses(root = '/', opts: ReadProcessesOptions = {}): ProcessScan {
  const pending = begin(root, opts);
  if (!pending.listed) return { processes: [], owners: new Map(), reports: pending.reports, notes: pending.notes };
  const t: PerPid = { unreadable: none(), limitsMissing: none(), procMs: 0, limitsMs: 0 };
  const candidates = readCandidates(root, pending.pids, t);
  const t0 = performance.now();
  const pids = candidates.map((c) => c.pid);
  const walk = walkFds(root, pids, opts.fdWalk, opts.bpf);
  return finish(root, pending, candidates, t, pids, walk, performance.now() - t0);
}

/**
 * readProcesses, with the fd walk (the slow part) on worker threads while `meanwhile` runs on this
 * one (the snapshot reads /proc/net/tcp there): one host read in the time of the longer of the two.
 * Without the native addon: `meanwhile`, then readProcesses.
 */
export async function readProcessesWhile<T>(root: string, opts: ReadProcessesOptions, meanwhile: () => T): Promise<{ scan: ProcessScan; value: T }> {
  const pending = begin(root, opts);
  // Kernel threads are walked too (their fd directories are empty): the stat pass runs meanwhile.
  const started = pending.listed ? startFdWalk(root, pending.pids, opts.fdWalk, opts.bpf) : null;
  // Their small files too, on the addon's threads (live host only; a capture is read here, confined).
  const texts = started ? startPidFiles(root, pending.pids) : null;
  if (!started) {
    const value = meanwhile();
    return { scan: readProcesses(root, opts), value };
  }
  const t0 = performance.now();
  let value: T;
  try {
    value = meanwhile();
  } catch (err) {
    // let the walk and the reads finish before the caller sees the error: no work left running behind it
    await Promise.all([started, texts]);
    throw err;
  }
  const meanwhileMs = performance.now() - t0;
  const t: PerPid = { unreadable: none(), limitsMissing: none(), procMs: 0, limitsMs: 0 };
  const files = texts ? await texts : undefined;
  const candidates = readCandidates(root, pending.pids, t, files);
  // Read on other threads: the report's time is the read's wall time plus the parsing here.
  if (files?.ms) t.procMs += files.ms;
  const walk = await started;
  // The walk's own wall time (on other threads, overlapping the reads above), as the sync path reports it.
  const fdMs = walk.ms ?? Math.max(0, performance.now() - t0 - meanwhileMs - t.procMs - t.limitsMs);
  return { scan: finish(root, pending, candidates, t, pending.pids, walk, fdMs), value };
}

/** Joins the fd walk of `walked` (a superset of the candidates' pids, same order) to the candidates. */
function finish(
  root: string,
  pending: Pending,
  candidates: readonly Candidate[],
  t: PerPid,
  walked: readonly number[],
  walk: FdWalk,
  fdMs: number,
): ProcessScan {
  const { reports, notes, users } = pending;
  const { unreadable, limitsMissing, procMs, limitsMs } = t;
  const procDir = under(root, 'proc');
  const processes: ProcessInfo[] = [];
  const owners = new OwnerMap(walk.sockets.length / 3);
  const fdsDenied = none();
  const fdsRefused = none();
  const fdsMissing = none();
  const euid = process.geteuid?.() ?? 0;
  const kept = new Set<number>();

  let w = 0;
  for (const c of candidates) {
    while (walked[w] !== c.pid) w++; // both ascending; every candidate was walked
    const err = walk.errors[w];
    // A zombie's fd table is already gone (do_exit -> exit_files) and its mm too, so the ptrace check
    // may refuse the directory: it holds nothing, and nothing is missing about it.
    const zombie = c.state === 'Z';
    if (err) {
      if (vanished(root, c.pid)) continue;
      // opendir errors carry no path (Node sets none for it): name the directory here.
      const detail = err.code ? `${err.code} ${under(procDir, String(c.pid), 'fd')}` : describeError(err);
      if (!zombie) tally(outcomeOf(err) === 'denied' ? fdsRefused : fdsMissing, detail);
    } else {
      kept.add(c.pid);
      if (walk.denied[w] && !zombie) {
        // Not root: another user's fd directory is 0500 (proc_fd_permission). Root or the same user can
        // still be refused each link by the ptrace check (proc_fd_access_allowed); seen here for pid 1,
        // which held capabilities this root session lacked.
        const otherUser = euid !== 0 && c.uid !== euid;
        tally(otherUser ? fdsDenied : fdsRefused, under(procDir, String(c.pid), 'fd'));
      }
    }
    const info: ProcessInfo = {
      pid: c.pid,
      ppid: c.ppid,
      name: c.name,
      cmdline: c.cmdline,
      uid: c.uid,
      euid: c.euid,
      user: users?.get(c.uid) ?? null,
      fds: { open: zombie ? 0 : err ? null : walk.counts[w], soft: c.soft, hard: c.hard },
      sockets: {},
      netns: null,
      state: c.state,
    };
    // Kinds are known when the walk read the directory (a refused one counts nothing).
    if (!err && walk.kinds && walk.counts[w] !== null) info.fdKinds = walkKinds(walk.kinds, w);
    processes.push(info);
  }
  const inotifyMs = readInotify(root, processes, walk.inotify);

  const s = walk.sockets;
  let lastPid = -1;
  let keep = false;
  for (let i = 0; i < s.length; i += 3) {
    const pid = s[i];
    if (pid !== lastPid) {
      lastPid = pid;
      keep = kept.has(pid);
    }
    if (!keep) continue; // a kernel thread, or a process left out above
    owners.addHolder(s[i + 2], pid, s[i + 1]);
  }

  const procReport = report('pid-stat', under(procDir, '*', '{stat,status,cmdline}'), procMs);
  if (unreadable.count > 0) {
    tell(procReport, notes, `${plural(unreadable.count, 'process', 'processes')} could not be read (first: ${unreadable.first}); they are left out`);
  }
  const limitsReport = report('pid-limits', under(procDir, '*', 'limits'), limitsMs);
  if (limitsMissing.count > 0) {
    tell(limitsReport, notes, `the fd limit of ${plural(limitsMissing.count, 'process is', 'processes are')} unknown (first: ${limitsMissing.first})`);
  }
  // The iterator read the same fd tables in one kernel pass; /proc/*/fd was walked only for the pids it did not report.
  const fdReport = report('pid-fd', walk.source === 'bpf' ? `BPF task_file iterator (+ ${under(procDir, '*', 'fd')})` : under(procDir, '*', 'fd'), fdMs);
  if (walk.bpfError) fdReport.detail = `BPF fd iterator not used (${walk.bpfError}): walked ${under(procDir, '*', 'fd')}`;
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
  if (walk.inotify.length) reports.push(report('pid-inotify', under(procDir, '*', 'fdinfo', '*'), inotifyMs));
  return { processes, owners, reports, notes };
}

/** The walk's counts of the `w`th pid as a record of the kinds present ('socket': every socket; the snapshot splits them by family). */
function walkKinds(kinds: Uint32Array, w: number): FdKindCounts {
  const out: FdKindCounts = {};
  const base = w * WALK_KINDS.length;
  for (let k = 0; k < WALK_KINDS.length; k++) {
    const n = kinds[base + k];
    if (n > 0) out[WALK_KINDS[k]] = n;
  }
  return out;
}

/** inotify instances and watches of each process holding any ((pid, fd) pairs from the walk); returns the ms spent. */
function readInotify(root: string, processes: readonly ProcessInfo[], pairs: ArrayLike<number>): number {
  if (pairs.length === 0) return 0;
  const t0 = performance.now();
  const byPid = new Map<number, number[]>();
  for (let i = 0; i < pairs.length; i += 2) {
    const list = byPid.get(pairs[i]);
    if (list) list.push(pairs[i + 1]);
    else byPid.set(pairs[i], [pairs[i + 1]]);
  }
  for (const p of processes) {
    const fds = byPid.get(p.pid);
    if (!fds) continue;
    const use = readInotifyUse(root, p.pid, fds);
    if (use.instances > 0) p.inotify = { ...use, userns: readPidUserns(root, p.pid) };
  }
  return performance.now() - t0;
}

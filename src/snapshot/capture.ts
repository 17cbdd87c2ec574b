/**
 * Copies the kernel files a snapshot reads, and the configuration files `limits` reads, into a
 * directory tree, so the same host can be diagnosed later with `--root DIR` by exactly the code that
 * reads a live host. Used to make test fixtures from real runs, and the basis of `sockdoc capture`.
 *
 * Safe to run as root and to share (docs/safety.md): every read goes through the confined reader;
 * the tree is written by src/snapshot/capture-dir.ts (0700/0600, exclusive creates, a temporary
 * folder renamed at the end); secrets are redacted unless asked not to (src/snapshot/redact.ts);
 * what could not be read is recorded as such (proc/PID/fd.refused, fd links "sockdoc:refused"), so
 * `--root DIR` reports the gap instead of reading it as zero; a process that exits mid-capture is
 * left out whole.
 */
import { controllerOf, describeError, listUnder, outcomeOf, readBytesUnder, readLinkUnder, readUnder, RefusedRead, type FileKind, type Identity } from '../probe/read-file.js';
import { resolve } from 'node:path';
import { listPids } from '../probe/pids.js';
import { CAPTURE_META } from '../probe/capture-meta.js';
import { CAPTURE_WINDOW, formatCaptureWindow } from '../probe/capture-window.js';
import type { WindowStart } from './types.js';
import { provenanceFiles } from '../provenance/capture-files.js';
import { readPidStat } from '../probe/pid-stat.js';
import { FD_REFUSED_FILE, FD_REFUSED_TARGET } from '../probe/pid-fd.js';
import { CAPTURE_BIN, CAPTURE_WAIT_BIN, captureListenBytes, captureWaitBytes } from '../probe/sock-diag.js';
import { captureUnixBytes, UNIX_CAPTURE_BIN } from '../probe/net-unix.js';
import { parseUsernsLink } from '../probe/pid-inotify.js';
import { readUserNamespaces, usernsCaptureFiles } from '../probe/userns.js';
import { abandonCapture, finishCapture, openCapture, type CaptureWriter } from './capture-dir.js';
import { configFilesFor, programFilesFor, type CapturedProcess } from './capture-config.js';
import { redactCmdline, redactFdTarget, redactStatName } from './redact.js';
import { parsePidStat } from '../probe/pid-stat.js';
import { parsePidCmdline } from '../probe/pid-cmdline.js';
import { redactConfig } from './redact-config.js';
import { DEV_NULL, linksToDevNull } from '../provenance/config-files.js';
import { destinationUnder } from '../probe/read-file.js';
import { CGROUP_OWNERS, cgroupAncestors, cgroupKey, cgroupOwnerReader, formatCgroupOwners, type DirOwner } from '../probe/cgroup-owners.js';
import { parsePidCgroup } from '../probe/pid-cgroup.js';

/** Host-wide files, relative to the root. */
const HOST_FILES = [
  'proc/net/tcp',
  'proc/net/tcp6',
  // issue 21: unix-domain sockets (without queue lengths; sock_diag/unix.bin has them)
  'proc/net/unix',
  // issue 21: the tables that name other sockets (fd kinds), inotify limits
  'proc/net/udp',
  'proc/net/udp6',
  'proc/net/raw',
  'proc/net/raw6',
  'proc/net/netlink',
  'proc/net/packet',
  'proc/sys/fs/inotify/max_user_instances',
  'proc/sys/fs/inotify/max_user_watches',
  'proc/sys/user/max_inotify_instances',
  'proc/sys/user/max_inotify_watches',
  'proc/net/netstat',
  'proc/net/snmp',
  'proc/sys/net/core/somaxconn',
  'proc/sys/net/ipv4/tcp_max_syn_backlog',
  'proc/sys/net/ipv4/tcp_syncookies',
  'proc/sys/net/ipv4/tcp_abort_on_overflow',
  'proc/sys/net/core/netdev_max_backlog',
  'proc/sys/fs/file-max',
  'proc/sys/fs/nr_open',
  'proc/sys/fs/file-nr',
  'proc/sys/net/ipv4/ip_local_port_range',
  // issue 10: conntrack, ephemeral ports, TCP memory, softnet (absent files, e.g. no nf_conntrack, are skipped)
  'proc/sys/net/ipv4/ip_local_reserved_ports',
  'proc/sys/net/ipv4/tcp_tw_reuse',
  'proc/sys/net/ipv4/tcp_mem',
  'proc/sys/net/ipv4/tcp_max_orphans',
  'proc/sys/net/netfilter/nf_conntrack_count',
  'proc/sys/net/netfilter/nf_conntrack_max',
  'proc/sys/net/netfilter/nf_conntrack_buckets',
  'proc/net/stat/nf_conntrack',
  'proc/net/sockstat',
  'proc/net/softnet_stat',
  // issue 22: the namespace's own addresses, for following a forwarded port to its target
  'proc/net/fib_trie',
  'proc/net/if_inet6',
  'proc/sys/kernel/hostname',
  'proc/sys/kernel/osrelease',
  'etc/passwd',
  'etc/group',
];

/** The socket tables among HOST_FILES: read together with the processes' fds. */
const SOCKET_FILES = ['proc/net/tcp', 'proc/net/tcp6', 'proc/net/unix'];

/** Per-process files under proc/PID. */
const PID_FILES = ['stat', 'status', 'cmdline', 'limits', 'cgroup'];


/**
 * The pids plus every ancestor up to pid 1: `sockdoc limits` explains a limit by the chain of
 * parents (limits are inherited across fork and exec), so a capture of one service needs them.
 */
export function withAncestors(root: string, pids: readonly number[]): number[] {
  const all = new Set<number>();
  for (const start of pids) {
    let pid = start;
    // Bounded: a chain longer than this is a loop in a damaged tree.
    for (let depth = 0; depth < 256 && pid > 0 && !all.has(pid); depth++) {
      all.add(pid);
      try {
        pid = readPidStat(root, pid).ppid;
      } catch (err) {
        if (outcomeOf(err) !== 'absent') throw err;
        break; // exited meanwhile: the chain stops here
      }
    }
  }
  return [...all].sort((a, b) => a - b);
}

export interface CaptureOptions {
  /** Read from this root (default "/": the live host). */
  root?: string;
  /** Only these processes and their ancestors (default: all). */
  pids?: number[];
  /** Replace secrets in cmdlines and fd targets (default true). */
  redact?: boolean;
  /** The capture's own time, recorded in CAPTURE_META (default now): a later report shows it, not the time it is read. */
  now?: Date;
  /** false: only `pids`, not their ancestors (a lab step, whose ancestors are the machine's, not the story's). */
  ancestors?: boolean;
  /** Called just before the sockets and the processes' fds are read (the CLI starts reading the other namespaces then). */
  beforeProcesses?: () => void;
  /** The start of the sampling window, read `intervalMs` before this capture (snapshot/window-read.ts): stored for the replay. */
  window?: { start: WindowStart; intervalMs: number };
}

export interface CaptureResult {
  files: number;
  pids: number[];
  /** Configuration files copied for `limits`. */
  configFiles: number;
  /** Secrets replaced: arguments and URL credentials in cmdlines, file targets of fd links, values in configuration files. */
  redacted: { cmdline: number; fdTargets: number; config: number };
  /** One line per file that could not be copied (vanished processes are skipped silently). */
  problems: string[];
  /** Configuration files that link to /dev/null (masked units, drop-ins), recorded as such links: host paths. */
  masked: string[];
  /** What was left out on purpose, one line each: links that lead out of configuration (into /proc, /sys, /dev), special files. */
  skipped: string[];
}

function kindOf(rel: string): FileKind {
  return rel.startsWith('proc/net/') ? 'proc-table' : rel.startsWith('etc/') ? 'config' : 'proc';
}

/** Everything of one process, read before anything is written: a process that exits meanwhile leaves nothing. */
interface PidCopy {
  pid: number;
  files: Array<[string, string]>;
  /** fd name -> link target; null when the directory could not be listed. */
  fds: Array<[string, string]> | null;
  fdRefusedWhy: string | null;
  cwd: string | null;
  /** fdinfo of its inotify instances (their watches), by fd name. */
  fdinfo: Array<[string, string]>;
  /** Its /proc/PID/ns/user link ("user:[INODE]"), or null when refused. */
  userns: string | null;
}

function readPid(root: string, pid: number, redact: boolean, result: CaptureResult): PidCopy {
  const files: Array<[string, string]> = PID_FILES.map((f) => [f, readUnder(root, `proc/${pid}/${f}`, 'proc')]);
  if (redact) {
    // One model for the command line and the name (comm) the kernel shows in stat and status: a
    // title that holds a secret leaves its first 15 bytes there too.
    const raw = files.find(([f]) => f === 'cmdline')?.[1] ?? '';
    let comm: string | undefined;
    try {
      comm = parsePidStat(files.find(([f]) => f === 'stat')?.[1] ?? '').name;
    } catch {
      comm = undefined;
    }
    const argv = parsePidCmdline(raw).argv;
    for (const entry of files) {
      const r = entry[0] === 'cmdline' ? redactCmdline(entry[1], comm) : entry[0] === 'stat' || entry[0] === 'status' ? redactStatName(entry[0], entry[1], argv) : null;
      if (!r) continue;
      entry[1] = r.value;
      result.redacted.cmdline += r.count;
    }
  }
  let fds: Array<[string, string]> | null = null;
  let fdRefusedWhy: string | null = null;
  try {
    fds = [];
    for (const fd of listUnder(root, `proc/${pid}/fd`, 'proc')) {
      let target: string;
      try {
        target = readLinkUnder(root, `proc/${pid}/fd/${fd}`);
      } catch (err) {
        const o = outcomeOf(err);
        if (o === 'absent') continue; // closed since the listing
        if (o !== 'denied') throw err;
        target = FD_REFUSED_TARGET;
      }
      if (redact && target !== FD_REFUSED_TARGET) {
        const r = redactFdTarget(target);
        target = r.value;
        result.redacted.fdTargets += r.count;
      }
      fds.push([fd, target]);
    }
  } catch (err) {
    if (outcomeOf(err) !== 'denied') throw err;
    fds = null;
    fdRefusedWhy = describeError(err);
  }
  // The watches of its inotify instances: their fdinfo (fs/notify/fdinfo.c), and its user namespace.
  const fdinfo: Array<[string, string]> = [];
  let userns: string | null = null;
  for (const [fd, target] of fds ?? []) {
    if (target !== 'anon_inode:inotify') continue;
    try {
      fdinfo.push([fd, readUnder(root, `proc/${pid}/fdinfo/${fd}`, 'proc')]);
    } catch (err) {
      if (outcomeOf(err) !== 'absent' && outcomeOf(err) !== 'denied') throw err;
    }
  }
  if (fdinfo.length) {
    try {
      userns = readLinkUnder(root, `proc/${pid}/ns/user`);
    } catch (err) {
      void err; // refused or gone: the reader takes the initial user namespace and says so
    }
  }
  let cwd: string | null = null;
  try {
    cwd = readLinkUnder(root, `proc/${pid}/cwd`);
  } catch (err) {
    // Refused (another user's process, not root): no cwd. Absent: gone, unless stat still reads.
    if (outcomeOf(err) === 'absent' && tryStat(root, pid) !== null) throw err;
  }
  return { pid, files, fds, fdRefusedWhy, cwd, fdinfo, userns };
}

/** Whether the process still exists (an absent cwd link of a live process is just refused). */
function tryStat(root: string, pid: number): unknown {
  try {
    readUnder(root, `proc/${pid}/stat`, 'proc');
    return null;
  } catch (err) {
    return err;
  }
}

function writePid(w: CaptureWriter, c: PidCopy): number {
  const dir = `proc/${c.pid}`;
  for (const [f, text] of c.files) w.writeFile(`${dir}/${f}`, text, 'latin1');
  if (c.fds === null) w.writeFile(`${dir}/${FD_REFUSED_FILE}`, `${c.fdRefusedWhy ?? 'EACCES'}\n`);
  else {
    w.mkdir(`${dir}/fd`);
    for (const [fd, target] of c.fds) w.symlink(`${dir}/fd/${fd}`, target);
  }
  if (c.cwd !== null) w.symlink(`${dir}/cwd`, c.cwd);
  if (c.fdinfo.length) {
    w.mkdir(`${dir}/fdinfo`);
    for (const [fd, text] of c.fdinfo) w.writeFile(`${dir}/fdinfo/${fd}`, text, 'latin1');
  }
  if (c.userns !== null) {
    w.mkdir(`${dir}/ns`);
    w.symlink(`${dir}/ns/user`, c.userns);
  }
  return c.files.length + c.fdinfo.length;
}

/**
 * The user namespaces of the captured inotify holders (ROOT/userns/INODE/: owner, parent, inotify
 * limits, read live: src/probe/userns.ts) and capture's own (proc/self/ns/user), so that `--root`
 * judges their use against the same limits.
 */
function captureUserns(root: string, w: CaptureWriter, holders: ReadonlyMap<number, number | null>, result: CaptureResult): void {
  if (root !== '/') return;
  try {
    w.symlink('proc/self/ns/user', readLinkUnder(root, 'proc/self/ns/user'));
  } catch (err) {
    result.problems.push(`proc/self/ns/user: ${describeError(err)}`);
  }
  if (holders.size === 0) return;
  const read = readUserNamespaces(root, holders);
  result.problems.push(...read.notes);
  for (const ns of read.namespaces) {
    if (ns.own) continue;
    for (const [rel, text] of usernsCaptureFiles(ns)) {
      w.writeFile(rel, text);
      result.files++;
    }
  }
}

/**
 * Copies one configuration file (a host path) into the capture. A file that links to /dev/null (a
 * masked unit or drop-in: man systemd.unit) is recorded as that link, so `--root` reads it as
 * masked, as the host's systemd does; a link that leads elsewhere out of configuration (into /proc,
 * /sys or /dev), a directory or a special file is skipped and said; absent files are not copied.
 */
function copyConfig(root: string, w: CaptureWriter, host: string, written: Set<string>, result: CaptureResult, redact: boolean, as: Identity | null = null): void {
  const rel = host.replace(/^\/+/, '');
  if (written.has(rel)) return;
  try {
    const bytes = readBytesUnder(root, rel, 'config', as ?? controlledBy(root, rel));
    if (redact) {
      // latin1 both ways: one char per byte, so what is not replaced stays byte for byte.
      const r = redactConfig(host.startsWith('/') ? host : `/${host}`, bytes.toString('latin1'));
      result.redacted.config += r.count;
      w.writeFile(rel, r.value, 'latin1');
    } else w.writeFile(rel, bytes);
    written.add(rel);
    result.configFiles++;
    return;
  } catch (err) {
    if (linksToDevNull(root, rel)) {
      w.symlink(rel, DEV_NULL);
      written.add(rel);
      result.masked.push(host);
      return;
    }
    const code = (err as { code?: string }).code;
    // Absent (a dangling link), or a directory (a .wants link farm): nothing to copy, nothing lost.
    if (outcomeOf(err) === 'absent' || code === 'EISDIR') return;
    if (code === 'ENOTYOURS') {
      notYours(result, host, err);
      return;
    }
    if (code === 'ESCAPE' || code === 'ENOTREG') {
      let to = '';
      try {
        to = destinationUnder(root, rel);
      } catch {
        // the walk itself is refused: the error says why
      }
      result.skipped.push(code === 'ESCAPE' && to ? `${host} leads to ${to}, not a configuration file: not copied` : `${host} is not a regular file: not copied`);
      return;
    }
    result.problems.push(describeError(err));
  }
}

/**
 * Root's own configuration (units, drop-ins, pam.d) is read as root, unless someone else controls
 * its path (read-file.ts controllerOf: a unit linked into a user's home, a directory others can
 * write): then with that user's rights, as if that user had named the file (uid -1: anyone).
 * Only on the live host: a capture's own modes are the capture's.
 */
function controlledBy(root: string, rel: string): Identity | null {
  if (resolve(root) !== '/') return null;
  let c;
  try {
    c = controllerOf(root, rel);
  } catch {
    return null; // an lstat refused as root: the read below says so
  }
  if (!c) return null;
  return { uid: c.uid, gid: -1, groups: [], label: c.uid === -1 ? `anyone (${c.path} can be changed by others)` : `uid ${c.uid} (who controls ${c.path})` };
}

/** One note for a file its process's owner could not have read itself: named, with why; never copied. */
function notYours(result: CaptureResult, host: string, err: unknown): void {
  const why = err instanceof RefusedRead ? err.reason : describeError(err);
  result.skipped.push(`${host}: not copied: ${why}`);
}

/**
 * Who owns each cgroup directory on the way to the captured processes' cgroups (probe/cgroup-owners.ts):
 * `--root` then tells a cgroup the runtime made from one a user made in a delegated subtree, as the
 * live run would (docs/safety.md §7). Nothing is written when ownership cannot be read at all.
 */
function recordCgroupOwners(root: string, w: CaptureWriter, captured: readonly CapturedProcess[]): void {
  const reader = cgroupOwnerReader(root);
  if (!reader.recorded) return;
  const owners = new Map<string, DirOwner>();
  for (const p of captured) {
    let entries;
    try {
      entries = parsePidCgroup(p.cgroup);
    } catch {
      continue; // a malformed cgroup file names nothing
    }
    for (const e of entries) {
      for (const dir of cgroupAncestors(e.path)) {
        const key = cgroupKey(e, dir);
        if (owners.has(key)) continue;
        const o = reader.owner(e, dir);
        if (o) owners.set(key, o);
      }
    }
  }
  if (owners.size) w.writeFile(CGROUP_OWNERS, formatCgroupOwners(owners));
}

/**
 * What the limits explanation reads besides the processes' own config files (through the confined
 * reader: regular files only): systemd's configuration, the systemd version marker (an empty file:
 * its name is the information), and proc/self, the stand-in for the shell that would run a fix.
 * Files already written are skipped (the writer creates each file once).
 */
function captureProvenance(root: string, w: CaptureWriter, written: Set<string>, result: CaptureResult, redact: boolean): void {
  const { copy, markers } = provenanceFiles(root);
  for (const host of copy) copyConfig(root, w, host, written, result, redact);
  for (const host of ['/proc/self/status', '/proc/self/limits']) {
    const rel = host.replace(/^\/+/, '');
    if (written.has(rel)) continue;
    try {
      w.writeFile(rel, readUnder(root, rel, 'proc'), 'latin1');
      written.add(rel);
      result.configFiles++;
    } catch (err) {
      if (outcomeOf(err) !== 'absent') result.problems.push(describeError(err));
    }
  }
  for (const marker of markers) {
    const rel = marker.replace(/^\/+/, '');
    if (written.has(rel)) continue;
    w.writeFile(rel, '');
    written.add(rel);
  }
}

/** Environment files dockerd's unit and init scripts read its options from (issue 22: --default-ulimit). */
const LAUNCHER_ENV_FILES = ['/etc/default/docker', '/etc/sysconfig/docker'];

/**
 * The programs' own configuration (src/provenance/programs: nginx.conf, haproxy.cfg, redis.conf, ...)
 * and dockerd's environment files, with secrets redacted (redact-config.ts: passwords, tokens,
 * credentials in URLs), so `--root CAPTURE` reads the same caps the host had. A container's files
 * are kept under proc/PID/root/, where the diagnosis of the capture looks for them.
 */
function captureProgramConfigs(root: string, w: CaptureWriter, written: Set<string>, captured: readonly CapturedProcess[], redact: boolean, result: CaptureResult): void {
  const copies = [...programFilesFor(root, captured), { fsRoot: root, files: LAUNCHER_ENV_FILES, as: null }];
  for (const { fsRoot, files, as } of copies) {
    const prefix = fsRoot === root ? '' : fsRoot.slice(root === '/' ? 0 : root.length).replace(/^\/+/, '') + '/';
    for (const file of files) {
      const rel = prefix + file.replace(/^\/+/, '');
      if (written.has(rel)) continue;
      try {
        let text = readUnder(fsRoot, file, 'config', as ?? controlledBy(fsRoot, file.replace(/^\/+/, '')));
        if (redact) {
          const r = redactConfig(file, text);
          text = r.value;
          result.redacted.config += r.count;
        }
        w.writeFile(rel, text, 'latin1');
        written.add(rel);
        result.configFiles++;
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOTYOURS') notYours(result, file, err);
        else if (outcomeOf(err) !== 'absent') result.problems.push(describeError(err));
      }
    }
  }
}

/**
 * Captures ROOT (default the live host "/") into the directory `outDir`, which must not exist or be
 * an empty directory of the caller's (src/snapshot/capture-dir.ts checks it, and writes through
 * directory fds). Throws CaptureError when the tree cannot be written or moved into place; then
 * nothing is left at `outDir`. The sock_diag answer for listeners (backlogs, drops) is stored raw
 * in sock_diag/tcp-listen.bin, the waits of the connections in accept queues beside it, in
 * sock_diag/tcp-waiting.bin, the unix_diag one in sock_diag/unix.bin.
 */
export function captureHost(outDir: string, opts: CaptureOptions = {}): CaptureResult {
  const w = openCapture(outDir);
  let result: CaptureResult;
  try {
    result = captureInto(w, opts);
  } catch (err) {
    abandonCapture(w);
    throw err;
  }
  finishCapture(w);
  return result;
}

/**
 * Writes the capture of ROOT into an open writer (openCapture); the caller finishes it (after the
 * namespaces: src/snapshot/capture-netns.ts) or abandons it. The sock_diag answer for listeners is
 * stored raw in sock_diag/tcp-listen.bin.
 */
export function captureInto(w: CaptureWriter, opts: CaptureOptions = {}): CaptureResult {
  const root = opts.root ?? '/';
  const redact = opts.redact ?? true;
  const result: CaptureResult = { files: 0, pids: [], configFiles: 0, redacted: { cmdline: 0, fdTargets: 0, config: 0 }, problems: [], masked: [], skipped: [] };
  w.writeFile(CAPTURE_META, JSON.stringify({ format: 1, takenAt: (opts.now ?? new Date()).toISOString() }) + '\n');
  if (opts.window) w.writeFile(CAPTURE_WINDOW, formatCaptureWindow(opts.window.start, opts.window.intervalMs));
  const written = new Set<string>();
  for (const rel of HOST_FILES) {
    if (SOCKET_FILES.includes(rel)) continue; // read with the processes, below
    try {
      w.writeFile(rel, readUnder(root, rel, kindOf(rel)), 'latin1');
      written.add(rel);
      result.files++;
    } catch (err) {
      if (outcomeOf(err) !== 'absent') result.problems.push(describeError(err));
    }
  }
  const pids = opts.pids ? (opts.ancestors === false ? [...opts.pids].sort((a, b) => a - b) : withAncestors(root, opts.pids)) : listPids(root);
  const fdsRefused: Array<{ pid: number; why: string }> = [];
  // The sockets and the fds that hold them are read together, before anything of them is written
  // (writing is the slow part): a connection that lives half a second is then both in the socket
  // table and behind its owner's fd, as in a live snapshot. The caller reads the other
  // namespaces' sockets meanwhile (beforeProcesses).
  opts.beforeProcesses?.();
  const tables: Array<[string, string]> = [];
  for (const rel of SOCKET_FILES) {
    try {
      tables.push([rel, readUnder(root, rel, kindOf(rel))]);
    } catch (err) {
      if (outcomeOf(err) !== 'absent') result.problems.push(describeError(err));
    }
  }
  const copies: PidCopy[] = [];
  for (const pid of pids) {
    try {
      copies.push(readPid(root, pid, redact, result));
    } catch (err) {
      if (outcomeOf(err) !== 'absent') result.problems.push(`pid ${pid}: ${describeError(err)}`);
    }
  }
  for (const [rel, text] of tables) {
    w.writeFile(rel, text, 'latin1');
    written.add(rel);
    result.files++;
  }
  const captured: CapturedProcess[] = [];
  const holders = new Map<number, number | null>();
  for (const copy of copies) {
    const pid = copy.pid;
    result.files += writePid(w, copy);
    result.pids.push(pid);
    if (copy.fdinfo.length) holders.set(pid, copy.userns === null ? null : parseUsernsLink(copy.userns));
    if (copy.fds === null) fdsRefused.push({ pid, why: copy.fdRefusedWhy ?? 'EACCES' });
    const text = (f: string) => copy.files.find(([n]) => n === f)?.[1] ?? '';
    captured.push({ pid, cmdline: text('cmdline'), cgroup: text('cgroup'), stat: text('stat'), status: text('status'), limits: text('limits') });
  }
  // One note for every process whose fds could not be read (not root: every other user's), not one per pid.
  if (fdsRefused.length === 1) result.problems.push(`pid ${fdsRefused[0].pid}: fds not readable (${fdsRefused[0].why}); recorded as unknown`);
  else if (fdsRefused.length > 1) {
    const shown = fdsRefused.slice(0, 5).map((f) => f.pid).join(', ');
    result.problems.push(`${fdsRefused.length} processes: fds not readable (first: pid ${fdsRefused[0].pid}, ${fdsRefused[0].why}; pids ${shown}${fdsRefused.length > 5 ? ', …' : ''}); recorded as unknown`);
  }
  recordCgroupOwners(root, w, captured);
  for (const { path, as } of configFilesFor(root, captured)) copyConfig(root, w, path, written, result, redact, as);
  captureProgramConfigs(root, w, written, captured, redact, result);
  captureProvenance(root, w, written, result, redact);
  captureUserns(root, w, holders, result);
  if (root === '/') {
    const bytes = captureListenBytes();
    if (bytes) {
      w.writeFile(CAPTURE_BIN, bytes);
      result.files++;
    } else result.problems.push('sock_diag: listener backlogs and drops not captured (native module unavailable)');
    const waits = captureWaitBytes();
    if (waits) {
      w.writeFile(CAPTURE_WAIT_BIN, waits);
      result.files++;
    } else result.problems.push('sock_diag: accept waits not captured (native module unavailable or older)');
    const unix = captureUnixBytes();
    if (unix) {
      w.writeFile(UNIX_CAPTURE_BIN, unix);
      result.files++;
    } else result.problems.push('sock_diag: unix-domain queue lengths not captured (native module or unix_diag unavailable)');
  }
  return result;
}

/**
 * The programs with a connection cap of their own (src/provenance/programs/), found among the
 * snapshot's processes: grouped into instances (a master and its workers), their configuration read
 * through the confined reader from the root (a capture carries it), and what each cap counts
 * measured from the same socket table every rule reads. Part of the snapshot so that diagnose,
 * port, serve and watch judge the same instances.
 *
 * Cost: one string test per process and catalogue entry; configuration reads only for the
 * instances found (bounded per instance by ConfigReader); one pass over the sockets, and only when
 * some instance has a cap counted by port.
 */
import { readPidCgroup, systemdCgroupPath, unitOfCgroupPath } from '../probe/pid-cgroup.js';
import { readPidCmdline } from '../probe/pid-cmdline.js';
import { statSync } from 'node:fs';
import { describeError, readLinkUnder, statUnder, type Identity } from '../probe/read-file.js';
import { ownerIdentity } from '../probe/pid-status.js';
import { forEachHolderPid } from '../probe/owner-map.js';
import { cwdOf } from '../provenance/context.js';
import { ConfigReader } from '../provenance/programs/config-reader.js';
import { guardReload } from '../provenance/programs/common.js';
import { recognise } from '../provenance/programs/index.js';
import type { CapReading, CapSpec, Program, ProgramInstance, ProgramListener, ProgramProcess } from '../provenance/programs/types.js';
import { launchCommand } from '../provenance/launch-command.js';
import type { Listener, Owner, ProcessInfo } from './types.js';
import { tcpStateNumber, type SocketTable } from './socket-table.js';

/** Ancestors climbed to find an instance's first process (a master, its workers, their helpers). */
const MAX_CLIMB = 8;
/** Instances read at most per snapshot: a host with thousands of php-fpm pools still costs a bounded read. */
export const MAX_INSTANCES = 256;

export interface ProgramsRead {
  programs: ProgramInstance[];
  notes: string[];
}

function view(p: ProcessInfo): ProgramProcess {
  return { pid: p.pid, ppid: p.ppid, name: p.name, cmdline: p.cmdline, uid: p.uid, soft: p.fds.soft, hard: p.fds.hard };
}

/**
 * The filesystem a process sees its configuration in: the root itself, or, when its root directory
 * is another one (a container), ROOT/proc/PID/root (where a capture keeps the files it copied).
 */
function configRoot(root: string, pid: number): string {
  if (root !== '/') {
    // A capture keeps a container's files under proc/PID/root/ (capture.ts captureProgramConfigs).
    try {
      if (statUnder(root, `proc/${pid}/root`)?.isDirectory) return `${root}/proc/${pid}/root`;
    } catch {
      // not there: the host's files
    }
  }
  if (root !== '/') return root;
  // Live: a container's root directory is another filesystem (its overlay); a process that only has a
  // mount namespace of its own (`ip netns exec` remounts /sys) sees the same root directory.
  try {
    const mine = statSync('/');
    const theirs = statSync(`/proc/${pid}/root/`);
    if (mine.dev !== theirs.dev || mine.ino !== theirs.ino) return `/proc/${pid}/root`;
  } catch {
    // Not readable (not root: another user's process): the host's files.
  }
  return root;
}

function unitOf(root: string, pid: number): string | null {
  try {
    const path = systemdCgroupPath(readPidCgroup(root, pid));
    const u = path ? unitOfCgroupPath(path) : null;
    return u && u.endsWith('.service') ? u : null;
  } catch {
    return null;
  }
}

/** The executable of a process (/proc/PID/exe), [] when unreadable. */
function exeOf(root: string, pid: number): string[] {
  try {
    return [readLinkUnder(root, `proc/${pid}/exe`).replace(/ \(deleted\)$/, '')];
  } catch {
    return [];
  }
}

/** Reads one instance's caps; a failure of the entry is a note, never a crash of the snapshot. */
function readInstance(root: string, program: Program, main: ProcessInfo, workers: ProcessInfo[], listeners: ProgramListener[], as: Identity | null = ownerIdentity(root, main.pid), refused: string[] = []): ProgramInstance {
  const fsRoot = configRoot(root, main.pid);
  const reader = new ConfigReader(fsRoot, as);
  let argv: string[] = [];
  try {
    argv = readPidCmdline(root, main.pid).argv;
  } catch {
    argv = main.cmdline.split(' ');
  }
  const unit = unitOf(root, main.pid);
  const launch = launchCommand(root, main.pid, main.name, unit);
  let reading: CapReading;
  try {
    reading = program.read({ root, reader, main: view(main), argv, launch, unit, cwd: fsRoot === root ? cwdOf(root, main.pid) : '/', workers: workers.map(view), listeners });
  } catch (err) {
    reading = { caps: [], unknown: `${program.label}: reading its configuration failed (${describeError(err)}), so its cap is unknown`, reload: { lines: [], blastRadius: '', restart: false }, notes: [] };
  }
  refused.push(...reader.refused);
  const where = fsRoot === root ? '' : ` (in its own filesystem, ${fsRoot})`;
  return {
    program: program.id,
    label: program.label,
    pid: main.pid,
    name: main.name,
    pids: [main.pid, ...workers.map((w) => w.pid)].sort((a, b) => a - b),
    netns: main.netns,
    uid: main.uid,
    unit,
    listeners,
    files: reader.files,
    caps: reading.caps.map((c) => ({ ...c, held: null, queued: 0 })),
    unknown: reading.unknown ?? null,
    ...(reading.configFrom ? { configFrom: reading.configFrom } : {}),
    ...(reading.upstreams?.length ? { upstreams: reading.upstreams } : {}),
    ...(reading.unauthenticated ? { unauthenticated: reading.unauthenticated } : {}),
    // The binary and every file and include directory read: a reload makes the program read them again as its owner.
    reload: fsRoot === root ? guardReload(root, main.uid, [...exeOf(root, main.pid), ...reader.files, ...reader.listed], reading.reload, program.label) : reading.reload,
    notes: [...reading.notes, ...reader.problems.map((p) => `${program.label} (pid ${main.pid}) configuration${where}: ${p}.`)],
  };
}

/** Accepted connections per instance and port: sockets (not LISTEN, held by a process) on its listening ports in its namespace. */
function countAccepted(instances: readonly ProgramInstance[], table: SocketTable, owners: ReadonlyMap<number, readonly Owner[]>): Map<ProgramInstance, Map<number, number>> {
  const byPid = new Map<number, ProgramInstance>();
  for (const inst of instances) if (inst.caps.some((c) => c.counts === 'accepted')) for (const pid of inst.pids) byPid.set(pid, inst);
  const counts = new Map<ProgramInstance, Map<number, number>>();
  if (byPid.size === 0) return counts;
  // (netns, port) as one number: inode × 65536 + port stays below 2^53 for 32-bit inodes.
  const ports = new Map<ProgramInstance, Set<number>>();
  for (const inst of new Set(byPid.values())) ports.set(inst, new Set(inst.listeners.map((l) => l.netns * 65536 + l.port)));
  const LISTEN = tcpStateNumber('LISTEN');
  const { state, inode, localPort, netns } = table;
  // One visitor for every socket (no closure per socket: 100k sockets are a hot loop).
  let last: ProgramInstance | null = null;
  let key = 0;
  let port = 0;
  const visit = (pid: number) => {
    const inst = byPid.get(pid);
    // A socket held by a master and its worker counts once.
    if (!inst || inst === last || !ports.get(inst)!.has(key)) return;
    last = inst;
    let m = counts.get(inst);
    if (!m) counts.set(inst, (m = new Map<number, number>()));
    m.set(port, (m.get(port) ?? 0) + 1);
  };
  for (let i = 0; i < table.length; i++) {
    if (inode[i] === 0 || state[i] === LISTEN) continue;
    last = null;
    port = localPort[i];
    key = netns[i] * 65536 + port;
    forEachHolderPid(owners, inode[i], visit);
  }
  return counts;
}

/** TCP sockets a process holds, every state (nginx counts its listeners and upstream connections too). */
function socketsHeld(p: ProcessInfo | undefined): number {
  if (!p) return 0;
  let n = 0;
  for (const v of Object.values(p.sockets)) n += v ?? 0;
  return n;
}

/** Fills held and queued of each cap from the snapshot's sockets and listeners. */
function measure(inst: ProgramInstance, accepted: Map<number, number> | undefined, byPid: ReadonlyMap<number, ProcessInfo>, listeners: readonly Listener[]): void {
  for (const cap of inst.caps) {
    if (cap.unixPath !== undefined) continue; // a unix-socket pool: no TCP socket counts against it
    const ports = cap.ports && cap.ports.length ? new Set(cap.ports) : new Set(inst.listeners.map((l) => l.port));
    cap.queued = listeners.filter((l) => ports.has(l.port) && l.pids.some((p) => inst.pids.includes(p))).reduce((n, l) => n + l.acceptQueue, 0);
    if (cap.counts === 'process-sockets') {
      let best = -1;
      for (const pid of cap.pids ?? [inst.pid]) {
        const n = socketsHeld(byPid.get(pid)) + (cap.reserved ?? 0);
        if (n > best) {
          best = n;
          cap.heldPid = pid;
        }
      }
      cap.held = Math.max(0, best);
    } else {
      let n = 0;
      for (const p of ports) n += accepted?.get(p) ?? 0;
      cap.held = n;
    }
  }
}

/** Processes of catalogued programs grouped into instances: first process -> program and every pid. */
function groupInstances(processes: readonly ProcessInfo[], byPid: ReadonlyMap<number, ProcessInfo>): Map<number, { program: Program; pids: number[] }> {
  const known = new Map<number, { program: Program; role: 'main' | 'worker' }>();
  for (const p of processes) {
    const r = recognise(view(p));
    if (r) known.set(p.pid, r);
  }
  const groups = new Map<number, { program: Program; pids: number[] }>();
  if (known.size === 0) return groups;
  // The instance of a process: the highest ancestor of the same program (a master above its workers).
  for (const [pid, r] of known) {
    let top = pid;
    for (let i = 0; i < MAX_CLIMB; i++) {
      const parent = byPid.get(top)?.ppid;
      if (parent === undefined || parent === top || known.get(parent)?.program !== r.program) break;
      top = parent;
    }
    const g = groups.get(top) ?? { program: r.program, pids: [] };
    g.pids.push(pid);
    groups.set(top, g);
  }
  // Helpers a program forks without naming them (uvicorn's multiprocessing workers, a Redis fork)
  // belong to its instance too: they may hold its accepted connections.
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  for (const [top, g] of groups) {
    const members = new Set(g.pids);
    let level = [top];
    for (let depth = 0; depth < 3 && level.length; depth++) {
      const next: number[] = [];
      for (const pid of level) {
        for (const child of children.get(pid) ?? []) {
          if (members.has(child) || (known.has(child) && known.get(child)?.program !== g.program)) continue;
          members.add(child);
          next.push(child);
        }
      }
      level = next;
    }
    g.pids = [...members];
  }
  return groups;
}

/**
 * Every instance of a catalogued program among `processes` that holds a TCP listener, with its caps
 * measured. `root` is where the processes were read (their configuration is read under it).
 */
export function readPrograms(root: string, processes: readonly ProcessInfo[], listeners: readonly Listener[], table: SocketTable, owners: ReadonlyMap<number, readonly Owner[]>): ProgramsRead {
  const notes: string[] = [];
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const groups = groupInstances(processes, byPid);
  if (groups.size === 0) return { programs: [], notes };
  const holderListeners = new Map<number, Listener[]>();
  for (const l of listeners) {
    for (const pid of l.pids) {
      const list = holderListeners.get(pid);
      if (list) list.push(l);
      else holderListeners.set(pid, [l]);
    }
  }
  const instances: ProgramInstance[] = [];
  for (const [top, g] of [...groups].sort((a, b) => a[0] - b[0])) {
    const own = new Map<number, Listener>();
    for (const pid of g.pids) for (const l of holderListeners.get(pid) ?? []) own.set(l.inode, l);
    if (own.size === 0 && !g.program.unixListeners) continue; // no TCP listener: nothing of it to judge here
    if (instances.length >= MAX_INSTANCES) {
      notes.push(`More than ${MAX_INSTANCES} program instances with a connection cap: the rest were not read.`);
      break;
    }
    const main = byPid.get(top) as ProcessInfo;
    const workers = g.pids.filter((p) => p !== top).map((p) => byPid.get(p) as ProcessInfo);
    const ls: ProgramListener[] = [...own.values()].map((l) => ({ address: l.address, port: l.port, netns: l.netns, backlog: l.backlog }));
    instances.push(readInstance(root, g.program, main, workers, ls));
  }
  const accepted = countAccepted(instances, table, owners);
  for (const inst of instances) {
    measure(inst, accepted.get(inst), byPid, listeners);
    if (inst.unknown) notes.push(`${inst.unknown}.`);
    notes.push(...inst.notes);
  }
  return { programs: instances, notes };
}

/**
 * The configuration files each running instance reads, for `sockdoc capture`: with the root they are
 * read under (the host's, or a container's own filesystem, ROOT/proc/PID/root). Instances without a
 * TCP listener are included (their files are small, and a later read of the capture may need them).
 */
export function programConfigFiles(root: string, processes: readonly ProcessInfo[], identities?: ReadonlyMap<number, Identity | null>): Array<{ fsRoot: string; files: string[]; as: Identity | null }> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const out: Array<{ fsRoot: string; files: string[]; as: Identity | null }> = [];
  for (const [top, g] of groupInstances(processes, byPid)) {
    if (out.length >= MAX_INSTANCES) break;
    const main = byPid.get(top) as ProcessInfo;
    const workers = g.pids.filter((p) => p !== top).map((p) => byPid.get(p) as ProcessInfo);
    const as = identities?.has(main.pid) ? (identities.get(main.pid) ?? null) : ownerIdentity(root, main.pid);
    const refused: string[] = [];
    const inst = readInstance(root, g.program, main, workers, [], as, refused);
    // Files its owner could not open are listed too: the capture skips each and says why.
    out.push({ fsRoot: configRoot(root, main.pid), files: [...inst.files, ...refused], as });
  }
  return out;
}

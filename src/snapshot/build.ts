/**
 * One consistent host read. Counters are read twice around the sampling window; everything else
 * is read once at the end of it, sockets during the fd walk so owners match.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { redactName } from './redact.js';
import { readPidStatus } from '../probe/pid-status.js';
import { runProbe } from '../probe/read-file.js';
import { hiddenByProcMount, readProcMount } from '../probe/proc-mount.js';
import { readCounters } from '../probe/netstat.js';
import { readNetTcp, type NetTcpRead } from '../probe/net-tcp.js';
import { readTunables } from '../probe/sysctl.js';
import { readHost } from '../probe/host.js';
import { readProcessesWhile } from '../probe/processes.js';
import type { BpfChoice } from '../probe/fd-walk.js';
import { readCapturedWaits, readListenBacklogs } from '../probe/sock-diag.js';
import { withRecordedDiag } from '../probe/net-diag.js';
import { listenerExtrasNotes, notCaptured, readWaitingOwnersThreads, unknownWhy } from './listener-extras.js';
import { under } from '../probe/read-file.js';
import { readPidNetns } from '../probe/netns.js';
import { readLiveNetns, readTreeNetns, type NetnsData, type NetnsReadHooks, type NetnsTarget, type NetTunables } from '../probe/netns-read.js';
import { compareListeners, deriveListeners, deriveUnixListeners } from './listeners.js';
import { readUnixSockets, unixReadOf, type UnixRead } from '../probe/net-unix.js';
import { readSocketInodes } from '../probe/net-socket-inodes.js';
import { readUserNamespaces } from '../probe/userns.js';
import { SocketKindCounter, type Unnamed } from './socket-kinds.js';
import { findOrphanNetns, NOT_READ_PREFIX } from './orphan-netns.js';
import { describeScope, namingProcesses, NetnsScopeError, planNetns, scopeNetns, type NetnsPlan, type NetnsScope } from './netns-plan.js';
import { restrictToNetns } from './select-netns.js';
import { readCaptureTime } from '../probe/capture-meta.js';
import { pressureOver, readPressure } from './net-pressure.js';
import { nameNetns, nameNetnsWithDoubts, netnsLabel, type NamingContext } from './netns-names.js';
import { type SocketKind, type Counters, type Listener, type NetNamespace, type ProbeReport, type ProcessInfo, type Snapshot, type Tunables, type WindowStart } from './types.js';
import { applyWindow } from './window.js';
import { readWindowStart } from './window-read.js';
import { readWindowEnd } from './window-end.js';
import { CAPTURE_WINDOW, readCaptureWindow } from '../probe/capture-window.js';
import { SocketTable, tcpStateNumber, withSocketTable } from './socket-table.js';
import { lazyProperty } from './lazy.js';
import type * as ProgramsModule from './programs.js';

const requireModule = createRequire(import.meta.url);

/**
 * programs.js and the program catalogue under it (~50 modules, a third of the snapshot's), loaded
 * by a read that judges programs' caps only: `sockdoc sockets` never loads them. One file at a time
 * where Node can (as cli/app.ts loads commands: import() opens a whole graph at once).
 */
async function programsModule(): Promise<typeof ProgramsModule> {
  try {
    return requireModule('./programs.js') as typeof ProgramsModule;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    return import('./programs.js');
  }
}

export interface SnapshotOptions {
  /** Filesystem root: "/" for the live host, or a captured/fixture tree. */
  root?: string;
  /** Sampling window for counter rates in ms; 0 = one read. Ignored (0) for a non-live root. */
  intervalMs?: number;
  /** Only these processes (lab and tests scope a snapshot to their own processes). */
  pids?: number[];
  /** Called before the sampling wait, so the CLI can show progress. */
  onWait?: (ms: number) => void;
  /** Clock, injectable for golden tests. */
  now?: () => Date;
  /** Whether the fd walk lists fds through the BPF iterator (probe/fd-walk.ts): `sockdoc serve` passes the link it keeps open. */
  bpf?: BpfChoice;
  /** Tests only: widens the window between finding the namespaces and entering them (a pid reused meanwhile). */
  netnsHooks?: NetnsReadHooks;
  /**
   * Only these namespaces (`--netns/--container/--pod`, or `--pid`'s): resolved by name before any
   * socket is read (snapshot/netns-plan.ts scopeNetns), then only they, their processes and the
   * host-wide facts are read; the snapshot holds only them. Throws NetnsScopeError when the query
   * names no namespace or several.
   */
  scope?: NetnsScope;
  /**
   * The owners of listeners whose clients have waited at least this long (ms, default 1000: the
   * accept-wait-long threshold) get their threads' states read. Cost grows with what is asked.
   */
  acceptWaitMs?: number;
  /**
   * How the live namespaces other than sockdoc's own are read (default: all of them, readLiveNetns).
   * `sockdoc serve` reads them within a deadline and carries the rest (serve/netns-carry.ts); a
   * scoped read always reads its namespaces whole. With it, a sampling window's start reads
   * sockdoc's own namespace only (the others are one read, then judged against earlier scrapes).
   * Namespaces found later in the same read (through a socket: orphan-netns.ts) are read through it
   * too, with `found`: within what is left of the same deadline.
   */
  readNetns?: (targets: readonly NetnsTarget[], found?: 'found') => Promise<NetnsData[]>;
  /**
   * Only what a listing of sockets shows (`sockdoc sockets`): sockets, owners, process names,
   * listeners, namespaces. Not read: user namespaces, programs' configurations, waiting owners'
   * thread states. Cost grows with what is asked. (Each socket fd's family is still told apart:
   * a socket in no table read is how a namespace no process is in is found, orphan-netns.ts.)
   */
  listing?: boolean;
}

/** SnapshotOptions.acceptWaitMs by default: accept-wait-long's default threshold. */
export const DEFAULT_ACCEPT_WAIT_MS = 1000;

/** sockdoc's own namespace when a scope leaves it out: nothing read, its source unknown. */
function notRead(): Omit<NetTcpRead, 'source'> & { source: null } {
  return { table: SocketTable.empty(), reports: [], notes: [], source: null };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Does sockdoc's own process hold CAP_SYS_RESOURCE (the stand-in for the shell that pastes fix
 * lines: raising a hard limit, or another user's, needs it)? null when its status cannot be read.
 */
function ownCapSysResource(): boolean | null {
  try {
    const cap = readPidStatus('/', process.pid).capEff;
    return cap === null ? null : ((cap >> 24n) & 1n) === 1n;
  } catch {
    // Unreadable: unknown, and the rules then offer only what works either way.
    return null;
  }
}

/**
 * What could not be judged of the unix-domain listeners, one sentence per cause however many
 * namespaces share it: read from /proc/net/unix (no queue lengths), or not read at all. Namespaces
 * where unix_diag answered say nothing. `label(inode)` is null for sockdoc's own namespace.
 */
const NOT_READ = NOT_READ_PREFIX;

/** Adds `note` to `notes`, joined to an earlier "Not read, so not judged: …" sentence when both are one. */
function addNote(notes: string[], note: string): void {
  const earlier = notes.findIndex((n) => n.startsWith(NOT_READ));
  if (earlier >= 0 && note.startsWith(NOT_READ)) notes[earlier] = `${notes[earlier].slice(0, -1)}; ${note.slice(NOT_READ.length)}`;
  else notes.push(note);
}

function unixSourceNotes(reads: ReadonlyMap<number, UnixRead>, label: (inode: number) => string | null): string[] {
  const noQueues: string[] = [];
  let listening = 0;
  let why: string | undefined;
  const unread: string[] = [];
  let firstUnread = '';
  let allAbsent = true;
  for (const [inode, u] of reads) {
    const name = label(inode) ?? 'this namespace';
    if (u.source === 'proc') {
      const n = u.listening.filter((s) => s.type !== 'dgram').length;
      if (n === 0) continue;
      listening += n;
      noQueues.push(name);
      why ??= u.reports.find((r) => r.detail)?.detail;
    } else if (u.source === null) {
      unread.push(name);
      const r = u.reports[u.reports.length - 1];
      if (r && r.status !== 'absent') allAbsent = false;
      if (!firstUnread && r) firstUnread = `${r.source}: ${r.detail ?? r.status}`;
    }
  }
  const out: string[] = [];
  const list = (names: string[]) => (names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`);
  if (listening) {
    out.push(
      `${listening} unix-domain listener${listening === 1 ? ' was' : 's were'} read from /proc/net/unix (${list(noQueues)}), which has no backlogs: ` +
        `${listening === 1 ? 'its queue length (counted from the pending connections listed) is' : 'their queue lengths (counted from the pending connections listed) are'} judged against net.core.somaxconn only, the most a backlog can be${why ? ` (${why})` : ''}.`,
    );
  }
  // Files a capture did not hold: said the way the other unread files are (snapshot/net-pressure.ts).
  if (unread.length && allAbsent) out.push(`${NOT_READ}proc/net/unix (unix-domain listeners${unread.length > 1 || unread[0] !== 'this namespace' ? ` of ${list(unread)}` : ''}).`);
  else if (unread.length) out.push(`Unix-domain sockets of ${list(unread)} could not be read${firstUnread ? ` (${firstUnread})` : ''}: their listeners' accept queues are not judged.`);
  return out;
}

function sentence(text: string): string {
  const t = text[0].toUpperCase() + text.slice(1);
  return t.endsWith('.') ? t : `${t}.`;
}

/**
 * Families of the sockets neither the TCP nor the unix table holds (UDP, netlink, ...), from the
 * /proc/net tables of each namespace that holds some: sockdoc's own as ROOT/proc/net, another through
 * a process in it (ROOT/proc/PID/net; in a capture, what was read inside it: ROOT/netns/INODE/proc/net).
 */
function nameOtherSockets(root: string, live: boolean, own: number, unnamed: Unnamed): Map<number, SocketKind> {
  const out = new Map<number, SocketKind>();
  for (const [netns, group] of unnamed) {
    const inside = !live && netns !== null && existsSync(under(root, 'netns', String(netns), 'proc', 'net'));
    const netDir = netns === null || netns === own ? 'proc/net' : inside ? `netns/${netns}/proc/net` : `proc/${group.pids[0]}/net`;
    for (const [inode, kind] of readSocketInodes(root, netDir)) if (group.inodes.has(inode)) out.set(inode, kind);
  }
  return out;
}

/** Tunables a rule needs; netdev_max_backlog is left out: it exists only in the initial network namespace. */
const NEEDED_TUNABLES = [
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_abort_on_overflow',
  'fs.file-max',
  'fs.file-nr',
] as const;

/**
 * Inputs that were absent (a trimmed capture, an unusual kernel): the report must say which
 * findings could not be raised rather than look healthy.
 */
function missingInputs(counters: Counters, tunables: Tunables): { notes: string[]; partial: boolean } {
  const notes: string[] = [];
  if (!Object.keys(counters.values).some((k) => k.startsWith('TcpExt.'))) {
    notes.push('TCP counters (proc/net/netstat) could not be read: dropped handshakes (listen-overflows, SYN drops) cannot be detected.');
  }
  const absent = NEEDED_TUNABLES.filter((k) => tunables[k] === null);
  if (absent.length) notes.push(`Kernel tunables not available: ${absent.join(', ')}; findings that compare against them are skipped.`);
  return { notes, partial: notes.length > 0 };
}

function tunablesFor(hostTunables: Tunables, net: NetTunables): Tunables {
  return { ...hostTunables, ...net, 'net.core.netdev_max_backlog': net['net.core.netdev_max_backlog'] ?? null };
}

export async function buildSnapshot(opts: SnapshotOptions = {}): Promise<Snapshot> {
  const root = opts.root ?? '/';
  const live = root === '/';
  const now = opts.now ?? (() => new Date());
  const probes: ProbeReport[] = [];
  const notes: string[] = [];
  let intervalMs = live ? Math.max(0, opts.intervalMs ?? 1000) : 0;
  const plan = planNetns(root, live, opts.pids);
  // A scope is resolved first, by name only: then only its namespaces and processes are read.
  const asRoot = live && process.geteuid?.() === 0;
  const named = opts.scope ? namingProcesses(root, plan.byPid.keys()) : null;
  // `--netns INODE` of a namespace no process is in and no name holds (the report names such a one,
  // found through a socket): only a whole read finds it; the CLI then narrows to it (orphanQuery).
  const orphanAsked = asRoot ? orphanQuery(opts.scope) : null;
  let unplanned: NetnsScopeError | null = null;
  let inScope: Set<number> | null = null;
  try {
    inScope = opts.scope && named ? scopeNetns(root, plan, opts.scope, asRoot, named) : null;
  } catch (err) {
    if (!(err instanceof NetnsScopeError) || orphanAsked === null) throw err;
    unplanned = err;
  }
  const readOwn = inScope === null || inScope.has(plan.own);
  const targets = inScope === null ? [...plan.targets] : plan.targets.filter((t) => inScope.has(t.inode));
  const pids = inScope === null ? opts.pids : scopedPids(plan, inScope, readOwn, opts.pids);

  // The start of the sampling window, per namespace (snapshot/window.ts): read now on a live host,
  // as the capture recorded it in a replay. Counters and CLOSE_WAIT are judged against it at the end.
  let start: WindowStart | null = null;
  // Live, the other namespaces are read whole at the window's start; the end walks again only
  // those not proven unchanged (snapshot/window-end.ts): one walk of the shared hash each, not two.
  let first: { read: NetnsData[]; at: number } | null = null;
  if (intervalMs > 0) {
    // A reader with a deadline (serve) is not held up by a start that reads every namespace: the
    // window then covers sockdoc's own namespace, and the others are judged from the next read on.
    const ownReader = opts.readNetns !== undefined && inScope === null;
    if (!ownReader && targets.length) {
      const read = await readLiveNetns(targets, undefined, opts.netnsHooks, undefined, undefined, 'window-start', inScope === null);
      first = { read, at: Date.now() };
    }
    start = await readWindowStart(root, readOwn ? plan.own : null, ownReader ? [] : targets, undefined, inScope === null, first?.read ?? null);
  } else if (!live) {
    const recorded = readCaptureWindow(root);
    if (recorded && 'refused' in recorded) notes.push(`The capture's window (${CAPTURE_WINDOW}) was not used (${recorded.refused}): counters and CLOSE_WAIT are judged on one read.`);
    else if (recorded) {
      start = recorded.start;
      intervalMs = recorded.intervalMs;
      // Unknown is said: how many each listener dropped in the window needs its drops at the start.
      if (!recorded.listenerDrops) notes.push(`The capture's window (${CAPTURE_WINDOW}) holds no listener's drops at its start (a capture made before they were recorded): how many each listener dropped in the window is unknown; each namespace's counters (ListenOverflows) still count the window.`);
    }
  }
  const pressureStart = live && intervalMs > 0 ? readPressure(root) : null;
  if (live && intervalMs > 0) {
    opts.onWait?.(intervalMs);
    await sleep(intervalMs);
  }
  const once = readCounters(root);
  probes.push(...once.reports);
  const counters: Counters = { values: once.values, deltas: null, intervalMs: 0 };
  const pressure = pressureOver(pressureStart, readPressure(root), pressureStart ? intervalMs : 0);
  probes.push(...pressure.reports);
  notes.push(...pressure.notes);

  const tunables = readTunables(root);
  probes.push(...tunables.reports);
  const host = readHost(root);
  probes.push(...host.reports);

  // Three reads overlap: the other namespaces on the addon's own threads (each enters one), the fd
  // walk on worker threads, and this thread's own namespace (sock_diag dump or /proc/net/tcp).
  const others: Promise<NetnsData[]> = !live
    ? Promise.resolve(targets.map((t) => readTreeNetns(root, t)))
    : opts.readNetns && inScope === null
      ? opts.readNetns(targets)
      : first
        ? readWindowEnd(targets, first.read, first.at, { skipEmpty: inScope === null })
        : readLiveNetns(targets, undefined, opts.netnsHooks, undefined, undefined, undefined, inScope === null);
  others.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
  const { scan: procs, value: reads } = await readProcessesWhile(root, { ...(pids ? { pids } : {}), bpf: opts.bpf ?? 'auto' }, () => ({
    // sockdoc's own namespace out of scope: its sockets are not read (an empty table, source unknown).
    net: readOwn ? readNetTcp(root, { netns: plan.own }) : notRead(),
    unix: readOwn ? readUnixSockets(root, { netns: plan.own }) : unixReadOf([], null, []),
  }));
  const net = reads.net;
  const otherData = [...(await others)];
  // The name every output shows (titles, tables, JSON, serve): a title that holds a secret is not printed (redact.ts redactName).
  for (const p of procs.processes) p.name = redactName(p.name, p.cmdline.split(' ')).value;
  probes.push(...net.reports);
  notes.push(...net.notes);
  probes.push(...procs.reports);
  notes.push(...procs.notes);
  notes.push(...plan.notes);
  if (live) {
    // hidepid hides other users' processes without an error anywhere: only the mount options tell.
    const mount = runProbe('proc-mount', '/proc/self/mountinfo', () => readProcMount('/'));
    const hidden = hiddenByProcMount(mount.value, { uid: process.geteuid?.() ?? 0, groups: process.getgroups?.() ?? [] });
    if (hidden) {
      probes.push({ ...mount.report, status: 'partial', detail: hidden });
      notes.push(sentence(hidden));
    }
  }
  // sockdoc is never a suspect in its own report: its own pid is left out of a live read.
  if (live) procs.processes = procs.processes.filter((p) => p.pid !== process.pid);
  // The user namespaces inotify instances are charged in, with their limits (own first, always).
  const inotifyHolders = new Map(procs.processes.filter((p) => p.inotify).map((p) => [p.pid, p.inotify?.userns ?? null]));
  const userns = opts.listing ? { namespaces: [], reports: [], notes: [] } : readUserNamespaces(root, inotifyHolders);
  probes.push(...userns.reports);
  notes.push(...userns.notes);

  const hasListeners = net.table.countState(tcpStateNumber('LISTEN')) > 0;
  // The all-states dump already carried every listener's backlog limit: no second dump.
  const diag = !hasListeners
    ? null
    : net.backlogs
      ? {
          backlogs: net.backlogs,
          source: 'sock_diag' as const,
          v6only: net.v6only,
          report: { probe: 'sock-diag', source: 'netlink NETLINK_SOCK_DIAG (from the net-tcp dump)', status: 'ok' as const, ms: 0 },
        }
      : readListenBacklogs(root);
  if (diag) {
    probes.push(diag.report);
    // A refused or failed read is also a non-ok probe, which the loop below turns into a note: once is enough.
    if (diag.source === null && diag.report.status === 'absent') notes.push(sentence(diag.report.detail ?? 'backlog limits of listeners are unknown: sock_diag and ss were unavailable'));
    else if (diag.source === 'ss') notes.push('Backlog limits were read from `ss` (the native sock_diag module is not built).');
  }
  // Sockets read from /proc/net/tcp text (a capture, SOCKDOC_NET_SOURCE=proc): the drops of a
  // listener dump beside them, and the waits a capture recorded.
  let ownTable = net.table;
  const capturedWaits = !live && hasListeners ? readCapturedWaits(root) : null;
  if (capturedWaits?.report) probes.push(capturedWaits.report);
  if (net.source === 'proc' && diag) ownTable = withRecordedDiag(net.table, diag.drops ?? null, capturedWaits?.waits ?? null);

  const byPid = new Map(procs.processes.map((p) => [p.pid, p]));
  // A pid that named another namespace when it was entered was reused since discovery: ask again.
  const stale = new Set(otherData.flatMap((d) => d.stalePids ?? []));
  for (const pid of stale) {
    const now = readPidNetns(root, pid).inode;
    if (now === null) plan.byPid.delete(pid);
    else plan.byPid.set(pid, now);
  }
  for (const p of procs.processes) p.netns = plan.byPid.get(p.pid) ?? null;
  // One pass over each TCP table: each process's sockets per state, and its TCP fds for fdKinds;
  // then its unix fds, and the other families from the /proc/net tables of each holder's namespace.
  const kinds = new SocketKindCounter(procs.processes, procs.owners);
  for (const t of [ownTable, ...otherData.map((d) => d.table)]) kinds.countTcp(t);
  kinds.markUnix([...(readOwn ? [reads.unix.inodes] : []), ...otherData.map((d) => d.unix.inodes)]);
  kinds.nameRest((unnamed) => nameOtherSockets(root, live, plan.own, unnamed));
  // Sockets still in no table: asked for their namespace; one no process is in and no name holds is read too.
  const orphans = await findOrphanNetns(kinds, {
    live,
    planned: new Set([plan.own, ...plan.targets.map((t) => t.inode)]),
    read: (found) => (opts.readNetns && inScope === null ? opts.readNetns(found, 'found') : readLiveNetns(found, undefined, undefined, undefined, undefined, undefined, inScope === null)),
    nameOf: (pid) => byPid.get(pid)?.name,
    wanted: unplanned ? orphanAsked : null,
  });
  kinds.fold();
  if (orphans.asked) probes.push({ probe: 'socket-netns', source: 'pidfd_getfd + ioctl SIOCGSKNS', status: 'ok', ms: orphans.ms, detail: `${orphans.asked} sockets asked, ${orphans.found.length} namespaces found` });
  const orphanOf = new Map(orphans.found.map((o) => [o.data.inode, o]));
  for (const o of orphans.found) {
    otherData.push(o.data);
    targets.push(o.target);
    // What a process in the scope holds is read with it.
    inScope?.add(o.data.inode);
  }
  const table = SocketTable.concat([ownTable, ...otherData.map((d) => d.table)]);

  // Listeners are derived per namespace: a queued connection belongs to a listener of its own namespace.
  const ownListeners = deriveListeners(ownTable, procs.owners, diag?.backlogs ?? new Map(), diag?.source ?? null, diag?.v6only);
  const listenersByNs = new Map<number, Listener[]>([[plan.own, ownListeners]]);
  for (const d of otherData) listenersByNs.set(d.inode, deriveListeners(d.table, procs.owners, d.backlogs ?? new Map(), d.backlogs ? 'sock_diag' : null, d.v6only ?? undefined));
  // Unix-domain listeners of each namespace after its TCP ones; what could not be judged is said.
  // (sockdoc's own namespace only when the read includes it: a scoped read leaves it unread and unsaid.)
  const unixReads = new Map<number, UnixRead>([...(readOwn ? [[plan.own, reads.unix] as const] : []), ...otherData.map((d) => [d.inode, d.unix] as const)]);
  for (const [inode, u] of unixReads) {
    const list = listenersByNs.get(inode) ?? [];
    list.push(...deriveUnixListeners(u.listening, procs.owners));
    listenersByNs.set(inode, list.sort(compareListeners));
    probes.push(...u.reports.filter((r) => inode === plan.own || r.status !== 'ok'));
    notes.push(...u.notes);
  }
  if (!opts.listing) readWaitingOwnersThreads(root, [...listenersByNs.values()].flat(), byPid, opts.acceptWaitMs ?? DEFAULT_ACCEPT_WAIT_MS);
  if (live && readOwn) notes.push(...listenerExtrasNotes('', ownTable, ownListeners, net.waits, unknownWhy(net.source, under(root, 'proc/net/tcp'))));
  // A capture made before they were recorded: said once, in the "not read" note, for every namespace.
  const capturedWithout: string[] = [];

  for (const r of probes) {
    if (r.status === 'ok' || r.status === 'absent') continue;
    if (r.probe === 'net-unix') continue; // unixSourceNote said it
    if (r.status === 'partial') continue; // the probe wrote its own aggregated note
    notes.push(`${r.source}: ${r.status}${r.detail ? ` (${r.detail})` : ''}.`);
  }
  const missing = missingInputs(counters, tunables.tunables);
  notes.push(...missing.notes);
  const ownPartial =
    missing.partial ||
    probes.some((r) => r.status !== 'ok' && r.status !== 'absent') ||
    (readOwn && net.table.length === 0 && net.reports.every((r) => r.status !== 'ok'));

  const pidsIn = new Map<number, number[]>();
  for (const p of procs.processes) {
    // A process whose /proc/PID/ns/net was refused (not root) may live anywhere: it is in no
    // namespace's list rather than in sockdoc's own (which made `--netns PID` show the host).
    if (p.netns === null) continue;
    const inode = p.netns;
    const list = pidsIn.get(inode);
    if (list) list.push(p.pid);
    else pidsIn.set(inode, [p.pid]);
  }
  // A scoped read scanned only its own processes: naming reads the light list of all (dockerd's --data-root).
  const naming: NamingContext = { root, processes: named ?? procs.processes, named: plan.named };
  const namespaces: NetNamespace[] = [];
  const ownPids = plan.byPid.size === 0 ? procs.processes.map((p) => p.pid) : (pidsIn.get(plan.own) ?? []);
  namespaces.push({
    ...nameNetns(naming, plan.own, ownPids, plan.own === plan.host),
    pids: ownPids,
    socketSource: net.source,
    unixSource: reads.unix.source,
    tunables: tunables.tunables,
    counters,
    listenerCount: ownListeners.length,
    // nf_conntrack and sockstat are read through ROOT/proc/net, which is the reader's own namespace.
    conntrack: pressure.conntrack,
    sockstat: pressure.sockstat,
    partial: ownPartial,
    notes: [],
  });
  const targetOf = new Map(targets.map((t) => [t.inode, t]));
  for (const d of otherData) {
    const target = targetOf.get(d.inode) as NetnsTarget;
    const pids = pidsIn.get(d.inode) ?? target.pids.filter((p) => !stale.has(p));
    const orphan = orphanOf.get(d.inode);
    // Found through a socket (orphan-netns.ts): no process is in it, so the socket's holder names it.
    const { ref, doubts } = orphan ? { ref: { inode: d.inode, kind: 'other' as const, name: orphan.target.label }, doubts: [] } : nameNetnsWithDoubts(naming, d.inode, pids, d.inode === plan.host);
    const label = netnsLabel(ref);
    const values = d.counters ?? {};
    const nsNotes = d.notes.map((n) => (n.startsWith(`${target.label}:`) && label !== target.label ? `${label}${n.slice(target.label.length)}` : n));
    // An empty namespace's counters were not read on purpose: nothing in it can drop a handshake now.
    if (d.counters === null && !d.empty && !nsNotes.some((n) => /counters/.test(n))) nsNotes.push(`${label}: TCP counters could not be read: dropped handshakes in it cannot be detected.`);
    // A runtime name refused for a doubt (docs/safety.md §7): said, once per doubt.
    for (const why of doubts) nsNotes.push(`${label}: ${why}.`);

    // Read from outside (/proc/PID/net), the namespace's note already says its backlogs are unknown; drops and waits with them.
    if (live && !d.outside) nsNotes.push(...listenerExtrasNotes(`${label}: `, d.table, listenersByNs.get(d.inode) ?? [], d.waits, unknownWhy(d.socketSource, `/proc/${target.pids[0] ?? 'PID'}/net/tcp`)));
    else if (!live && !d.outside && notCaptured(d.table, listenersByNs.get(d.inode) ?? []).length) capturedWithout.push(label);
    notes.push(...nsNotes);
    // How it was found: in its own notes only; the report counts such namespaces in one sentence.
    if (orphan) nsNotes.push(orphanNote(label, orphan.through, byPid.get(orphan.through.pid)?.netns ?? null, (inode) => netnsLabelOf(naming, plan, inode)));
    namespaces.push({
      ...ref,
      pids,
      socketSource: d.socketSource,
      unixSource: d.unix.source,
      tunables: tunablesFor(tunables.tunables, d.tunables),
      counters: { values, deltas: null, intervalMs: 0 },
      listenerCount: listenersByNs.get(d.inode)?.length ?? 0,
      partial: d.partial,
      ...(d.empty ? { empty: true } : {}),
      ...(orphan ? { foundThrough: { pid: orphan.through.pid, fd: orphan.through.fd, socket: orphan.through.inode } } : {}),
      notes: nsNotes,
    });
    probes.push(...d.reports.filter((r) => r.status !== 'ok'));
  }
  if (!live) {
    const own = notCaptured(ownTable, ownListeners);
    const others = capturedWithout.length ? `${capturedWithout.length === 1 ? capturedWithout[0] : `${capturedWithout.length} other namespaces`}` : '';
    if (own.length) addNote(notes, `${NOT_READ}${own.map((item) => (others ? item.replace(/\)$/, `; also in ${others})`) : item)).join('; ')}.`);
    else if (others) addNote(notes, `${NOT_READ}listener drops and accept waits in ${others} (sock_diag).`);
  }
  for (const n of orphans.notes) addNote(notes, n);
  // The namespace sockdoc runs in first (the host's, normally): its tunables, counters and the
  // /proc/net pressure files read through ROOT are the snapshot's top-level ones, and `sockdoc port`
  // judges reachability from it. The others follow by how a person names them.
  const rest = namespaces.slice(1).sort((a, b) => netnsLabel(a).localeCompare(netnsLabel(b)) || a.inode - b.inode);
  namespaces.splice(1, rest.length, ...rest);
  const listeners: Listener[] = [];
  for (const ns of namespaces) for (const l of listenersByNs.get(ns.inode) ?? []) listeners.push(l);
  const byInode = new Map(namespaces.map((n) => [n.inode, n]));
  // The holder's own namespace (empty, maybe) says where its process's sockets are: in its own notes only.
  for (const o of orphans.found) {
    const holder = byPid.get(o.through.pid);
    const home = holder?.netns == null ? undefined : byInode.get(holder.netns);
    if (home && home.inode !== o.data.inode) home.notes.push(`${netnsLabel(home)}: pid ${o.through.pid}${holder?.name ? ` (${holder.name})` : ''} in it holds sockets of ${o.target.label}, a namespace no process is in.`);
  }
  const labelOf = (inode: number) => (inode === plan.own ? null : netnsLabel(byInode.get(inode) ?? { inode, kind: 'other', name: `netns ${inode}` }));
  for (const n of unixSourceNotes(unixReads, labelOf)) addNote(notes, n);
  const empty = otherData.filter((d) => d.empty).length;
  if (empty) notes.push(emptyNamespacesNote(empty));
  if (orphans.found.length) notes.push(`${orphans.found.length === 1 ? '1 network namespace' : `${orphans.found.length} network namespaces`} that no process is in and no name holds ${orphans.found.length === 1 ? 'was' : 'were'} found through the sockets processes hold, and read (JSON namespaces[].foundThrough; each one's notes say through which).`);
  // Sockets whose namespace was not asked, or namespaces found and not read: "nothing listens" or "healthy" is then not known.
  const partial = ownPartial || plan.partial || namespaces.some((n) => n.partial) || orphans.unseen;
  // Programs with a cap of their own (issue 22): their configuration, read under the same root.
  const programs = opts.listing ? { programs: [], notes: [] } : (await programsModule()).readPrograms(root, procs.processes, listeners, table, procs.owners);
  notes.push(...programs.notes);

  const snapshot = withSocketTable({
    namespaces,
    host: {
      hostname: host.hostname,
      kernel: host.kernel,
      root,
      takenAt: now().toISOString(),
      capturedAt: live ? null : readCaptureTime(root),
      asRoot,
      canRaiseLimits: live ? ownCapSysResource() : null,
    },
    owners: procs.owners,
    processes: procs.processes,
    listeners,
    userNamespaces: userns.namespaces,
    tunables: namespaces[0].tunables,
    counters: namespaces[0].counters,
    probes,
    notes,
    partial,
    conntrack: pressure.conntrack,
    sockstat: pressure.sockstat,
    softnet: pressure.softnet,
    limitOrigins: new Map(),
    programs: programs.programs,
  }, table);
  // Every unix socket as a record only when something reads them (sockets --unix, why).
  lazyProperty(snapshot, 'unixSockets', () => [...unixReads.values()].flatMap((u) => u.sockets));
  if (start) applyWindow(snapshot, start, intervalMs);
  for (const ns of start ? snapshot.namespaces : []) {
    // Read at the end but not at the start (started during the window, or not enterable then): one read.
    let note = '';
    if (ns.socketSource !== null && !ns.closeWaitAtStart) note = `${netnsLabel(ns)}: not read at the start of the sampling window: its CLOSE_WAIT and counters are judged on one read.`;
    // Empty at the start (its counters not read then), sockets by the end: they are all new; its counters are one read.
    else if (!ns.empty && start?.byNetns.get(ns.inode)?.empty && Object.keys(ns.counters.values).length) note = `${netnsLabel(ns)}: held no socket at the start of the sampling window: its counters are judged on one read.`;
    if (note) {
      ns.notes.push(note);
      snapshot.notes.push(note);
    }
  }
  if (unplanned) {
    if (!orphans.found.some((o) => o.data.inode === orphanAsked)) throw unplanned;
    return snapshot;
  }
  if (inScope === null) return snapshot;
  const asked = namespaces.filter((n) => inScope.has(n.inode));
  const scoped = restrictToNetns(snapshot, asked);
  scoped.scope = { asked: describeScope(opts.scope as NetnsScope), read: inScope.size, seen: 1 + plan.targets.length };
  // Partial means part of what was asked was not read. A process outside the asked namespaces that
  // could not be read (pid 1 here: a non-dumpable init) hides nothing of them unless one of their
  // sockets has no owner: only then may an unreadable process hold it.
  const ownerHidden = (plan.partial || probes.some((r) => r.status !== 'ok' && r.status !== 'absent')) && hasOwnerless(table, procs.owners, inScope);
  scoped.partial = asked.some((n) => n.partial) || (inScope.has(plan.own) ? ownPartial : missing.partial) || ownerHidden;
  return scoped;
}

/**
 * What a namespace found through a socket is: none of the usual ways lists it, so the note says how
 * it was found and where the socket's holder is now (its own namespace may read as empty).
 */
function orphanNote(label: string, through: { pid: number; fd: number; inode: number }, holderNetns: number | null, labelOf: (inode: number) => string): string {
  const where = holderNetns === null ? 'a namespace not known' : labelOf(holderNetns);
  return `${label}: no process is in it and no name holds it; found through socket ${through.inode}, fd ${through.fd} of pid ${through.pid}, which is in ${where} (a process that changed namespace after making its sockets, or a socket passed to it from another namespace).`;
}

/** How the report names a planned namespace (the holder of a socket found elsewhere is in one). */
function netnsLabelOf(naming: NamingContext, plan: NetnsPlan, inode: number): string {
  const pids = [...plan.byPid].filter(([, n]) => n === inode).map(([pid]) => pid);
  return netnsLabel(nameNetns(naming, inode, pids, inode === plan.host));
}

/**
 * The inode `--netns` asks for when it can only be a namespace (nsfs inodes are allocated from
 * PROC_DYNAMIC_FIRST, 0xF0000000: fs/proc/generic.c proc_alloc_inum) and nothing else is asked; else null.
 */
function orphanQuery(scope: NetnsScope | undefined): number | null {
  if (!scope?.netns || scope.container !== undefined || scope.pod !== undefined || !/^\d{10}$/.test(scope.netns)) return null;
  const v = Number(scope.netns);
  return v >= 0xf0000000 && v <= 0xffffffff ? v : null;
}

/** Whether a socket of the namespaces `inodes` (one a process holds: inode ≠ 0) has no owner found. */
function hasOwnerless(table: SocketTable, owners: ReadonlyMap<number, unknown>, inodes: ReadonlySet<number>): boolean {
  const { inode, netns } = table;
  for (let i = 0; i < table.length; i++) if (inode[i] !== 0 && inodes.has(netns[i]) && !owners.has(inode[i])) return true;
  return false;
}

/**
 * The one sentence for every namespace whose sockstat counted no socket (probe/netns-read.ts): they
 * are counted and said, never listed, so 2,000 of them cost one line, and none reads as "judged".
 */
export function emptyNamespacesNote(count: number): string {
  return `${count === 1 ? '1 network namespace' : `${count} network namespaces`} held no socket (${count === 1 ? 'its' : 'their'} sockstat: none in use, none in TIME_WAIT): only that was read of ${count === 1 ? 'it' : 'them'}, and nothing in ${count === 1 ? 'it' : 'them'} can queue, drop or leak a connection.`;
}

/**
 * The processes of a scoped read: those in its namespaces, and, when sockdoc's own namespace is in
 * it, those whose namespace is unknown (refused or unreadable: a whole read counts them there too),
 * within `only` when given. The
 * sockets of a namespace are held by its own processes (a socket created elsewhere and passed in,
 * or a process that changed namespace after creating it, is rare: its owner is then not seen).
 */
function scopedPids(plan: NetnsPlan, inScope: ReadonlySet<number>, readOwn: boolean, only: readonly number[] | undefined): number[] {
  const out: number[] = [];
  for (const pid of plan.pids) {
    const inode = plan.byPid.get(pid);
    if (inode === undefined ? readOwn : inScope.has(inode)) out.push(pid);
  }
  const keep = only ? new Set(only) : null;
  return (keep ? out.filter((p) => keep.has(p)) : out).sort((a, b) => a - b);
}

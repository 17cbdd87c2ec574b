/**
 * `sockdoc --json`: the diagnosis as a versioned document for scripts and monitoring.
 * Every field is documented in docs/json-schema.md and checked against
 * docs/sockdoc-diagnosis.schema.json by json.test.ts. Bump SCHEMA_VERSION when a field changes
 * meaning or disappears; adding a field is not a breaking change.
 *
 * @example
 * io.stdout(JSON.stringify(diagnosisToJson(d), null, 2) + '\n');
 */
import { redactWords } from '../snapshot/redact.js';
import type { ProgramInstance } from '../provenance/programs/types.js';
import type { Diagnosis } from './report.js';
import type { Finding, FindingSubject, Severity } from '../rules/types.js';
import type { LimitOrigin } from '../provenance/types.js';
import type { ConntrackTable, ContainerRef, FdKindCounts, Listener, NetNamespace, NetnsKind, PodRef, ProbeReport, ProcessInfo, Softnet, Sockstat, TcpState, Tunables } from '../snapshot/types.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import { TCP_STATES } from '../snapshot/types.js';
import { findingRef } from '../rules/support/refs.js';
import { filterListeners, filterProcesses } from './filter.js';
import { limitOriginToJson } from './limits.js';
import { groupFindings, groupRefs, groupTitle, hurtOf, WORST_SHOWN, type FindingGroup } from './groups.js';
import { reportOrder } from './answer.js';

/**
 * 2: namespaces[], netns on listeners, processes and finding subjects (additive over 1). Added
 * since, in the same version (additive): unixListeners[], namespaces[].unixSource, subject.path,
 * namespaces[].empty, namespaces[].foundThrough.
 */
export const SCHEMA_VERSION = 2;

export interface FindingJson {
  id: string;
  /** "<id>@<pid>", "<id>@<address:port>" or "<id>": what other findings' `related` name. */
  ref: string;
  severity: Severity;
  subject: FindingSubject;
  title: string;
  evidence: Finding['evidence'];
  explain: string;
  fix: string[];
  related: string[];
}

/**
 * One group of findings: one problem seen on many subjects (docs/json-schema.md, "Group"). Its
 * identity fields are FindingGroup's own (documented there); the JSON adds the count, the title and
 * the members' refs, and leaves out what only renderers use (user, variant, the findings).
 */
export type GroupJson = Pick<FindingGroup, 'key' | 'id' | 'severity' | 'program' | 'workload' | 'exe' | 'unit' | 'uid' | 'subject' | 'namespaces'> & {
  count: number;
  title: string;
  /** Every member's ref, worst first. */
  refs: string[];
  /** The first WORST_SHOWN of refs: what the terminal names. */
  worst: string[];
  /** Clients the worst member counts as waiting or dropped in the window (groups.ts hurtOf); null when its evidence counts none. */
  clientsHurt: number | null;
};

export function groupJson(g: FindingGroup): GroupJson {
  const refs = groupRefs(g);
  return {
    key: g.key,
    id: g.id,
    severity: g.severity,
    program: g.program,
    workload: g.workload,
    exe: g.exe,
    unit: g.unit,
    uid: g.uid,
    subject: g.subject,
    count: g.findings.length,
    title: groupTitle(g),
    namespaces: [...g.namespaces],
    refs,
    worst: refs.slice(0, WORST_SHOWN),
    clientsHurt: hurtOf(g.findings[0]),
  };
}

export interface ProcessJson {
  pid: number;
  ppid: number;
  name: string;
  cmdline: string;
  uid: number;
  user: string | null;
  fds: { open: number | null; soft: number | null; hard: number | null };
  sockets: Partial<Record<TcpState, number>>;
  /** Inode of its network namespace (namespaces[].inode); null when it could not be read. */
  netns: number | null;
  /** Its open fds by kind (tcp, udp, unix, netlink, ..., pipe, eventpoll, inotify, file, device, ...); kinds with none left out; null when not known. Additive in schemaVersion 2. */
  fdKinds: FdKindCounts | null;
  /** The inotify instances it holds and their watches (null: unreadable); null when it holds none. Additive in schemaVersion 2. */
  inotify: { instances: number; watches: number | null } | null;
  /** State letter of /proc/PID/stat (R, S, D, T, t, Z …); null when not read. */
  state: string | null;
  /** Its threads' states, read for the owners of listeners whose clients wait; null when not read. */
  threads: { total: number; byState: Record<string, number>; truncated: boolean } | null;
}

/** One network namespace (schemaVersion 2). */
export interface NamespaceJson {
  inode: number;
  kind: NetnsKind;
  name: string;
  /** How the report names it: "host", "netns blue", "docker container web (4dacd5c37193)", "pod shop/web (container web)". */
  label: string;
  container: ContainerRef | null;
  pod: PodRef | null;
  pids: number[];
  socketSource: 'sock_diag' | 'proc' | null;
  /** Where its unix-domain sockets came from: unix_diag (queue lengths), /proc/net/unix (none), or not read (additive in schemaVersion 2). */
  unixSource: 'unix_diag' | 'proc' | null;
  tunables: Tunables;
  counters: { values: Record<string, number>; deltas: Record<string, number> | null; intervalMs: number };
  listenerCount: number;
  partial: boolean;
  /** Its sockstat counted no socket: nothing else of it was read (additive in schemaVersion 2). */
  empty: boolean;
  /** Present only for a namespace no process is in and no name holds, found through a socket a process holds (additive in schemaVersion 2). */
  foundThrough?: { pid: number; fd: number; socket: number };
  notes: string[];
}

export interface ListenerJson {
  /** Inode of its network namespace: (netns, address, port) identifies a listener. */
  netns: number;
  family: 4 | 6;
  address: string;
  port: number;
  inode: number;
  pids: number[];
  owners: Array<{ pid: number; fd: number }>;
  acceptQueue: number;
  backlog: number | null;
  backlogSource: 'sock_diag' | 'ss' | null;
  /** IPv6 listeners: IPV6_V6ONLY from sock_diag (true = [::]:P, false = *:P in ss); null when unknown or IPv4. */
  v6only: boolean | null;
  synRecv: number;
  establishedUnaccepted: number;
  closeWaitUnaccepted: number;
  /** Handshakes dropped on this listener since it was opened (sk_drops, `ss -tlm` d<N>); null when unknown. */
  drops: number | null;
  /** Increase of `drops` over the window; null with one read or when unknown. */
  dropsDelta: number | null;
  /** How long the clients in its queue have waited (ms); null when unknown (not from sock_diag). */
  acceptWait: { measured: number; unmeasured: number; maxMs: number; medianMs: number } | null;
}

/** A unix-domain stream or seqpacket listener (additive in schemaVersion 2). */
export interface UnixListenerJson {
  netns: number;
  /** Its path, or "@name" for an abstract socket. */
  path: string;
  abstract: boolean;
  type: 'stream' | 'seqpacket';
  /** The socket's inode (ss -x "Inode", /proc/PID/fd socket:[N]). */
  inode: number;
  /** The inode of the socket file (stat -c %i PATH); null for an abstract name or when unknown. */
  fileInode: number | null;
  pids: number[];
  owners: Array<{ pid: number; fd: number }>;
  /** Connections waiting for accept() (ss -xl Recv-Q). */
  acceptQueue: number;
  /** The backlog (ss -xl Send-Q): listen()'s argument capped by net.core.somaxconn. */
  backlog: number | null;
  /** Processes whose connections wait in the queue, most first. */
  queuedFrom: Array<{ pid: number; connections: number }>;
  /** Queued connections whose client already closed its end. */
  queuedOrphans: number;
}

export interface DiagnosisJson {
  schemaVersion: typeof SCHEMA_VERSION;
  host: { hostname: string | null; kernel: string | null; root: string; takenAt: string; capturedAt: string | null; asRoot: boolean };
  window: { intervalMs: number; sampled: boolean };
  partial: boolean;
  filter: { pid: number | null; port: number | null };
  /** A scoped read (--netns/--container/--pod/--pid): what was asked, namespaces read of those seen; null for the whole host. */
  scope: { asked: string; read: number; seen: number } | null;
  summary: Record<Severity, number>;
  exitCode: 0 | 1 | 2;
  findings: FindingJson[];
  /** Findings of one id and owner program folded (src/render/groups.ts); every finding stays in `findings` (additive, issue 23). */
  groups: GroupJson[];
  processes: ProcessJson[];
  listeners: ListenerJson[];
  /** Unix-domain listeners whose queues were read (unix_diag). */
  unixListeners: UnixListenerJson[];
  /** Every network namespace read, the host first (its tunables and counters are `tunables`/`counters` below). */
  namespaces: NamespaceJson[];
  socketStates: Partial<Record<TcpState, number>>;
  tunables: Tunables;
  counters: { values: Record<string, number>; deltas: Record<string, number> | null; intervalMs: number };
  /** The first namespace's conntrack table; null when nf_conntrack is not loaded (or not read). */
  conntrack: ConntrackTable | null;
  /** /proc/net/sockstat TCP line; null when unreadable. */
  sockstat: Sockstat | null;
  /** /proc/net/softnet_stat (host-wide); null when unreadable. */
  softnet: Softnet | null;
  probes: ProbeReport[];
  notes: string[];
  /** Field by field (render/limits.ts), the same shape as `sockdoc limits --json`. */
  limitOrigins: Array<ReturnType<typeof limitOriginToJson>>;
  /** Running programs with a connection cap of their own (docs/programs.md); [] when none (additive, issue 22). */
  programs: ProgramJson[];
  /** Optional: with --port P when P fails (nothing listening, loopback or IPv6 only, elsewhere only). */
  portCheck?: import('../port/check.js').PortCheck;
}

export interface ProgramCapJson {
  directive: string;
  value: number;
  scope: 'process' | 'instance' | 'listener';
  counts: 'process-sockets' | 'accepted';
  origin: 'config' | 'flag' | 'default' | 'fd-limit';
  file: string | null;
  line: number | null;
  configured: number | null;
  fromFdLimit: { soft: number; how: string } | null;
  approximate: boolean;
  atMost: boolean;
  saturatesAt: number | null;
  ports: number[];
  pids: number[];
  unixPath: string | null;
  atCap: 'queue' | 'refuse' | 'close';
  atCapText: string;
  where: string;
  fdCeiling: number | null;
  held: number | null;
  heldPid: number | null;
  queued: number;
}

export interface ProgramJson {
  program: string;
  label: string;
  pid: number;
  name: string;
  pids: number[];
  netns: number | null;
  unit: string | null;
  listeners: Array<{ address: string; port: number; netns: number; backlog: number | null }>;
  files: string[];
  configFrom: string | null;
  unknown: string | null;
  upstreams: Array<{ listenPorts: number[]; address: string; port: number; directive: string; file: string; line: number }>;
  caps: ProgramCapJson[];
  reload: { lines: string[]; blastRadius: string; restart: boolean };
  notes: string[];
}

/** One running program, fixed key order, absent values as null. */
function programJson(p: ProgramInstance): ProgramJson {
  return {
    program: p.program,
    label: p.label,
    pid: p.pid,
    name: p.name,
    pids: [...p.pids],
    netns: p.netns,
    unit: p.unit,
    listeners: p.listeners.map((l) => ({ address: l.address, port: l.port, netns: l.netns, backlog: l.backlog })),
    files: [...p.files],
    configFrom: p.configFrom ?? null,
    unknown: p.unknown,
    upstreams: (p.upstreams ?? []).map((u) => ({ listenPorts: [...u.listenPorts], address: u.address, port: u.port, directive: u.directive, file: u.file, line: u.line })),
    caps: p.caps.map((c) => ({
      directive: c.directive,
      value: c.value,
      scope: c.scope,
      counts: c.counts,
      origin: c.origin,
      file: c.file ?? null,
      line: c.line ?? null,
      configured: c.configured ?? null,
      fromFdLimit: c.fromFdLimit ? { ...c.fromFdLimit } : null,
      approximate: c.approximate === true,
      atMost: c.atMost === true,
      saturatesAt: c.saturatesAt ?? null,
      ports: [...(c.ports ?? [])],
      pids: [...(c.pids ?? [])],
      unixPath: c.unixPath ?? null,
      atCap: c.atCap,
      atCapText: c.atCapText,
      where: c.where,
      fdCeiling: c.fdCeiling ?? null,
      held: c.held,
      heldPid: c.heldPid ?? null,
      queued: c.queued,
    })),
    reload: { lines: [...p.reload.lines], blastRadius: p.reload.blastRadius, restart: p.reload.restart },
    notes: [...p.notes],
  };
}

export function findingJson(f: Finding): FindingJson {
  const subject: FindingSubject = {};
  // Fixed key order, absent keys left out: the JSON reads the same whoever built the finding.
  if (f.subject.pid !== undefined) subject.pid = f.subject.pid;
  if (f.subject.name !== undefined) subject.name = f.subject.name;
  if (f.subject.address !== undefined) subject.address = f.subject.address;
  if (f.subject.port !== undefined) subject.port = f.subject.port;
  if (f.subject.path !== undefined) subject.path = f.subject.path;
  if (f.subject.uid !== undefined) subject.uid = f.subject.uid;
  if (f.subject.user !== undefined) subject.user = f.subject.user;
  if (f.subject.userns !== undefined) subject.userns = f.subject.userns;
  if (f.subject.netns !== undefined) subject.netns = JSON.parse(JSON.stringify(f.subject.netns)) as NonNullable<FindingSubject['netns']>;
  return {
    id: f.id,
    ref: findingRef(f),
    severity: f.severity,
    subject,
    title: f.title,
    evidence: { ...f.evidence },
    explain: f.explain,
    fix: [...f.fix],
    related: [...(f.related ?? [])],
  };
}

/**
 * A process's command line as JSON shows it (redacted), made once per distinct (name, command line)
 * of a report: redaction costs ~60 µs a command line (a few dozen patterns), and thousands of
 * forked workers share one: 15,000 processes cost ~0.9 s of `--json` before.
 */
function cmdlineRedactor(): (p: ProcessInfo) => string {
  const seen = new Map<string, string>();
  return (p) => {
    const key = `${p.name}\u0000${p.cmdline}`;
    let value = seen.get(key);
    if (value === undefined) seen.set(key, (value = redactWords(p.cmdline, p.name).value));
    return value;
  };
}

function processJson(p: ProcessInfo, cmdline: (p: ProcessInfo) => string): ProcessJson {
  const sockets: Partial<Record<TcpState, number>> = {};
  for (const s of TCP_STATES) if (p.sockets[s]) sockets[s] = p.sockets[s];
  return {
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    // Values pass the one redaction model (src/snapshot/redact.ts; docs/json-schema.md): the name was at read time.
    cmdline: cmdline(p),
    uid: p.uid,
    user: p.user,
    fds: { ...p.fds },
    sockets,
    netns: p.netns,
    fdKinds: p.fdKinds ? { ...p.fdKinds } : null,
    inotify: p.inotify ? { instances: p.inotify.instances, watches: p.inotify.watches } : null,
    state: p.state ?? null,
    threads: p.threads ? { total: p.threads.total, byState: sortedRecord(p.threads.byState), truncated: p.threads.truncated } : null,
  };
}

function unixListenerJson(l: Listener): UnixListenerJson {
  return {
    netns: l.netns,
    path: l.address,
    abstract: l.unix?.abstract ?? l.address.startsWith('@'),
    type: l.unix?.type ?? 'stream',
    inode: l.inode,
    fileInode: l.unix?.fileInode ?? null,
    pids: [...l.pids],
    owners: l.owners.map((o) => ({ pid: o.pid, fd: o.fd })),
    acceptQueue: l.acceptQueue,
    backlog: l.backlog,
    queuedFrom: (l.unix?.queuedFrom ?? []).map((c) => ({ ...c })),
    queuedOrphans: l.unix?.queuedOrphans ?? 0,
  };
}

function listenerJson(l: Listener & { family: 4 | 6 }): ListenerJson {
  return {
    netns: l.netns,
    family: l.family,
    address: l.address,
    port: l.port,
    inode: l.inode,
    pids: [...l.pids],
    owners: l.owners.map((o) => ({ pid: o.pid, fd: o.fd })),
    acceptQueue: l.acceptQueue,
    backlog: l.backlog,
    backlogSource: l.backlogSource,
    v6only: l.v6only ?? null,
    synRecv: l.synRecv,
    establishedUnaccepted: l.establishedUnaccepted,
    closeWaitUnaccepted: l.closeWaitUnaccepted,
    drops: l.drops ?? null,
    dropsDelta: l.dropsDelta ?? null,
    acceptWait: l.acceptWait ? { measured: l.acceptWait.measured, unmeasured: l.acceptWait.unmeasured, maxMs: l.acceptWait.maxMs, medianMs: l.acceptWait.medianMs } : null,
  };
}

function namespaceJson(n: NetNamespace, sortedRecord: (r: Record<string, number>) => Record<string, number>): NamespaceJson {
  return {
    inode: n.inode,
    kind: n.kind,
    name: n.name,
    label: netnsLabel(n),
    container: n.container ? { ...n.container } : null,
    pod: n.pod ? { ...n.pod, containers: [...n.pod.containers] } : null,
    pids: [...n.pids],
    socketSource: n.socketSource,
    unixSource: n.unixSource ?? null,
    tunables: { ...n.tunables },
    counters: {
      values: sortedRecord(n.counters.values),
      deltas: n.counters.deltas === null ? null : sortedRecord(n.counters.deltas),
      intervalMs: n.counters.intervalMs,
    },
    listenerCount: n.listenerCount,
    partial: n.partial,
    empty: n.empty === true,
    ...(n.foundThrough ? { foundThrough: { ...n.foundThrough } } : {}),
    notes: [...n.notes],
  };
}

/** Durations to the microsecond: more digits are noise in a report. */
function probeJson(r: ProbeReport): ProbeReport {
  const out: ProbeReport = { probe: r.probe, source: r.source, status: r.status, ms: Math.round(r.ms * 1000) / 1000 };
  if (r.detail !== undefined) out.detail = r.detail;
  return out;
}

/** Keys sorted: two reports of one host diff cleanly. */
function sortedRecord(r: Record<string, number>): Record<string, number> {
  return recordSorter()(r);
}

/**
 * sortedRecord for many records of one report: the namespaces of one kernel share their counter
 * names, so the sorted order is made once per distinct list of keys, not once per namespace
 * (2,000 namespaces: ~300 keys each, values and deltas).
 */
function recordSorter(): (r: Record<string, number>) => Record<string, number> {
  let keysSeen: string[] = [];
  let order: string[] = [];
  return (r) => {
    const keys = Object.keys(r);
    if (keys.length !== keysSeen.length || keys.some((k, i) => k !== keysSeen[i])) {
      keysSeen = keys;
      order = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    const out: Record<string, number> = {};
    for (const k of order) out[k] = r[k];
    return out;
  };
}

export function diagnosisToJson(d: Diagnosis): DiagnosisJson {
  const s = d.snapshot;
  const counterSorter = recordSorter();
  const cmdline = cmdlineRedactor();
  const processes = filterProcesses(s, d.filter).map((p) => processJson(p, cmdline)).sort((a, b) => a.pid - b.pid);
  const shownPids = new Set(processes.map((p) => p.pid));
  const summary: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of d.findings) summary[f.severity]++;
  const counted = new Map<TcpState, number>();
  for (const sock of s.sockets) counted.set(sock.state, (counted.get(sock.state) ?? 0) + 1);
  // Kernel state order (include/net/tcp_states.h), not arrival order: stable across runs.
  const socketStates: Partial<Record<TcpState, number>> = {};
  for (const st of TCP_STATES) if (counted.has(st)) socketStates[st] = counted.get(st);
  return {
    schemaVersion: SCHEMA_VERSION,
    host: { hostname: s.host.hostname, kernel: s.host.kernel, root: s.host.root, takenAt: s.host.takenAt, capturedAt: s.host.capturedAt ?? null, asRoot: s.host.asRoot },
    window: { intervalMs: s.counters.intervalMs, sampled: s.counters.deltas !== null },
    partial: s.partial,
    filter: { pid: d.filter.pid ?? null, port: d.filter.port ?? null },
    scope: s.scope ? { ...s.scope } : null,
    summary,
    exitCode: d.exitCode,
    findings: d.findings.map(findingJson),
    // In the report's order (severity, causes before listeners before effects, each id worst first).
    groups: groupFindings(reportOrder(d.findings), s.identities).map(groupJson),
    processes,
    listeners: filterListeners(s, d.filter)
      .filter((l): l is Listener & { family: 4 | 6 } => l.family !== 'unix')
      .map(listenerJson),
    unixListeners: filterListeners(s, d.filter)
      .filter((l) => l.family === 'unix')
      .map(unixListenerJson),
    namespaces: (s.namespaces ?? []).map((n) => namespaceJson(n, counterSorter)),
    socketStates,
    tunables: { ...s.tunables },
    counters: {
      values: sortedRecord(s.counters.values),
      deltas: s.counters.deltas === null ? null : sortedRecord(s.counters.deltas),
      intervalMs: s.counters.intervalMs,
    },
    conntrack: s.conntrack
      ? { ...s.conntrack, stats: s.conntrack.stats && sortedRecord(s.conntrack.stats), statDeltas: s.conntrack.statDeltas && sortedRecord(s.conntrack.statDeltas) }
      : null,
    sockstat: s.sockstat ? { ...s.sockstat } : null,
    softnet: s.softnet ? { dropped: s.softnet.dropped, droppedDelta: s.softnet.droppedDelta, timeSqueeze: s.softnet.timeSqueeze, intervalMs: s.softnet.intervalMs, cpus: s.softnet.cpus.map((c) => ({ ...c })) } : null,
    probes: s.probes.map(probeJson),
    notes: [...s.notes],
    limitOrigins: [...s.limitOrigins.values()]
      .filter((o) => shownPids.has(o.pid))
      .sort((a, b) => a.pid - b.pid)
      .map(limitOriginToJson),
    programs: (s.programs ?? [])
      .filter((p) => (d.filter.pid === undefined || p.pids.includes(d.filter.pid)) && (d.filter.port === undefined || p.listeners.some((l) => l.port === d.filter.port)))
      .map(programJson),
    ...(d.portCheck ? { portCheck: structuredClone(d.portCheck) } : {}),
  };
}

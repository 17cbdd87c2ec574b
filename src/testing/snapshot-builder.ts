/**
 * Synthetic snapshots for rule tests: every field has a healthy default, tests state only
 * what matters to them.
 *
 * @example
 * const s = snapshot({
 *   processes: [proc({ pid: 100, name: 'server', open: 1020, soft: 1024 })],
 *   listeners: [listener({ port: 8889, pids: [100], acceptQueue: 129, backlog: 128 })],
 *   tunables: { 'net.core.somaxconn': 128 },
 *   deltas: { 'TcpExt.ListenOverflows': 12 },
 * });
 */
import type { ConntrackTable, Counters, Listener, Owner, ProcessInfo, Snapshot, Softnet, Sockstat, TcpSocket, TcpState, Tunables, FdKindCounts } from '../snapshot/types.js';
import type { LimitOrigin } from '../provenance/types.js';
import type { CapSpec, ProgramInstance } from '../provenance/programs/types.js';
import { acceptWaitOf } from '../snapshot/listeners.js';

export interface ProcSpec {
  pid: number;
  name?: string;
  ppid?: number;
  cmdline?: string;
  uid?: number;
  user?: string | null;
  /** Open fds; null = unreadable. Default 12. */
  open?: number | null;
  /** Soft RLIMIT_NOFILE; null = unknown/unlimited. Default 1024. */
  soft?: number | null;
  /** Hard RLIMIT_NOFILE. Default 524288. */
  hard?: number | null;
  sockets?: Partial<Record<TcpState, number>>;
  /** Network namespace inode; default 0 (the snapshot's first namespace). */
  netns?: number | null;
  /** Open fds by kind; default none (not told). */
  fdKinds?: FdKindCounts;
  inotify?: ProcessInfo['inotify'];
  euid?: number;
  /** /proc/PID/stat state letter; absent by default (not read). */
  state?: string;
  /** Thread states (`{ R: 8 }`); absent by default (not read). */
  threads?: Record<string, number>;
}

export function proc(spec: ProcSpec): ProcessInfo {
  const p: ProcessInfo = {
    pid: spec.pid,
    ppid: spec.ppid ?? 1,
    name: spec.name ?? `proc${spec.pid}`,
    cmdline: spec.cmdline ?? `/usr/bin/${spec.name ?? `proc${spec.pid}`}`,
    uid: spec.uid ?? 0,
    user: spec.user === undefined ? 'root' : spec.user,
    fds: {
      open: spec.open === undefined ? 12 : spec.open,
      soft: spec.soft === undefined ? 1024 : spec.soft,
      hard: spec.hard === undefined ? 524288 : spec.hard,
    },
    sockets: spec.sockets ?? {},
    netns: spec.netns === undefined ? 0 : spec.netns,
    ...(spec.state !== undefined ? { state: spec.state } : {}),
    ...(spec.threads !== undefined ? { threads: { total: Object.values(spec.threads).reduce((a, b) => a + b, 0), byState: { ...spec.threads }, truncated: false } } : {}),
  };
  if (spec.fdKinds) p.fdKinds = { ...spec.fdKinds };
  if (spec.inotify) p.inotify = { ...spec.inotify };
  if (spec.euid !== undefined) p.euid = spec.euid;
  return p;
}

export interface ListenerSpec extends Partial<Omit<Listener, 'owners' | 'pids'>> {
  port: number;
  /** Owning pids; each gets fd 3. Default none. */
  pids?: number[];
  /** Measured waits (ms) of the ESTABLISHED connections in the queue: sets acceptWait (and establishedUnaccepted, unless given). */
  waitsMs?: number[];
}

export function listener(spec: ListenerSpec): Listener {
  const pids = [...new Set(spec.pids ?? [])].sort((a, b) => a - b);
  const owners: Owner[] = pids.map((pid) => ({ pid, fd: 3 }));
  const family = spec.family ?? (spec.address?.includes(':') ? 6 : 4);
  const backlog = spec.backlog === undefined ? 4096 : spec.backlog;
  return {
    netns: spec.netns ?? 0,
    family,
    address: spec.address ?? (family === 6 ? '::' : '0.0.0.0'),
    port: spec.port,
    // Derived, not counted: no module-level state. Pass `inode` when two listeners share a port.
    inode: spec.inode ?? 40000 + spec.port * 2 + (family === 6 ? 1 : 0),
    owners,
    pids,
    acceptQueue: spec.acceptQueue ?? 0,
    backlog,
    backlogSource: spec.backlogSource === undefined ? (backlog === null ? null : 'sock_diag') : spec.backlogSource,
    v6only: spec.v6only ?? null,
    synRecv: spec.synRecv ?? 0,
    establishedUnaccepted: spec.establishedUnaccepted ?? spec.waitsMs?.length ?? 0,
    closeWaitUnaccepted: spec.closeWaitUnaccepted ?? 0,
    ...(spec.drops !== undefined ? { drops: spec.drops } : {}),
    ...(spec.dropsDelta !== undefined ? { dropsDelta: spec.dropsDelta } : {}),
    ...(spec.waitsMs !== undefined
      ? { acceptWait: acceptWaitOf([...spec.waitsMs], spec.establishedUnaccepted ?? spec.waitsMs.length) }
      : spec.acceptWait !== undefined
        ? { acceptWait: spec.acceptWait }
        : {}),
  };
}

/** Linux 6.x defaults on a machine with plenty of memory. */
export interface UnixListenerSpec {
  /** Its path or "@name". */
  path: string;
  type?: 'stream' | 'seqpacket';
  pids?: number[];
  acceptQueue?: number;
  /** Default 511 (php-fpm's); null = unknown (/proc/net/unix). */
  backlog?: number | null;
  queuedFrom?: Array<{ pid: number; connections: number }>;
  queuedOrphans?: number;
  netns?: number;
  inode?: number;
}

/** A unix-domain listener as the snapshot derives it (snapshot/listeners.ts deriveUnixListeners). */
export function unixListener(spec: UnixListenerSpec): Listener {
  const pids = [...new Set(spec.pids ?? [])].sort((a, b) => a - b);
  const backlog = spec.backlog === undefined ? 511 : spec.backlog;
  return {
    netns: spec.netns ?? 0,
    family: 'unix',
    address: spec.path,
    port: 0,
    inode: spec.inode ?? 90000 + spec.path.length,
    owners: pids.map((pid) => ({ pid, fd: 5 })),
    pids,
    acceptQueue: spec.acceptQueue ?? 0,
    backlog,
    backlogSource: backlog === null ? null : 'sock_diag',
    v6only: null,
    synRecv: 0,
    establishedUnaccepted: 0,
    closeWaitUnaccepted: 0,
    unix: {
      type: spec.type ?? 'stream',
      abstract: spec.path.startsWith('@'),
      fileInode: spec.path.startsWith('@') ? null : 123456,
      queuedFrom: spec.queuedFrom ?? [],
      queuedOrphans: spec.queuedOrphans ?? 0,
    },
  };
}

export function defaultTunables(): Tunables {
  return {
    'net.core.somaxconn': 4096,
    'net.ipv4.tcp_max_syn_backlog': 1024,
    'net.ipv4.tcp_syncookies': 1,
    'net.ipv4.tcp_abort_on_overflow': 0,
    'net.core.netdev_max_backlog': 1000,
    'fs.file-max': 9223372036854775807,
    'fs.nr_open': 1048576,
    'fs.file-nr': [2304, 0, 9223372036854775807],
    'net.ipv4.ip_local_port_range': [32768, 60999],
    'net.ipv4.ip_local_reserved_ports': [],
    'net.ipv4.tcp_tw_reuse': 2,
    'net.ipv4.tcp_mem': [287898, 383865, 575796],
    'net.ipv4.tcp_max_orphans': 131072,
  };
}

export interface SocketSpec extends Partial<TcpSocket> {
  /** Owning pid (fd 100 + index); none for TIME_WAIT. */
  pid?: number;
}

/** Outgoing connections from `local` to `remote`:`remotePort`, local ports counted up from `firstPort`. */
export function connections(n: number, spec: SocketSpec & { firstPort: number; remoteAddress: string; remotePort: number }): Array<TcpSocket & { pid?: number }> {
  const out: Array<TcpSocket & { pid?: number }> = [];
  for (let i = 0; i < n; i++) {
    const state = spec.state ?? 'ESTABLISHED';
    out.push({
      family: spec.family ?? (spec.remoteAddress.includes(':') ? 6 : 4),
      state,
      localAddress: spec.localAddress ?? (spec.remoteAddress.includes(':') ? '::1' : '127.0.0.1'),
      localPort: spec.firstPort + i,
      remoteAddress: spec.remoteAddress,
      remotePort: spec.remotePort,
      txQueue: 0,
      rxQueue: 0,
      uid: 0,
      inode: state === 'TIME_WAIT' || spec.pid === undefined ? 0 : 900000 + spec.firstPort + i,
      netns: spec.netns ?? 0,
      pid: spec.pid,
    });
  }
  return out;
}

/** A conntrack table with optional stats (totals) and deltas (null = one read). */
export function conntrackTable(spec: Partial<ConntrackTable> & { count: number }): ConntrackTable {
  return { max: 262144, buckets: 262144, stats: {}, statDeltas: {}, intervalMs: 1000, ...spec };
}

export interface SnapshotSpec {
  processes?: ProcessInfo[];
  listeners?: Listener[];
  tunables?: Partial<Tunables>;
  /** Counter values since boot. Default {}. */
  values?: Record<string, number>;
  /** Counter deltas; null = one read only. Default {} (a window with nothing counted). */
  deltas?: Record<string, number> | null;
  intervalMs?: number;
  limitOrigins?: LimitOrigin[];
  /** Sockets; those with a pid are owned by it (the owners map is filled). */
  sockets?: Array<TcpSocket & { pid?: number }>;
  conntrack?: ConntrackTable | null;
  sockstat?: Sockstat | null;
  softnet?: Softnet | null;
  /** Programs with a cap of their own (see program()). */
  programs?: ProgramInstance[];
}

export interface ProgramSpec {
  /** Catalogue id and label; default haproxy / HAProxy. */
  program?: string;
  label?: string;
  pid: number;
  /** Every pid of the instance; default [pid]. */
  pids?: number[];
  ports: number[];
  /** The cap, measured: directive and value, what it holds now, what waits in its listeners' queues. */
  cap: Partial<CapSpec> & { directive: string; value: number };
  held: number;
  queued?: number;
}

/** One running instance with one measured cap (defaults: an instance-wide cap counting accepted connections, clients queue at it). */
export function program(spec: ProgramSpec): ProgramInstance {
  const cap: ProgramInstance['caps'][number] = {
    scope: 'instance',
    counts: 'accepted',
    origin: 'config',
    file: '/etc/haproxy/haproxy.cfg',
    line: 3,
    ports: spec.ports,
    atCap: 'queue',
    atCapText: 'it stops accepting',
    where: 'the global section',
    setLine: `${spec.cap.directive} {}`,
    ...spec.cap,
    held: spec.held,
    queued: spec.queued ?? 0,
  };
  return {
    program: spec.program ?? 'haproxy',
    label: spec.label ?? 'HAProxy',
    pid: spec.pid,
    name: spec.program ?? 'haproxy',
    pids: spec.pids ?? [spec.pid],
    netns: 0,
    uid: 0,
    unit: null,
    listeners: spec.ports.map((port) => ({ address: '0.0.0.0', port, netns: 0, backlog: 511 })),
    files: [cap.file ?? '/etc/haproxy/haproxy.cfg'],
    caps: [cap],
    unknown: null,
    reload: { lines: [`kill -USR2 ${spec.pid}`], blastRadius: 'graceful', restart: false },
    notes: [],
  };
}

export function snapshot(spec: SnapshotSpec = {}): Snapshot {
  const listeners = spec.listeners ?? [];
  const owners = new Map<number, Owner[]>();
  for (const l of listeners) owners.set(l.inode, l.owners);
  const sockets: TcpSocket[] = [];
  (spec.sockets ?? []).forEach(({ pid, ...sock }, i) => {
    sockets.push(sock);
    if (pid !== undefined && sock.inode !== 0) owners.set(sock.inode, [{ pid, fd: 100 + i }]);
  });
  const deltas = spec.deltas === undefined ? {} : spec.deltas;
  const counters: Counters = {
    values: spec.values ?? {},
    deltas,
    intervalMs: spec.intervalMs ?? (deltas === null ? 0 : 1000),
  };
  const tunables = { ...defaultTunables(), ...spec.tunables };
  const processes = spec.processes ?? [];
  return {
    host: { hostname: 'test', kernel: '6.18.0', root: '/', takenAt: '2025-01-01T00:00:00.000Z', asRoot: true },
    namespaces: [
      {
        inode: 0,
        kind: 'host',
        name: 'host',
        pids: processes.map((p) => p.pid).sort((a, b) => a - b),
        socketSource: 'sock_diag',
        tunables,
        counters,
        listenerCount: listeners.length,
        conntrack: spec.conntrack ?? null,
        sockstat: spec.sockstat ?? null,
        partial: false,
        notes: [],
      },
    ],
    sockets,
    owners,
    processes,
    listeners,
    tunables,
    counters,
    conntrack: spec.conntrack ?? null,
    sockstat: spec.sockstat ?? null,
    softnet: spec.softnet ?? null,
    probes: [],
    notes: [],
    partial: false,
    limitOrigins: new Map((spec.limitOrigins ?? []).map((o) => [o.pid, o])),
    ...(spec.programs ? { programs: spec.programs } : {}),
  };
}

/** A busy but healthy host: queues short, processes far from their limits, nothing dropped. */
export function healthySnapshot(): Snapshot {
  return snapshot({
    processes: [
      proc({ pid: 1, name: 'systemd', open: 120, soft: 1024, hard: 524288 }),
      proc({ pid: 812, name: 'nginx', open: 300, soft: 65536, hard: 65536, sockets: { LISTEN: 2, ESTABLISHED: 240, CLOSE_WAIT: 2 } }),
      proc({ pid: 900, name: 'server', open: 40, soft: 524288, hard: 524288, sockets: { LISTEN: 1, ESTABLISHED: 12 } }),
      proc({ pid: 950, name: 'java', open: 200, soft: 1048576, hard: 1048576, sockets: { LISTEN: 1, ESTABLISHED: 20 } }),
    ],
    listeners: [
      listener({ port: 80, pids: [812], acceptQueue: 3, backlog: 511, synRecv: 2 }),
      listener({ address: '::', port: 443, pids: [812], acceptQueue: 0, backlog: 511 }),
      listener({ address: '::', port: 8889, pids: [900], acceptQueue: 1, backlog: 4096 }),
      listener({ address: '127.0.0.1', port: 8080, pids: [950], acceptQueue: 0, backlog: 50 }),
    ],
    values: { 'TcpExt.ListenOverflows': 0, 'TcpExt.ListenDrops': 0, 'TcpExt.SyncookiesSent': 0, 'TcpExt.TCPMemoryPressures': 0 },
    deltas: { 'TcpExt.ListenOverflows': 0, 'TcpExt.ListenDrops': 0, 'TcpExt.SyncookiesSent': 0, 'TcpExt.TCPMemoryPressures': 0 },
    // nf_conntrack loaded and in use, a connection pool to a database, some TIME_WAIT churn.
    conntrack: conntrackTable({ count: 3120, stats: { drop: 0, early_drop: 0, insert_failed: 0 }, statDeltas: { drop: 0, early_drop: 0, insert_failed: 0 } }),
    sockstat: { tcpInuse: 290, tcpOrphan: 3, tcpTimeWait: 120, tcpAlloc: 300, tcpMemPages: 180 },
    softnet: { cpus: [{ cpu: 0, processed: 90000, dropped: 0, timeSqueeze: 2 }, { cpu: 1, processed: 80000, dropped: 0, timeSqueeze: 0 }], dropped: 0, droppedDelta: 0, timeSqueeze: 2, intervalMs: 1000 },
    sockets: [
      ...connections(40, { firstPort: 41000, remoteAddress: '10.0.0.5', remotePort: 5432, localAddress: '10.0.0.2', pid: 950 }),
      ...connections(120, { firstPort: 45000, remoteAddress: '10.0.0.7', remotePort: 443, localAddress: '10.0.0.2', state: 'TIME_WAIT' }),
    ],
  });
}

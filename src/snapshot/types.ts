/**
 * The host snapshot: one consistent read of everything sockdoc reasons about.
 * Rules are pure functions over this; renderers only format it.
 */
import type { SocketTable } from './socket-table.js';

/** TCP states by their kernel names (include/net/tcp_states.h). */
export const TCP_STATES = [
  'ESTABLISHED', // 01
  'SYN_SENT', // 02
  'SYN_RECV', // 03 (also request sockets printed by get_openreq4, inode 0)
  'FIN_WAIT1', // 04
  'FIN_WAIT2', // 05
  'TIME_WAIT', // 06 (get_timewait4_sock, inode 0)
  'CLOSE', // 07
  'CLOSE_WAIT', // 08
  'LAST_ACK', // 09
  'LISTEN', // 0A
  'CLOSING', // 0B
] as const;
export type TcpState = (typeof TCP_STATES)[number];

/** ss's state names (iproute2 misc/ss.c `sstate_name`) -> kernel names. */
export const SS_STATE_NAMES: Readonly<Record<string, TcpState>> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  UNCONN: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

/** One line of /proc/net/tcp or /proc/net/tcp6. */
export interface TcpSocket {
  /** 4 for /proc/net/tcp, 6 for /proc/net/tcp6 (v4-mapped addresses stay 6). */
  family: 4 | 6;
  state: TcpState;
  /** Printable address: "127.0.0.1", "::1", "::ffff:127.0.0.1", "::". */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** LISTEN: 0. Others: unacknowledged bytes (write_seq - snd_una). */
  txQueue: number;
  /** LISTEN: current accept-queue length (sk_ack_backlog). Others: unread bytes. */
  rxQueue: number;
  uid: number;
  /** 0 = no file: still in an accept queue, a request socket, TIME_WAIT, or orphaned. */
  inode: number;
  /** The network namespace the socket lives in (see NetnsInode). */
  netns: NetnsInode;
  /**
   * LISTEN only: handshakes the kernel dropped on this listener since it was created (sk_drops,
   * SK_MEMINFO_DROPS of sock_diag's INET_DIAG_SKMEMINFO; `ss -tlm` prints it as d<N>). Absent when
   * unknown (/proc/net/tcp does not show it).
   */
  drops?: number;
  /**
   * A connection no process holds yet (ESTABLISHED or CLOSE_WAIT, inode 0, on a listening port):
   * milliseconds since its handshake completed, i.e. how long it has waited in the accept queue
   * (tcp_info last_data_sent: native/childinfo.c). Absent when not measured.
   */
  waitedMs?: number;
}

/** The kinds the fd walk tells apart, in native/fdkind.h order (src/probe/fd-kinds.ts says how). */
export const WALK_KINDS = ['socket', 'pipe', 'eventpoll', 'eventfd', 'inotify', 'timerfd', 'signalfd', 'pidfd', 'io_uring', 'anon', 'file', 'device', 'other', 'unknown'] as const;
export type WalkKind = (typeof WALK_KINDS)[number];

/** Socket families a socket fd is split into by its inode; `socket` = another family (vsock, SCTP, ...) or not found. */
export const SOCKET_KINDS = ['tcp', 'udp', 'unix', 'netlink', 'raw', 'packet', 'socket'] as const;
export type SocketKind = (typeof SOCKET_KINDS)[number];

/** Every kind a process's fds are counted in: a fixed list (bounded metric labels). */
export const FD_KINDS = [...SOCKET_KINDS, ...WALK_KINDS.filter((k): k is Exclude<WalkKind, 'socket'> => k !== 'socket')] as const;
export type FdKind = SocketKind | Exclude<WalkKind, 'socket'>;

/** Open fds per kind; kinds with none are left out. */
export type FdKindCounts = Partial<Record<FdKind, number>>;

/** A process holding a socket: /proc/PID/fd/FD -> socket:[inode]. */
export interface Owner {
  pid: number;
  fd: number;
}

/** RLIMIT_NOFILE as in /proc/PID/limits ("Max open files"). null = could not be read. */
export interface FdUsage {
  /** Entries in /proc/PID/fd; null when the directory could not be read (not root). */
  open: number | null;
  /** Soft limit; null when unknown or "unlimited". */
  soft: number | null;
  hard: number | null;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** comm from /proc/PID/stat (max 15 chars, as the kernel keeps it). */
  name: string;
  /** /proc/PID/cmdline joined with spaces; "" for kernel threads. */
  cmdline: string;
  /** Real uid from /proc/PID/status. */
  uid: number;
  /** Effective uid (inotify instances are charged to it); absent in snapshots made before it was read. */
  euid?: number;
  /** Name for uid from ROOT/etc/passwd, or null. */
  user: string | null;
  fds: FdUsage;
  /** Sockets this process holds, counted by state (only states present). */
  sockets: Partial<Record<TcpState, number>>;
  /** Network namespace from /proc/PID/ns/net; null when it could not be read. */
  netns: NetnsInode | null;
  /**
   * The namespaces of the TCP sockets it holds (ascending), present only when one is not `netns`: a
   * process that changed namespace after making them, or was passed them (snapshot/orphan-netns.ts).
   * A command about its sockets runs there, not where the process is.
   */
  tcpNetns?: NetnsInode[];
  /**
   * Its open fds by kind (sockets by family, pipes, eventpoll, inotify, files, devices, ...):
   * every fd counts once, so the kinds add up to `fds.open`. Absent when the walk could not tell.
   */
  fdKinds?: FdKindCounts;
  /** The inotify instances it holds and their watches (null: an fdinfo could not be read); absent when none. */
  inotify?: { instances: number; watches: number | null; userns: number | null };
  /**
   * State letter from /proc/PID/stat (R running, S sleeping, D uninterruptible, T stopped by a
   * signal, t stopped by a tracer, Z zombie; fs/proc/array.c task_state_array). Absent = not read.
   */
  state?: string;
  /**
   * Its threads' states, read only for the owners of listeners whose clients wait (accept-wait-long
   * tells "all threads busy" apart from "idle and not accepting"); absent = not read.
   */
  threads?: ThreadStates | null;
}

/** What a process runs, to tell programs of one name apart (probe/pid-identity.ts). */
export interface ProcessIdentity {
  /** /proc/PID/exe as read, " (deleted)" kept off; null when it could not be read. */
  exe: string | null;
  /** The systemd unit that runs it, template instances folded (`app@.service`); null for none (a session, a container) or unreadable. */
  unit: string | null;
  /** Its real uid and that user's name, from the snapshot's process (absent when the snapshot does not hold it). */
  uid?: number | null;
  user?: string | null;
}

/** A unix-domain socket's type (include/linux/net.h: SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5). */
export type UnixSocketType = 'stream' | 'dgram' | 'seqpacket';

/** One unix-domain socket, from unix_diag (net/unix/diag.c) or /proc/net/unix. */
export interface UnixSocket {
  type: UnixSocketType;
  /** LISTEN, ESTABLISHED (connected), CLOSE (unconnected), SYN_SENT (connecting): unix sockets reuse the TCP state numbers. */
  state: TcpState;
  /** The socket's inode (sockfs), the N of /proc/PID/fd's "socket:[N]": host-wide unique. */
  inode: number;
  /** "/run/php/php-fpm.sock", "@name" for an abstract name (NULs as "@"), null when unbound. */
  name: string | null;
  /** LISTEN: connections waiting for accept(); otherwise data queued for reading. null = unknown (/proc/net/unix). */
  rqueue: number | null;
  /** LISTEN: the backlog (sk_max_ack_backlog, capped by net.core.somaxconn); otherwise data not yet read by the peer. null = unknown. */
  wqueue: number | null;
  /** Inode of the connected peer, 0 for none; null when unknown (/proc/net/unix). */
  peer: number | null;
  /** Inode of the socket file a path socket was bound to (UNIX_DIAG_VFS); null when none or unknown. */
  fileInode: number | null;
  /** LISTEN: inodes of the client sockets whose connections wait in the queue (UNIX_DIAG_ICONS). */
  queued?: number[];
  netns: NetnsInode;
}

/** What a unix-domain listener has besides the fields it shares with a TCP one. */
export interface UnixListenerInfo {
  type: 'stream' | 'seqpacket';
  /** An abstract name (no file; "@name"), per network namespace. */
  abstract: boolean;
  /** Inode of the socket file (stat -c %i PATH), null for an abstract name or when unknown. */
  fileInode: number | null;
  /** Processes whose connections wait in the queue (UNIX_DIAG_ICONS peers and their fd holders), most first. */
  queuedFrom: Array<{ pid: number; connections: number }>;
  /** Queued connections whose client socket no process holds any more (the client gave up and closed). */
  queuedOrphans: number;
}

/**
 * A user namespace of processes holding inotify instances, with the limits inotify is held to in it
 * (kernel/ucount.c: per uid, per user namespace, charged up through every parent to the owner).
 */
export interface UserNamespace {
  /** Inode of /proc/PID/ns/user ("user:[INODE]"); 0 when unknown. */
  inode: number;
  /** sockdoc's own (the initial one on a host; the top of what it can see). */
  own: boolean;
  /** The uid that created it (NS_GET_OWNER_UID), as the host sees it; null for sockdoc's own or unknown. */
  owner: number | null;
  /** Its parent's inode; null for sockdoc's own or unknown. */
  parent: number | null;
  /** max_inotify_instances read inside it (fs.inotify.max_user_instances in the initial one); null = unknown. */
  maxInotifyInstances: number | null;
  /** max_inotify_watches read inside it (fs.inotify.max_user_watches in the initial one); null = unknown. */
  maxInotifyWatches: number | null;
}

/** A LISTEN socket with what waits behind it: TCP, or a unix-domain stream / seqpacket one. */
export interface Listener {
  /** The network namespace the listener lives in: with it, (netns, address, port) identifies a listener. */
  netns: NetnsInode;
  /** 4 or 6 for TCP; 'unix' for a unix-domain listener, whose `address` is its path or @name and `port` 0. */
  family: 4 | 6 | 'unix';
  address: string;
  port: number;
  /** Unix listeners only. */
  unix?: UnixListenerInfo;
  inode: number;
  owners: Owner[];
  /** Distinct pids among owners, ascending. */
  pids: number[];
  /** Current accept-queue length (sk_ack_backlog). */
  acceptQueue: number;
  /**
   * IPV6_V6ONLY of an IPv6 listener, from sock_diag's INET_DIAG_SKV6ONLY attribute: true = IPv6
   * clients only (ss prints [::]:P), false = IPv4 too (ss prints *:P). null when unknown
   * (/proc/net/tcp6 does not show it) and for IPv4 listeners. Absent = not read.
   */
  v6only?: boolean | null;
  /** sk_max_ack_backlog = min(requested backlog, somaxconn) via sock_diag; null when unknown. */
  backlog: number | null;
  /** Where `backlog` came from. */
  backlogSource: 'sock_diag' | 'ss' | null;
  /** SYN_RECV sockets (pending handshakes) on this listener's address and port (0 for unix listeners). */
  synRecv: number;
  /** ESTABLISHED sockets with inode 0 on this listener: completed, waiting for accept(). */
  establishedUnaccepted: number;
  /** CLOSE_WAIT sockets with inode 0 on this listener: the peer left before accept(). */
  closeWaitUnaccepted: number;
  /**
   * Handshakes the kernel dropped on this listener since it was created (sk_drops: tcp_listendrop()
   * counts each ListenDrops on the listener it happened to, since Linux 4.7; `ss -tlm` d<N>).
   * null when unknown (sockets read from /proc/net/tcp, a capture without it); absent = not read.
   */
  drops?: number | null;
  /**
   * Increase of `drops` during the sampling window (diagnose --interval, the time since the previous
   * sample in watch and serve): "dropping now", where `drops` alone is history. null with one read
   * or when either end is unknown; absent = not read.
   */
  dropsDelta?: number | null;
  /** How long the clients in its accept queue have waited; null when unknown (not from sock_diag); absent = not read. */
  acceptWait?: AcceptWait | null;
}

/**
 * How long the connections waiting in a listener's accept queue (ESTABLISHED, no owner yet) have
 * waited since their handshake completed: the tcp_info of each (TcpSocket.waitedMs). CLOSE_WAIT
 * ones, whose clients already left, are not counted (close-wait-unaccepted is about them).
 */
export interface AcceptWait {
  /** Waiting connections whose wait was measured. */
  measured: number;
  /** Waiting connections not measured (gone between the dump and the lookup, or over the lookup bound). */
  unmeasured: number;
  /** The longest wait, ms (0 when none is measured). */
  maxMs: number;
  /** The median wait, ms (0 when none is measured). */
  medianMs: number;
  /** Every measured wait, ms, longest first. Not in the JSON (its length is the queue's). */
  waitsMs: number[];
}

/** How the threads of a process spend their time: counts of /proc/PID/task/TID/stat states. */
export interface ThreadStates {
  /** Threads listed. */
  total: number;
  /** Count per state letter (R running, S sleeping, D uninterruptible, T stopped, …); only letters seen. */
  byState: Record<string, number>;
  /** True when the listing stopped at the bound (THREAD_SCAN_MAX): the counts are of the first threads. */
  truncated: boolean;
}

/** Kernel tunables, keyed by their sysctl names. null = absent or unreadable. */
export interface Tunables {
  'net.core.somaxconn': number | null;
  'net.ipv4.tcp_max_syn_backlog': number | null;
  'net.ipv4.tcp_syncookies': number | null;
  'net.ipv4.tcp_abort_on_overflow': number | null;
  'net.core.netdev_max_backlog': number | null;
  'fs.file-max': number | null;
  'fs.nr_open': number | null;
  /** allocated, free (always 0 since 2.6), max. */
  'fs.file-nr': [number, number, number] | null;
  'net.ipv4.ip_local_port_range': [number, number] | null;
  /** Ports connect() and bind(0) never pick: ranges [low, high] ("8080,9000-9010" -> [[8080,8080],[9000,9010]]); [] when none. */
  'net.ipv4.ip_local_reserved_ports'?: Array<[number, number]> | null;
  /** 0 off, 1 on, 2 loopback only (the current default): may connect() reuse a TIME_WAIT 4-tuple. */
  'net.ipv4.tcp_tw_reuse'?: number | null;
  /** min, pressure, max in pages (net/ipv4/tcp.c tcp_init_mem); host-wide, initial namespace only. */
  'net.ipv4.tcp_mem'?: [number, number, number] | null;
  /** Orphaned (closed, still sending) TCP sockets allowed before the kernel resets them; host-wide. */
  'net.ipv4.tcp_max_orphans'?: number | null;
}

/** Counters from /proc/net/netstat and /proc/net/snmp, keyed "Prefix.Name" (e.g. "TcpExt.ListenOverflows"). */
export interface Counters {
  /** Values at the end of the window (since boot / namespace creation). */
  values: Record<string, number>;
  /** Increase over the window; null when only one read was made (--interval 0). */
  deltas: Record<string, number> | null;
  /** Window length in ms (0 for one read). */
  intervalMs: number;
}

/**
 * Connection tracking of one network namespace (nf_conntrack). Each namespace has its own table
 * count, held to the one host-wide nf_conntrack_max (net/netfilter/nf_conntrack_core.c
 * `__nf_conntrack_alloc`: per-namespace `cnet->count` > `nf_conntrack_max` -> early drop, else
 * "nf_conntrack: table full, dropping packet"); the limit is writable in the initial namespace only.
 */
export interface ConntrackTable {
  /** nf_conntrack_count: entries in this namespace's table now. */
  count: number;
  /** nf_conntrack_max; null when unreadable. */
  max: number | null;
  /** nf_conntrack_buckets (hash size, host-wide); null when unreadable. */
  buckets: number | null;
  /** /proc/net/stat/nf_conntrack columns summed over CPUs (drop, early_drop, insert_failed, ...); null when unreadable. */
  stats: Record<string, number> | null;
  /** Increase of `stats` over the window; null with one read. */
  statDeltas: Record<string, number> | null;
  intervalMs: number;
}

/** The TCP line of /proc/net/sockstat (net/ipv4/proc.c sockstat_seq_show). */
export interface Sockstat {
  /** TCP sockets in use in the reader's namespace. */
  tcpInuse: number;
  /** Orphaned TCP sockets (closed by their program, still finishing), host-wide. */
  tcpOrphan: number;
  /** TIME_WAIT sockets of the reader's namespace. */
  tcpTimeWait: number;
  tcpAlloc: number;
  /** Pages of memory TCP holds, host-wide; compared with net.ipv4.tcp_mem. */
  tcpMemPages: number;
}

/** One row of /proc/net/softnet_stat (hex in the file). */
export interface SoftnetCpu {
  cpu: number;
  processed: number;
  /** Packets dropped because this CPU's input backlog held net.core.netdev_max_backlog packets. */
  dropped: number;
  /** Times the receive softirq ran out of budget with work left. */
  timeSqueeze: number;
}

/** /proc/net/softnet_stat summed, with the drop increase over the window. Host-wide. */
export interface Softnet {
  cpus: SoftnetCpu[];
  dropped: number;
  /** null with one read. */
  droppedDelta: number | null;
  timeSqueeze: number;
  intervalMs: number;
}

/** What one probe saw: the report can say what it could not see. */
export interface ProbeReport {
  /** Probe name, e.g. "net-tcp", "pid-fd", "sock-diag". */
  probe: string;
  /** Path (under the root) or interface the probe read. */
  source: string;
  status: 'ok' | 'absent' | 'denied' | 'failed' | 'partial';
  ms: number;
  /** One line for the person reading the report, when status is not ok. */
  detail?: string;
}

export interface HostInfo {
  hostname: string | null;
  kernel: string | null;
  /** Filesystem root the snapshot was read from ("/" for the live host). */
  root: string;
  takenAt: string;
  /** A capture's own time (ROOT/sockdoc-capture.json); null for the live host or an older capture without it. */
  capturedAt?: string | null;
  /** Effective uid of sockdoc == 0 (only meaningful for a live read). */
  asRoot: boolean;
  /**
   * sockdoc's own process holds CAP_SYS_RESOURCE (live only; null for a capture or when unknown):
   * the stand-in for the shell that pastes fix lines, so a rule offers a hard-limit raise only then.
   */
  canRaiseLimits?: boolean | null;
}

/**
 * Inode of a network namespace: the INODE of the link /proc/PID/ns/net -> "net:[INODE]" (nsfs,
 * namespaces(7)). 0 = not known (a capture that did not record namespaces): the namespace the tree
 * was read from.
 */
export type NetnsInode = number;

/** How the namespace's user knows it. "host" = the namespace of pid 1 (or the lowest visible pid). */
export type NetnsKind = 'host' | 'docker' | 'kubernetes' | 'podman' | 'lxc' | 'nspawn' | 'netns' | 'other';

/** A container whose processes live in a namespace, from the cgroup path and the runtime's state files. */
export interface ContainerRef {
  runtime: 'docker' | 'containerd' | 'cri-o' | 'podman' | 'lxc' | 'nspawn';
  /** Full container id (64 hex for docker/containerd/CRI-O/podman), or the machine/container name. */
  id: string;
  /** Name as the user gave it (docker `Name` without the slash), or null when unknown. */
  name: string | null;
  image?: string | null;
}

/** A Kubernetes pod sharing one network namespace. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string | null;
  /** Names of its containers, when known from /var/log/pods. */
  containers: string[];
}

/** A network namespace's identity, as findings and renderers name it. */
export interface NetnsRef {
  inode: NetnsInode;
  kind: NetnsKind;
  /** Human name: "host", an `ip netns` name, a container or pod name, or "netns INODE (pid P name)". */
  name: string;
  container?: ContainerRef;
  pod?: PodRef;
}

/** Everything read from one network namespace: its own sysctls and TcpExt counters. */
export interface NetNamespace extends NetnsRef {
  /** Visible processes whose /proc/PID/ns/net is this namespace, ascending. */
  pids: number[];
  /** Where its sockets came from: a sock_diag dump made inside it, its /proc/PID/net/tcp{,6}, or nothing. */
  socketSource: 'sock_diag' | 'proc' | null;
  /** Where its unix-domain sockets came from: unix_diag (with queue lengths), /proc/net/unix (without), or nothing; absent when not read. */
  unixSource?: 'unix_diag' | 'proc' | null;
  /** Read from inside the namespace (net.* sysctls are per namespace; fs.* are host-wide). */
  tunables: Tunables;
  counters: Counters;
  listenerCount: number;
  /** Its conntrack table; null when nf_conntrack is not loaded (nothing to judge), absent when not read. */
  conntrack?: ConntrackTable | null;
  /** Its /proc/net/sockstat; null when unreadable, absent when not read. */
  sockstat?: Sockstat | null;
  /**
   * Its owned CLOSE_WAIT sockets at the start of the sampling window (snapshot/window.ts), and the
   * window's length; null or absent when there was no window or its start could not be read. A
   * CLOSE_WAIT socket whose inode is in `inodes` stayed the whole window.
   */
  closeWaitAtStart?: { inodes: ReadonlySet<number>; windowMs: number } | null;
  /** True when something of this namespace could not be read. */
  partial: boolean;
  /**
   * Its sockstat, read inside it, counted no socket (none a program made, no TCP socket, none in
   * TIME_WAIT: probe/sockstat.ts sockstatEmpty), so nothing else of it was read: its net.* tunables
   * are null and its counters empty, not because they failed but because nothing in it can queue,
   * drop, leak or wait on a connection. Absent when it held sockets (or was not read that way).
   */
  empty?: boolean;
  /**
   * Found through a socket a process holds (snapshot/orphan-netns.ts: pidfd_getfd + SIOCGSKNS), not
   * through a process in it or a /run/netns name: no process is in it (`pids` is empty). The socket's
   * holder, the fd and the socket's inode. Absent for a namespace found the usual way.
   */
  foundThrough?: { pid: number; fd: number; socket: number };
  /** Sentences naming what was not seen in this namespace. */
  notes: string[];
}

/** One network namespace at one moment: what a sampling window compares (snapshot/window.ts). */
export interface NetnsPoint {
  /** TcpExt/Tcp counter values; null when they could not be read. */
  counters: Readonly<Record<string, number>> | null;
  /** Inodes of its owned CLOSE_WAIT sockets (never 0); null when its sockets could not be read. */
  closeWait: ReadonlySet<number> | null;
  /** Its conntrack table with the stat columns (only the namespace sockdoc runs in has it read). */
  conntrack?: ConntrackTable | null;
  /**
   * Each listener's own drops (listener inode -> sk_drops, INET_DIAG_SKMEMINFO): a listener whose
   * drops rose by the end drops now, one absent here was created since. Absent or null: unknown.
   */
  listenerDrops?: ReadonlyMap<number, number> | null;
  /** Its sockstat counted no socket then (probe/netns-read.ts): no CLOSE_WAIT, no listener, its counters not read. */
  empty?: boolean;
}

/** The start of a sampling window: every namespace read then, and host-wide facts. */
export interface WindowStart {
  byNetns: ReadonlyMap<NetnsInode, NetnsPoint>;
  /** The snapshot-level conntrack (that of the namespace sockdoc runs in), when read. */
  conntrack?: ConntrackTable | null;
  softnet?: Softnet | null;
}

export interface Snapshot {
  host: HostInfo;
  /**
   * Every network namespace read. The first is the one sockdoc runs in (the host's, kind "host",
   * unless it was started inside another namespace); its tunables and counters are `tunables` /
   * `counters` below.
   */
  namespaces: NetNamespace[];
  /**
   * Every TCP socket of every namespace read. A live snapshot builds this array on first use;
   * hot loops read the same sockets as columns through socketTableOf (snapshot/socket-table.ts).
   */
  sockets: TcpSocket[];
  /** The columns of `sockets` when they were read as columns: read through socketTableOf, not directly. */
  socketTable?: SocketTable;
  /** Every unix-domain socket of every namespace read; absent in snapshots made before they were read. */
  unixSockets?: UnixSocket[];
  /** The user namespaces of inotify holders and sockdoc's own (first), with their inotify limits; absent when not read. */
  userNamespaces?: UserNamespace[];
  /** inode -> every (pid, fd) holding it. */
  owners: Map<number, Owner[]>;
  processes: ProcessInfo[];
  listeners: Listener[];
  /** The first namespace's (the host's) tunables and counters, as before namespaces were read. */
  tunables: Tunables;
  counters: Counters;
  /** The first namespace's conntrack and sockstat (as on NetNamespace), and the host-wide softnet_stat. */
  conntrack?: ConntrackTable | null;
  sockstat?: Sockstat | null;
  softnet?: Softnet | null;
  probes: ProbeReport[];
  /** Plain sentences about what could not be seen or was approximated. */
  notes: string[];
  /** True when something expected could not be read: results are incomplete. */
  partial: boolean;
  /**
   * A scoped read (`--netns/--container/--pod`, `--pid`): what was asked, and how many of the
   * namespaces seen were read (the others were named, not read). Absent for a whole-host read.
   */
  scope?: { asked: string; read: number; seen: number };
  /** Where each examined process's fd limit came from (filled by provenance, keyed by pid). */
  limitOrigins: Map<number, import('../provenance/types.js').LimitOrigin>;
  /**
   * What the processes the findings name run (executable, systemd unit), keyed by pid: read by
   * diagnose after the rules, for grouping (render/groups.ts). Absent when not read (a snapshot
   * made in a test): findings then group by process name.
   */
  identities?: Map<number, ProcessIdentity>;
  /**
   * Running programs with a connection cap of their own (nginx worker_connections, HAProxy maxconn,
   * Redis maxclients, ...: src/provenance/programs/), each with its caps and what it holds now.
   * Absent when not read (a snapshot built by hand).
   */
  programs?: import('../provenance/programs/types.js').ProgramInstance[];
}

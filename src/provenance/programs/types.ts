/**
 * The program catalogue: servers that stop taking connections at a cap of their own, below any
 * kernel queue or fd limit (nginx worker_connections, HAProxy maxconn, Redis maxclients, ...). Each
 * entry says how the program is recognised, where its cap lives (configuration directive, command-
 * line flag, default by version, or the value it derives from its fd limit), what clients meet at
 * the cap, and how the program reloads a changed value. docs/programs.md is written from these.
 */
import type { NetnsInode } from '../../snapshot/types.js';
import type { ConfigReader } from './config-reader.js';
import type { LaunchCommand } from '../launch-command.js';

/** What clients meet when the program is at its cap. */
export type AtCap =
  /** It stops calling accept(): connections wait in the listen queue, then handshakes are dropped when it fills. */
  | 'queue'
  /** It accepts, answers with an error and closes (Redis, MySQL, PostgreSQL, PgBouncer, uvicorn's 503). */
  | 'refuse'
  /** It accepts and closes at once, and closes idle keep-alive connections to make room (nginx). */
  | 'close';

/** Where the value in force comes from. */
export type CapOrigin = 'config' | 'flag' | 'default' | 'fd-limit';

/** One connection cap of a running program, as its configuration and fd limit give it. */
export interface CapSpec {
  /** The directive as the program names it: "worker_connections", "maxconn", "maxclients". */
  directive: string;
  /** The value in force. */
  value: number;
  /** What the cap bounds: each process alone (nginx workers), the whole instance, or some listeners. */
  scope: 'process' | 'instance' | 'listener';
  /**
   * What counts against it: every TCP socket the process holds, listeners and upstream connections
   * included (nginx), or the connections accepted on the cap's ports (everything else).
   */
  counts: 'process-sockets' | 'accepted';
  /** Slots the program spends on itself that sockdoc cannot see (nginx: the channel to its master). */
  reserved?: number;
  /**
   * The count from which the program behaves as at its cap, when that is below `value`: nginx keeps
   * one slot turning over (it accepts, then drains an idle keep-alive), and with accept_mutex on it
   * stops accepting at 7/8 (ngx_accept_disabled). Absent: `value`.
   */
  saturatesAt?: number;
  origin: CapOrigin;
  /** The file and line that set it (origin config). */
  file?: string;
  line?: number;
  /** The value configured when the program lowered it to fit its fd limit (Redis). */
  configured?: number;
  /** When the value follows from the fd limit: the soft limit it came from, and how, in words. */
  fromFdLimit?: { soft: number; how: string };
  /** The value is computed as the program does, to within a few (HAProxy's derived maxconn). */
  approximate?: boolean;
  /** Only for the value in force is an upper bound: the configuration was not read (Redis: at most fd limit − 32). */
  atMost?: boolean;
  /** scope listener/instance: the ports it covers (empty: every port of the instance). */
  ports?: number[];
  /** scope process: the pids it applies to, each alone. */
  pids?: number[];
  /** A cap on a unix-socket listener (a PHP-FPM pool): its path. Not measured from TCP sockets. */
  unixPath?: string;
  atCap: AtCap;
  /** What clients meet, in the program's own words ('-ERR max number of clients reached'). */
  atCapText: string;
  /** Where the directive goes: "the events { } block of nginx.conf", "the global section". */
  where: string;
  /** The most the fd limit allows for this value (connections need descriptors); null when not bound by it. */
  fdCeiling?: number | null;
  /** `value` is the directive × this (gunicorn worker_connections per worker × workers); the fix divides by it. */
  multiplier?: number;
  /** The configuration line that sets the directive, "{}" standing for the value: "worker_connections {};". */
  setLine: string;
}

/** How a changed value takes effect. */
export interface ReloadSpec {
  /** Commands, in order (each host word quoted by the entry). */
  lines: string[];
  /** What the reload or restart stops. */
  blastRadius: string;
  /** true: a restart is needed (the value is read at start only). */
  restart: boolean;
  /** The lines talk to the program over its listener (redis-cli, mysql): they run in its network namespace. */
  viaListener?: boolean;
}

/** A process as the catalogue sees it. */
export interface ProgramProcess {
  pid: number;
  ppid: number;
  /** comm. */
  name: string;
  /** /proc/PID/cmdline joined with spaces (the title a program set, when it set one). */
  cmdline: string;
  uid: number;
  soft: number | null;
  hard: number | null;
}

/** A listener the instance holds. */
export interface ProgramListener {
  address: string;
  port: number;
  netns: NetnsInode;
  backlog: number | null;
}

/** What an entry is given to read one running instance. */
export interface ProgramCase {
  root: string;
  reader: ConfigReader;
  /** The instance's first process (master, postmaster, the single process). */
  main: ProgramProcess;
  /** Its argv as the kernel has it (one string for a program that rewrote its title). */
  argv: string[];
  /** The command line it was started with, from its launcher (the unit's ExecStart=, supervisord's command=); null when none says. */
  launch: LaunchCommand | null;
  /** The systemd unit it runs in, or null. */
  unit: string | null;
  /** Its working directory (relative config paths), "/" when unknown. */
  cwd: string;
  /** The other processes of the instance (workers, backends). */
  workers: ProgramProcess[];
  listeners: ProgramListener[];
}

/** What an entry found: its caps, or why they are unknown; how to reload. */
export interface CapReading {
  caps: CapSpec[];
  /** Why the cap is not known (the configuration could not be read): said, never guessed. */
  unknown?: string;
  reload: ReloadSpec;
  /** How the configuration file was found when the program's own command line does not name it. */
  configFrom?: string;
  /** Where a proxy sends connections (nginx proxy_pass, HAProxy backend servers): `sockdoc port` follows them. */
  upstreams?: Upstream[];
  /** What sockdoc could not read or noticed, one sentence each (they become the snapshot's notes). */
  notes: string[];
  /**
   * Set when the instance answers whoever reaches its port without authentication (Redis without
   * requirepass or an ACL, memcached without SASL, php-fpm's FastCGI): why, in one sentence. A fix
   * never offers to bind such a listener to every address (src/port/exposure.ts).
   */
  unauthenticated?: string;
}

/** A proxy's upstream: connections to `listenPorts` ([] = any of its ports) go to address:port. */
export interface Upstream {
  listenPorts: number[];
  address: string;
  port: number;
  /** "proxy_pass", "server s1 of backend app". */
  directive: string;
  file: string;
  line: number;
}

export interface Program {
  id: string;
  /** How people name it in prose: "nginx", "HAProxy", "Redis". */
  label: string;
  /** Catalogue text (docs/programs.md is written from these; a test keeps them filled in). */
  recognisedBy: string;
  capLives: string;
  defaults: string;
  fromFdLimit: string;
  atCapDoc: string;
  reloadDoc: string;
  /** Read even when it holds no TCP listener (its listeners may be unix sockets). */
  unixListeners?: boolean;
  /** Is this process the program, and which part: the instance's first process, or a worker of it? */
  role(p: ProgramProcess): 'main' | 'worker' | null;
  /** The caps of one running instance. Never throws: what cannot be read is `unknown` with the reason. */
  read(c: ProgramCase): CapReading;
}

/** A running instance with its caps and what it holds now: what the snapshot carries. */
export interface ProgramInstance {
  program: string;
  label: string;
  /** The first process (master). */
  pid: number;
  name: string;
  /** Every process of the instance, ascending. */
  pids: number[];
  netns: NetnsInode | null;
  uid: number;
  /** The systemd unit it runs in, or null. */
  unit: string | null;
  listeners: ProgramListener[];
  /** Configuration files read, main first. */
  files: string[];
  /**
   * held: what counts against the cap now (null: not measured, a unix-socket pool); heldPid: the
   * busiest process for a per-process cap; queued: connections waiting in the accept queues of the
   * cap's listeners.
   */
  caps: Array<CapSpec & { held: number | null; heldPid?: number; queued: number }>;
  unknown: string | null;
  configFrom?: string;
  upstreams?: Upstream[];
  reload: ReloadSpec;
  notes: string[];
  /** CapReading.unauthenticated: it answers anyone who reaches its port, and why. */
  unauthenticated?: string;
}

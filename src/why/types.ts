/**
 * The catalogue behind `sockdoc why "<log line>"`: each message family (a program or a library) is
 * one module of entries, each entry a real message text, where it comes from, and the kernel
 * conditions that make it (src/why/conditions.ts), which sockdoc then checks on the host.
 */

/** A kernel condition that produces a failure, checked on the host (conditions.ts). */
export type ConditionId =
  | 'emfile'
  | 'inotify-instances'
  | 'inotify-watches'
  | 'enfile'
  | 'unix-queue-full'
  | 'tcp-queue-full'
  | 'abort-on-overflow'
  | 'nothing-listening'
  | 'eaddrnotavail'
  | 'program-cap'
  | 'tcp-memory'
  | 'conntrack-full'
  | 'softnet-drops';

/** What a line says beyond its kind: the port or unix path it is about, when it names one. */
export interface Hints {
  port?: number;
  address?: string;
  /** A unix-domain socket's path ("/run/php/php-fpm.sock") or "@name". */
  path?: string;
  /** The process that logged it, when the line says (syslog "nginx[812]:", nginx "812#812:", Redis "812:M"). */
  pid?: number;
  /** The program a syslog/journal prefix names ("nginx" of "nginx[812]:"). */
  tag?: string;
}

/**
 * The program that prints a message: its own causes (its fds, its cap, its listeners' queues, its
 * uid's inotify) are checked for its processes only, not for whichever process on the host is worst.
 */
export interface Emitter {
  /** "nginx", "HAProxy", "systemd". */
  label: string;
  /** Its processes' comm (/proc/PID/comm). */
  comm: RegExp;
}

export interface MessageEntry {
  /** Stable id, "<family>-<what>": go-accept-emfile. */
  id: string;
  /** The error as the kernel names it (EMFILE, ECONNREFUSED, ...), or a short name when no errno (a kernel log line). */
  errno: string;
  /** A real text of the message, as the program prints it. */
  example: string;
  /** Where the text comes from: the source file or documentation that prints it. */
  source: string;
  /** Matches the message in a log line (case-insensitive; the whole line is searched). */
  pattern: RegExp;
  /** What failed, in plain words: the call and what the errno means there. */
  means: string;
  /** The kernel conditions that produce it, the most likely first. */
  conditions: ConditionId[];
  /** Who prints it, when not the family's (null: any program, a library's text). */
  emitter?: Emitter | null;
  /**
   * The message is about a connection the emitter made to a peer (an upstream, a backend, a
   * database): queue, cap and listening causes are the peer's (narrowed by the port or path the
   * line names), not the emitter's.
   */
  peer?: boolean;
}

export interface MessageFamily {
  /** "go", "java", "nginx", ... */
  id: string;
  /** "Go (net, net/http, fsnotify)". */
  name: string;
  /** The program that prints these messages (a server's own log); absent: a runtime or library any program uses. */
  emitter?: Emitter;
  entries: MessageEntry[];
}

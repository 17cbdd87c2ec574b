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
}

export interface MessageFamily {
  /** "go", "java", "nginx", ... */
  id: string;
  /** "Go (net, net/http, fsnotify)". */
  name: string;
  entries: MessageEntry[];
}

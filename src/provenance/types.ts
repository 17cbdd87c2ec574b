/**
 * Where a process's RLIMIT_NOFILE came from. Limits are inherited across fork and exec
 * (man 2 getrlimit), so the answer is an ancestor, or a config that ancestor applied.
 */

export type LimitLayer = 'systemd' | 'supervisord' | 'pam' | 'container' | 'shell' | 'cron' | 'self' | 'launcher' | 'unknown';

import type { FixStep } from './fix.js';

/** One ancestor in the chain from the process up to pid 1. */
export interface ChainLink {
  pid: number;
  name: string;
  soft: number | null;
  hard: number | null;
}

export interface LimitSource {
  layer: LimitLayer;
  /** The process at which the current value was set. */
  pid: number | null;
  unit?: string;
  /** For layer "launcher" (and programs that set their own limit): the catalogue entry, e.g. "pm2", "runit", "nginx". */
  launcher?: string;
  file?: string;
  setting?: string;
  value?: string;
  /** Why this layer was chosen, or for "unknown" why nothing fit. */
  reason: string;
}

export interface LimitOrigin {
  pid: number;
  name: string;
  soft: number | null;
  hard: number | null;
  chain: ChainLink[];
  source: LimitSource;
  /** Sentences: configured vs effective mismatches, settings that cannot apply. */
  contradictions: string[];
  /** The fix as structured steps: relief (no restart) first, then the durable change, then the restart with what it stops. */
  steps?: FixStep[];
  /** The same steps flattened to copy-paste lines (issue 3's shape); cost and needs as `#` comments. */
  fix: string[];
  /** What could not be read or was ignored (a malformed drop-in, an unreadable parent), one sentence each. */
  notes?: string[];
  /** What its open fds are now (`sockdoc limits` fills it from a snapshot of the process). */
  usage?: FdUsageSummary;
}

/** A process's open fds by kind and what they say (rules/support/fd-kinds.ts fdComposition). */
export interface FdUsageSummary {
  open: number | null;
  /** By kind, most first: [["eventpoll", 4088], ["file", 5]]. */
  kinds: Array<[string, number]>;
  verdict: 'leak' | 'load' | 'unclear';
  /** One sentence: what they are and what that means. */
  sentence: string;
  /** For a leak: the lines that show it, before any bigger limit. */
  leakFix: string[];
}

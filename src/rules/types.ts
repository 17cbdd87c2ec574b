/** The shape of a finding and of a rule (one rule per file, named by its id). */
import type { NetnsRef, Snapshot } from '../snapshot/types.js';
import type { HistoryView } from '../history/history.js';

export type Severity = 'critical' | 'warning' | 'info';

export const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export interface FindingSubject {
  pid?: number;
  /** Process name, when pid is set. */
  name?: string;
  address?: string;
  port?: number;
  /** A unix-domain listener: its path, or "@name" for an abstract one (then no address or port). */
  path?: string;
  /** A user (inotify limits are per uid): its uid as the host sees it, and its name when known. */
  uid?: number;
  user?: string;
  /** The user namespace of `uid`'s limit, when not sockdoc's own (the initial one on a host). */
  userns?: number;
  /** The network namespace of the listener, process or counters: {inode, kind, name, container?, pod?}. */
  netns?: NetnsRef;
}

export interface Finding {
  /** Stable id = the rule's file name, e.g. "accept-queue-full". */
  id: string;
  severity: Severity;
  subject: FindingSubject;
  /** One line: what is wrong, with the key number. */
  title: string;
  /** The numbers that prove it; keys are stable (documented in docs/findings/<id>.md). */
  evidence: Record<string, number | string | boolean | null>;
  /** Plain words for the person on call: why, and what clients experience. */
  explain: string;
  /** Copy-paste commands or config, in the order to apply them. */
  fix: string[];
  /** Other findings that are linked causes/effects, as "<id>@<pid|address:port>". */
  related?: string[];
}

/** Thresholds, all overridable by CLI flags. Ratios are 0..1. */
export interface RuleOptions {
  /** fd-limit-exhausted: open/soft >= this (default 0.95). */
  fdCritical: number;
  /** fd-limit-near: open/soft >= this (default 0.80). */
  fdWarning: number;
  /** accept-queue-filling: acceptQueue/backlog >= this (default 0.80). */
  queueWarning: number;
  /** system-file-table-near: allocated/file-max >= this (default 0.80). */
  fileTableWarning: number;
  /** syn-queue-pressure: synRecv / tcp_max_syn_backlog >= this (default 0.80). */
  synWarning: number;
  /** conntrack-table-near: nf_conntrack_count / nf_conntrack_max >= this (default 0.80). */
  conntrackWarning: number;
  /** ephemeral-ports-near: ports in use to one destination / usable ephemeral ports >= this (default 0.80). */
  portsWarning: number;
  /** ephemeral-ports-exhausted: the same ratio >= this (default 0.95). */
  portsCritical: number;
  /** program-cap-near: connections a program holds / its own cap >= this (default 0.80). Absent: the default. */
  capWarning: number;
  /** inotify-instances-near / inotify-watches-near: a uid's use / its limit >= this (default 0.80). Optional: older callers leave it out. */
  inotifyWarning?: number;
  /** accept-wait-long: a client waiting this long (ms) in an accept queue (default 1000); critical from 10 times it. */
  acceptWaitMs: number;
}

export const DEFAULT_RULE_OPTIONS: RuleOptions = {
  fdCritical: 0.95,
  fdWarning: 0.8,
  queueWarning: 0.8,
  fileTableWarning: 0.8,
  synWarning: 0.8,
  conntrackWarning: 0.8,
  portsWarning: 0.8,
  portsCritical: 0.95,
  capWarning: 0.8,
  inotifyWarning: 0.8,
  acceptWaitMs: 1000,
};

/**
 * What a rule may know besides one snapshot. Optional, so a rule that needs only the snapshot
 * ignores it: `watch`, `serve` and `diagnose --interval >= 10s` pass the samples they took.
 */
export interface RuleContext {
  /** Earlier samples of this host (src/history), the snapshot's own included as the last one. */
  history?: HistoryView;
  /**
   * Work several rules share over one snapshot (the ephemeral-port grouping walks every socket):
   * runRules makes one per run. A rule called alone computes without it.
   */
  shared?: SharedWork;
}

/** Values derived once per rule run and snapshot, by key. */
export class SharedWork {
  private readonly values = new Map<string, unknown>();
  constructor(readonly snapshot: object) {}

  /** The value under `key`, made by `make` the first time it is asked for. */
  once<T>(key: string, make: () => T): T {
    if (this.values.has(key)) return this.values.get(key) as T;
    const v = make();
    this.values.set(key, v);
    return v;
  }
}

export interface Rule {
  id: string;
  /** One sentence for `sockdoc explain` and the docs index. */
  description: string;
  /** Pure: no I/O, no clock, no randomness. */
  check(snapshot: Snapshot, options: RuleOptions, context?: RuleContext): Finding[];
}

/**
 * One scrape's data: a snapshot of the host, counter deltas since an earlier scrape, the rules
 * (with the history of earlier scrapes, so fd-exhaustion-forecast can fire), the listeners and
 * processes that get series, the provenance of the exported processes' limits and their systemd
 * units, reduced to the exported series (render/prometheus-model.ts).
 */
import { performance } from 'node:perf_hooks';
import { buildSnapshot } from '../snapshot/build.js';
import { runRules } from '../rules/index.js';
import { DEFAULT_RULE_OPTIONS, type RuleOptions } from '../rules/types.js';
import { readLinkUnder } from '../probe/read-file.js';
import { readPidCgroup, systemdCgroupPath, unitOfCgroupPath } from '../probe/pid-cgroup.js';
import { buildMetricsModel, capProcesses, DEFAULT_SELECTION, selectListeners, selectProcesses, type MetricsModel, type SelectionOptions } from '../render/prometheus-model.js';
import { History } from '../history/history.js';
import { CounterHistory } from './counter-history.js';
import { borrowedBpfFdLink } from '../probe/bpf-fd-link.js';
import { LimitOriginCache } from './limit-origins.js';
import { NetnsCarry } from './netns-carry.js';
import { UnchangedReads } from '../snapshot/window-end.js';
import type { NetnsData, NetnsTarget } from '../probe/netns-read.js';

export interface ScrapeResult {
  model: MetricsModel;
  /** How long the scrape took to produce, seconds. */
  seconds: number;
  /** performance.now() of the main thread when it was ready. */
  readyAt: number;
}

export interface ScraperOptions {
  root?: string;
  /**
   * fd of a BPF task_file iterator link (probe/bpf-fd-link.ts) opened by the thread that owns it:
   * every scrape lists the host's fds through it instead of a readlink per fd. Absent: /proc is walked.
   */
  bpfLinkFd?: number;
  /** Why there is no link (not permitted, refused by the kernel, SOCKDOC_FD_SOURCE): said in the pid-fd probe, never retried per scrape. */
  bpfOff?: string;
  selection?: SelectionOptions;
  rules?: RuleOptions;
  /** A scrape is recorded into the history at most this often (default 5000 ms; tests go faster). */
  historyEveryMs?: number;
  /**
   * How long a scrape reads the namespaces other than the host's (ms, default DEFAULT_NETNS_BUDGET_MS):
   * those not reached are carried from their last read (netns-carry.ts), read first next time.
   */
  netnsBudgetMs?: number;
}

/**
 * 750 ms: what follows the namespaces' reads grows with how many namespaces there are (their tables
 * joined, listeners derived, rules, series rendered and deflated: 0.5-1 s for 2,000 at load 10 on
 * 2 cores), so a scrape during a tenant's flood of 2,000 namespaces answers within 2 s, with the
 * host's data fresh (docs/benchmarks.md "serve under a namespace flood").
 */
export const DEFAULT_NETNS_BUDGET_MS = 750;

/**
 * The trend history serve keeps for fd-exhaustion-forecast: one sample at most every 5 s, 720 of
 * them (an hour at that pace; more when Prometheus scrapes less often), over at most 200 processes
 * and 200 listeners (src/history/history.ts bounds): a fixed ceiling whatever the scrape rate.
 */
export const HISTORY_EVERY_MS = 5000;

/** The sampling window of the first scrape (later ones are judged against an earlier scrape). */
export const FIRST_WINDOW_MS = 1000;
export const HISTORY_CAPACITY = 720;

/** The systemd unit of a process from /proc/PID/cgroup, or null (gone, not under systemd). */
function unitOf(root: string, pid: number): string | null {
  try {
    const path = systemdCgroupPath(readPidCgroup(root, pid));
    return path ? unitOfCgroupPath(path) : null;
  } catch {
    // The process exited since the snapshot, or its cgroup file is unreadable: no unit label.
    return null;
  }
}

/**
 * The network namespace of a live process (/proc/PID/ns/net), or null (gone, refused). The
 * snapshot reads only sockdoc's own namespace: a process in another one must not be labelled
 * "host", nor its sockets, which were not read, reported as 0.
 */
function netnsOf(pid: number): number | null {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readLinkUnder('/', `proc/${pid}/ns/net`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Produces scrape results; holds the state kept between scrapes (counter readings, provenance). */
export class Scraper {
  private readonly counters = new CounterHistory();
  private readonly trend = new History({ capacity: HISTORY_CAPACITY });
  private lastRecorded = Number.NEGATIVE_INFINITY;
  private readonly origins: LimitOriginCache;
  private readonly root: string;
  /** The live host's namespaces, read within the budget (a --root tree is read whole: nothing there changes). */
  private readonly carry: NetnsCarry | null;

  constructor(private readonly opts: ScraperOptions = {}, read?: (targets: readonly NetnsTarget[]) => Promise<NetnsData[]>) {
    this.root = opts.root ?? '/';
    this.origins = new LimitOriginCache(this.root);
    // By default a namespace is walked again only when it changed since its last whole read (snapshot/window-end.ts).
    const unchanged = new UnchangedReads();
    this.carry = this.root === '/' ? new NetnsCarry({ budgetMs: opts.netnsBudgetMs ?? DEFAULT_NETNS_BUDGET_MS, read: read ?? ((t) => unchanged.read(t)) }) : null;
  }

  async scrape(): Promise<ScrapeResult> {
    const start = performance.now();
    const bpf = this.opts.bpfLinkFd !== undefined ? borrowedBpfFdLink(this.opts.bpfLinkFd) : this.opts.bpfOff !== undefined ? { off: this.opts.bpfOff } : 'auto';
    // The first scrape has no earlier one to be judged against: it reads a 1 s window of its own, so
    // it already tells a CLOSE_WAIT leak from churn and drops now from drops since boot.
    const first = this.counters.size === 0;
    const startedAt = Date.now();
    const carry = this.carry;
    const readNetns = carry ? (targets: readonly NetnsTarget[], found?: 'found') => (found ? carry.readFound(targets) : carry.read(targets, startedAt)) : undefined;
    const snapshot = await buildSnapshot({ root: this.root, intervalMs: first ? FIRST_WINDOW_MS : 0, bpf, readNetns });
    const now = Date.now();
    const freshness = carry ? { ...carry.freshness, nowMs: now } : null;
    this.counters.apply(snapshot, now, freshness?.carried, freshness?.unread);
    if (now - this.lastRecorded >= (this.opts.historyEveryMs ?? HISTORY_EVERY_MS)) {
      // The exporter's clock, not the snapshot's takenAt: a --root capture has one fixed time.
      this.trend.record(snapshot, now);
      this.lastRecorded = now;
    }
    const selection = this.opts.selection ?? DEFAULT_SELECTION;
    const findings = runRules(snapshot, this.opts.rules ?? DEFAULT_RULE_OPTIONS, undefined, { history: this.trend });
    carry?.markImportant(findings.flatMap((f) => (f.subject.netns ? [f.subject.netns.inode] : [])));
    // Listeners named by a finding are kept first, so the rules run before the cut.
    const listeners = selectListeners(snapshot, findings, selection.maxListeners);
    const { kept: selected, dropped } = capProcesses(snapshot, selectProcesses(snapshot, selection, listeners.kept.map((n) => n.listener)), selection.maxProcesses);
    const chosen = snapshot.processes.filter((p) => selected.has(p.pid));
    if (this.root === '/') for (const p of chosen) p.netns ??= netnsOf(p.pid);
    const origins = this.origins.get(chosen, now);
    const units = new Map<number, string>();
    for (const p of chosen) {
      const u = unitOf(this.root, p.pid);
      if (u) units.set(p.pid, u);
    }
    const model = buildMetricsModel(snapshot, findings, selected, origins, units, listeners, dropped, selection.maxProcesses, selection.maxNamespaces, freshness);
    const readyAt = performance.now();
    return { model, seconds: (readyAt - start) / 1000, readyAt };
  }
}

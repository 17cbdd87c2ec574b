/**
 * The Prometheus text format of `sockdoc serve`, through prom-client: a private Registry (never
 * the global one, no default `process_`/`nodejs_` metrics) whose every family computes its values
 * in `collect()` at scrape time from the scrape's MetricsModel.
 *
 * Two registries: the host's families (listeners, processes, namespaces, findings) and the
 * exporter's own (this scrape's duration, timeout, memory). Scrapes that share one snapshot share
 * its host text, rendered once per snapshot (prom-client spends ~30 µs per series; 100 scrapes a
 * second each rendering hundreds of series would queue up behind each other), while the
 * exporter's families are rendered for every scrape.
 *
 * Concurrent renders are safe: each runs inside its own AsyncLocalStorage context, and every
 * collect() is synchronous, so a family's reset-and-fill and prom-client's read of it happen
 * without an await between them and cannot interleave with another render's.
 * Every label value of every sample passes through labelSafe (src/safety/label-value.ts): host
 * strings (program, container, unit, file) cannot carry a control character into the output.
 * Families and label sets: docs/metrics.md.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import { FD_KINDS, TCP_STATES } from '../snapshot/types.js';
import { SEVERITY_VALUE, type MetricsModel } from './prometheus-model.js';
import { counterMetricName, EXPORTED_COUNTERS, EXPORTED_SYSCTLS, sysctlMetricName } from './prometheus-names.js';
import { labelSafe } from '../safety/label-value.js';

/** What one scrape renders. `model` is null when no snapshot was ready within the timeout. */
export interface ScrapeContext {
  model: MetricsModel | null;
  /** Time this scrape waited for its data, seconds. */
  scrapeSeconds: number;
  /** Time the snapshot, rules and provenance took, seconds (null without a model). */
  snapshotSeconds: number | null;
  /** Age of the data at the time of the scrape, seconds (0 when made for this scrape). */
  ageSeconds: number | null;
  timedOut: boolean;
  /** sockdoc's version, for sockdoc_exporter_build_info. */
  version: string;
  /** Resident set size of the exporter, bytes. */
  rssBytes: number;
  /** V8 heaps of the exporter's threads ("main", "scrape"), when known. */
  heaps?: ReadonlyArray<{ thread: string; usedBytes: number; limitBytes: number }>;
}

/**
 * The model without its per-entity rows: all the exporter's own families read. What the main
 * thread keeps of a scrape, beside the host's text rendered in the worker.
 */
export function selfModel(model: MetricsModel): MetricsModel {
  return { ...model, listeners: [], processes: [], namespaces: [], findings: [] };
}

const NETNS = ['netns', 'container', 'pod', 'pod_namespace'] as const;
/** A listener's identity: no program or pid (they change at a restart; sockdoc_listener_info has them). */
const LISTENER = [...NETNS, 'address', 'port', 'socket'] as const;
const PROCESS = [...NETNS, 'pid', 'program', 'unit'] as const;

type Labels = Record<string, string>;

/** The labels with every value through labelSafe: the one place a label value is written. */
function safeLabels(labels: object): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels)) out[k] = labelSafe(String(v));
  return out;
}

/**
 * Empties a metric. prom-client's reset() gives a metric without labels the value 0, which would
 * report an unknown value (fs.nr_open unreadable, no snapshot) as 0: its samples map is emptied
 * instead, so the sample is absent.
 */
function clear(metric: Gauge | Counter): void {
  metric.reset();
  (metric as unknown as { hashMap: Record<string, unknown> }).hashMap = {};
}

/** A registry with sockdoc's families; render(ctx) gives one scrape's text. */
export class MetricsRenderer {
  /** The exporter's own families, rendered for every scrape. */
  readonly selfRegistry = new Registry();
  /** The host's families, rendered once per snapshot. */
  readonly hostRegistry = new Registry();
  private readonly current = new AsyncLocalStorage<ScrapeContext>();
  private readonly hostText = new WeakMap<MetricsModel, Promise<string>>();
  private registry = this.selfRegistry;

  constructor() {
    this.defineSelf();
    this.registry = this.hostRegistry;
    this.defineListeners();
    this.defineProcesses();
    this.defineNamespaces();
    this.defineHostAndFindings();
  }

  get contentType(): string {
    return this.selfRegistry.contentType;
  }

  /** The text exposition of one scrape. */
  async render(ctx: ScrapeContext): Promise<string> {
    const { self, host } = await this.renderParts(ctx);
    return host === null ? self : `${self}${host}`;
  }

  /**
   * One scrape's text in its two parts: the exporter's own lines, new at every scrape, and the
   * host's (null without a model), the same string object for every scrape of one snapshot, so a
   * caller can cache what it derives from it (the gzip of /metrics) per snapshot.
   */
  async renderParts(ctx: ScrapeContext): Promise<{ self: string; host: string | null }> {
    const self = await this.current.run(ctx, () => this.selfRegistry.metrics());
    if (!ctx.model) return { self, host: null };
    let host = this.hostText.get(ctx.model);
    if (!host) {
      host = this.current.run(ctx, () => this.hostRegistry.metrics()).then((text) => `\n${text}`);
      this.hostText.set(ctx.model, host);
    }
    return { self, host: await host };
  }

  /** The exporter's own lines of one scrape (ctx.model may be a selfModel). */
  renderSelf(ctx: ScrapeContext): Promise<string> {
    return this.current.run(ctx, () => this.selfRegistry.metrics());
  }

  /**
   * The host's lines of one model (a newline first, as renderParts' `host`). The families' samples
   * (a label map per series: tens of MB at tens of thousands of series) are released afterwards
   * instead of living until the next render.
   */
  async renderHost(model: MetricsModel): Promise<string> {
    const ctx: ScrapeContext = { model, scrapeSeconds: 0, snapshotSeconds: null, ageSeconds: null, timedOut: false, version: '', rssBytes: 0 };
    try {
      return `\n${await this.current.run(ctx, () => this.hostRegistry.metrics())}`;
    } finally {
      for (const metric of this.hostRegistry.getMetricsAsArray()) clear(metric as unknown as Gauge | Counter);
    }
  }

  private ctx(): ScrapeContext | undefined {
    return this.current.getStore();
  }

  /** A gauge whose collect() calls fill(set, ctx) after a reset, only when the scrape has data. */
  private gauge(name: string, help: string, labelNames: readonly string[], fill: (set: (labels: object, v: number | null) => void, ctx: ScrapeContext) => void, needsModel = true): void {
    const ctxOf = () => this.ctx();
    new Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers: [this.registry],
      collect() {
        clear(this);
        const ctx = ctxOf();
        if (!ctx || (needsModel && !ctx.model)) return;
        fill((labels, v) => {
          if (v !== null && Number.isFinite(v)) this.set(safeLabels(labels), v);
        }, ctx);
      },
    });
  }

  private defineSelf(): void {
    this.gauge('sockdoc_scrape_duration_seconds', 'Time this scrape waited for its snapshot, rules and provenance, in seconds.', [], (set, c) => set({}, c.scrapeSeconds), false);
    this.gauge('sockdoc_snapshot_duration_seconds', 'Time the snapshot served by this scrape took to read and diagnose, in seconds.', [], (set, c) => set({}, c.snapshotSeconds), false);
    this.gauge('sockdoc_snapshot_age_seconds', 'Age of the served snapshot when the scrape began, in seconds (0 = made for this scrape).', [], (set, c) => set({}, c.ageSeconds), false);
    this.gauge('sockdoc_scrape_timed_out', '1 when no snapshot was ready within --timeout: the host series are then the last snapshot\'s (see sockdoc_snapshot_age_seconds), or absent when none is recent.', [], (set, c) => set({}, c.timedOut ? 1 : 0), false);
    this.gauge('sockdoc_scrape_partial', '1 when the scrape is incomplete: timed out, or something could not be read (not root, unreadable files).', [], (set, c) => set({}, c.timedOut || !c.model || c.model.partial ? 1 : 0), false);
    this.gauge('sockdoc_probe_duration_seconds', 'Time each probe of the snapshot took, in seconds (summed over its reads).', ['probe'], (set, c) => {
      for (const p of c.model!.probes) set({ probe: p.probe }, p.seconds);
    });
    this.gauge('sockdoc_probe_success', '1 when every read of the probe succeeded (or its file is absent on this kernel), 0 when one was refused or failed.', ['probe'], (set, c) => {
      for (const p of c.model!.probes) set({ probe: p.probe }, p.success ? 1 : 0);
    });
    this.gauge('sockdoc_processes_seen', 'Processes visible in the snapshot (per-process series cover only the selected ones).', [], (set, c) => set({}, c.model!.processesSeen));
    this.gauge('sockdoc_processes_dropped', 'Processes selected for per-process series (listener owner, --process-ratio, --top) but left without them by --max-processes (the nearest their limit are kept).', [], (set, c) => set({}, c.model!.processesDropped));
    this.gauge('sockdoc_findings_dropped', 'Current findings about a listener or process that has no series (cut by --max-listeners or --max-processes): counted here instead of exported in sockdoc_finding.', [], (set, c) => set({}, c.model!.findingsDropped));
    this.gauge('sockdoc_exporter_resident_memory_bytes', 'Resident set size of the sockdoc serve process, in bytes.', [], (set, c) => set({}, c.rssBytes), false);
    this.gauge('sockdoc_exporter_heap_used_bytes', 'V8 heap in use by each thread of the exporter (thread="main": HTTP and rendering the answer; thread="scrape": the worker that reads the host), in bytes.', ['thread'], (set, c) => {
      for (const h of c.heaps ?? []) set({ thread: h.thread }, h.usedBytes);
    }, false);
    this.gauge('sockdoc_exporter_heap_limit_bytes', 'The V8 heap limit of each thread of the exporter, in bytes: the scrape worker is replaced when it reaches its limit.', ['thread'], (set, c) => {
      for (const h of c.heaps ?? []) set({ thread: h.thread }, h.limitBytes);
    }, false);
    this.gauge('sockdoc_exporter_build_info', 'Always 1; the version of sockdoc serving the metrics.', ['version'], (set, c) => set({ version: c.version }, 1), false);
  }

  private defineListeners(): void {
    const each = (name: string, help: string, value: (l: MetricsModel['listeners'][number]) => number | null) =>
      this.gauge(name, help, LISTENER, (set, c) => {
        for (const l of c.model!.listeners) set(l.labels, value(l));
      });
    each('sockdoc_listener_accept_queue', 'Connections waiting in the accept queue of a listening socket (sk_ack_backlog; ss Recv-Q).', (l) => l.acceptQueue);
    each('sockdoc_listener_backlog', 'Accept queue limit of a listening socket: min(listen() backlog, net.core.somaxconn) (sk_max_ack_backlog; ss Send-Q). Full when accept_queue > backlog.', (l) => l.backlog);
    each('sockdoc_listener_syn_recv', 'Handshakes pending on the listener (SYN_RECV request sockets).', (l) => l.synRecv);
    each('sockdoc_listener_queued_established', 'ESTABLISHED connections in the accept queue, not accepted by the program yet.', (l) => l.queuedEstablished);
    each('sockdoc_listener_queued_close_wait', 'CLOSE_WAIT connections in the accept queue: the client left before the program accepted them.', (l) => l.queuedCloseWait);
    each(
      'sockdoc_listener_accept_wait_max_seconds',
      'How long the longest-waiting client in the accept queue has waited since its handshake completed, in seconds (tcp_info of each queued connection; 0 when none waits). Absent when unknown (sockets not from sock_diag).',
      (l) => l.acceptWaitMaxSeconds,
    );
    each('sockdoc_listener_accept_wait_median_seconds', 'The median wait of the clients in the accept queue since their handshake, in seconds (0 when none waits). Absent when unknown.', (l) => l.acceptWaitMedianSeconds);
    const ctxOf = () => this.ctx();
    new Counter({
      name: 'sockdoc_listener_drops_total',
      help: 'Handshakes the kernel dropped on this listening socket since it was opened (its sk_drops: each ListenDrops counted on the listener it happened to, Linux 4.7+; ss -tlm d<N>). Resets when the socket is re-created. Absent when unknown.',
      labelNames: [...LISTENER],
      registers: [this.registry],
      collect() {
        clear(this);
        const m = ctxOf()?.model;
        if (!m) return;
        for (const l of m.listeners) if (l.drops !== null && l.drops >= 0) this.inc(safeLabels(l.labels), l.drops);
      },
    });
    this.gauge(
      'sockdoc_listener_info',
      'Always 1: who holds the listening socket (program: comm of the lowest visible pid holding it; pid). Join: * on (instance, netns, address, port, socket) group_left (program, pid) sockdoc_listener_info.',
      [...LISTENER, 'program', 'pid'],
      (set, c) => {
        for (const l of c.model!.listeners) set({ ...l.labels, ...l.owner }, 1);
      },
    );
  }

  private defineProcesses(): void {
    const each = (name: string, help: string, value: (p: MetricsModel['processes'][number]) => number | null) =>
      this.gauge(name, help, PROCESS, (set, c) => {
        for (const p of c.model!.processes) set(p.labels, value(p));
      });
    each('sockdoc_process_open_fds', 'Open file descriptors of the process (entries of /proc/PID/fd).', (p) => p.openFds);
    each('sockdoc_process_fd_soft_limit', 'Soft RLIMIT_NOFILE of the process (/proc/PID/limits "Max open files"); absent when unlimited.', (p) => p.softLimit);
    each('sockdoc_process_fd_hard_limit', 'Hard RLIMIT_NOFILE of the process; absent when unlimited.', (p) => p.hardLimit);
    this.gauge('sockdoc_process_sockets', 'TCP sockets the process holds, by kernel state (state="CLOSE_WAIT": connections the peer closed that the process has not closed).', [...PROCESS, 'state'], (set, c) => {
      for (const p of c.model!.processes) {
        if (!p.sockets) continue;
        for (const state of TCP_STATES) set({ ...p.labels, state }, p.sockets[state] ?? 0);
      }
    });
    // Bounded: kind is one of FD_KINDS (20 values), and only kinds the process holds get a series.
    this.gauge(
      'sockdoc_process_fds_by_kind',
      'Open file descriptors of the process by kind (kind: tcp, udp, unix, netlink, raw, packet, socket, pipe, eventpoll, eventfd, inotify, timerfd, signalfd, pidfd, io_uring, anon, file, device, other, unknown); kinds it holds none of are absent.',
      [...PROCESS, 'kind'],
      (set, c) => {
        for (const p of c.model!.processes) {
          if (!p.fdKinds) continue;
          for (const kind of FD_KINDS) if (p.fdKinds[kind]) set({ ...p.labels, kind }, p.fdKinds[kind] as number);
        }
      },
    );
    this.gauge('sockdoc_process_selected', 'Always 1: why the process has per-process series (reason="listener", "usage" or "top").', [...PROCESS, 'reason'], (set, c) => {
      for (const p of c.model!.processes) for (const reason of p.selectedBy) set({ ...p.labels, reason }, 1);
    });
    this.gauge(
      'sockdoc_process_fd_limit_info',
      'Always 1: where the process\'s RLIMIT_NOFILE came from (layer: systemd, supervisord, pam, container, shell, cron, self, launcher, unknown; the unit or config file, and the setting that set it with its value).',
      [...PROCESS, 'layer', 'source_unit', 'file', 'setting'],
      (set, c) => {
        for (const p of c.model!.processes) {
          if (!p.limit) continue;
          const l = p.limit;
          set({ ...p.labels, layer: l.layer, source_unit: l.unit, file: l.file, setting: l.setting }, 1);
        }
      },
    );
  }

  private defineNamespaces(): void {
    const registry = this.registry;
    const ctxOf = () => this.ctx();
    for (const key of EXPORTED_COUNTERS) {
      new Counter({
        name: counterMetricName(key),
        help: `Kernel counter ${key.replace('.', ': ')} of the network namespace since its creation (/proc/net/${key.startsWith('TcpExt') ? 'netstat' : 'snmp'}).`,
        labelNames: [...NETNS],
        registers: [registry],
        collect() {
          clear(this);
          const m = ctxOf()?.model;
          if (!m) return;
          for (const ns of m.namespaces) {
            const v = ns.counters[key];
            if (v !== undefined && v >= 0) this.inc(safeLabels(ns.labels), v);
          }
        },
      });
    }
    this.gauge('sockdoc_tcp_curr_estab', 'Tcp: CurrEstab of the network namespace: connections in ESTABLISHED or CLOSE_WAIT now (/proc/net/snmp).', NETNS, (set, c) => {
      for (const ns of c.model!.namespaces) set(ns.labels, ns.counters['Tcp.CurrEstab'] ?? null);
    });
    for (const key of EXPORTED_SYSCTLS) {
      this.gauge(sysctlMetricName(key), `Sysctl ${key} of the network namespace (/proc/sys/${key.replace(/\./g, '/')}).`, NETNS, (set, c) => {
        for (const ns of c.model!.namespaces) set(ns.labels, ns.tunables[key]);
      });
    }
    this.gauge(
      'sockdoc_namespace_info',
      'Always 1 per network namespace read: its name, the container or pod in it, and the sockdoc flags that select it alone (select: --container web; empty for the host).',
      [...NETNS, 'select'],
      (set, c) => {
        for (const ns of c.model!.namespaces) set({ ...ns.labels, select: ns.select }, 1);
      },
    );
    // A namespace nothing was read of has no count: absent, not 0.
    this.gauge('sockdoc_listeners', 'Listening TCP sockets in the network namespace, with or without series of their own; absent when the namespace was not read.', NETNS, (set, c) => {
      for (const ns of c.model!.namespaces) set(ns.labels, ns.ageSeconds === null ? null : ns.listeners.total);
    });
    this.gauge('sockdoc_listeners_dropped', 'Listening sockets of the namespace left without sockdoc_listener_* series by --max-listeners (those with a finding and the fullest queues are kept).', NETNS, (set, c) => {
      for (const ns of c.model!.namespaces) set(ns.labels, ns.ageSeconds === null ? null : ns.listeners.dropped);
    });
    this.gauge(
      'sockdoc_namespace_age_seconds',
      'Seconds since the network namespace\'s data was read: 0 when read by this scrape; more when the scrape\'s namespace budget (--netns-budget) was spent before it was reached, and its last read is served (read first next time). Absent for a namespace of which nothing was read (counted in sockdoc_namespaces_unread).',
      NETNS,
      (set, c) => {
        for (const ns of c.model!.namespaces) set(ns.labels, ns.ageSeconds);
      },
    );
    this.gauge('sockdoc_namespaces_carried', 'Network namespaces not reached within this scrape\'s namespace budget (--netns-budget) whose last read, at most 10 minutes old, is served instead (their age: sockdoc_namespace_age_seconds).', [], (set, c) => set({}, c.model!.namespacesCarried));
    this.gauge('sockdoc_namespaces_unread', 'Network namespaces seen but not read: not reached within this scrape\'s namespace budget and not read recently enough to carry. Nothing of them is judged (the scrape is partial); they are read first next time.', [], (set, c) => set({}, c.model!.namespacesUnread));
    this.gauge('sockdoc_namespaces_max_age_seconds', 'Seconds since the oldest carried namespace read served by this scrape was made (0 when every namespace was read by this scrape).', [], (set, c) => set({}, c.model!.namespacesMaxAgeSeconds));
    this.gauge('sockdoc_namespaces_seen', 'Network namespaces read (sockdoc\'s own included), with per-namespace series or not.', [], (set, c) => set({}, c.model!.namespacesSeen));
    this.gauge('sockdoc_namespaces_empty', 'Network namespaces read that held no socket (their sockstat: none in use, none in TIME_WAIT): only that was read of them.', [], (set, c) => set({}, c.model!.namespacesEmpty));
    this.gauge(
      'sockdoc_namespaces_dropped',
      'Network namespaces left without per-namespace series by --max-namespaces (kept first: the host, those with a finding, the most severe first, then those whose listeners have series, then those holding sockets).',
      [],
      (set, c) => set({}, c.model!.namespacesSeen - c.model!.namespaces.length),
    );
  }

  private defineHostAndFindings(): void {
    this.gauge('sockdoc_host_files_allocated', 'File handles allocated on the host (first field of fs.file-nr).', [], (set, c) => set({}, c.model!.host.filesAllocated));
    this.gauge('sockdoc_host_files_max', 'Host-wide limit of file handles (fs.file-max); ENFILE when reached.', [], (set, c) => set({}, c.model!.host.filesMax));
    this.gauge('sockdoc_host_nr_open', 'Ceiling of any process\'s RLIMIT_NOFILE (fs.nr_open).', [], (set, c) => set({}, c.model!.host.nrOpen));
    // No severity label: a finding that worsens (warning -> critical) stays one series, and every
    // alert's `for:` over it keeps running; the severity is the value of its companion series.
    const findingLabels = [...NETNS, 'id', 'pid', 'program', 'address', 'port'];
    this.gauge('sockdoc_finding', 'Always 1 per current finding of sockdoc\'s rules (docs/findings/ID.md); labels name its subject (its severity: sockdoc_finding_severity).', findingLabels, (set, c) => {
      for (const f of c.model!.findings) set(f.labels, 1);
    });
    this.gauge('sockdoc_finding_severity', 'Severity of each current finding, same labels as sockdoc_finding: 2 critical, 1 warning, 0 info.', findingLabels, (set, c) => {
      for (const f of c.model!.findings) set(f.labels, SEVERITY_VALUE[f.severity]);
    });
  }
}

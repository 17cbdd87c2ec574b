/**
 * What `sockdoc serve` exports, as plain data: the snapshot and its findings reduced to the
 * bounded set of series docs/metrics.md documents. Pure (no I/O); src/render/prometheus.ts turns
 * it into the Prometheus text format.
 *
 * Cardinality is bounded by construction: at most `maxListeners` listeners (those with a finding
 * first, then the fullest queues; the rest counted per namespace), only the processes selected by
 * `selectProcesses`, one entry per network namespace, a fixed list of counters and sysctls, one
 * entry per finding. No label carries a remote address or a command line: a process is named by
 * its comm (at most 15 bytes, kernel-truncated), never by its arguments, where secrets live.
 *
 * Series identity: a value series carries only the labels that name what is measured (namespace,
 * address, port, socket for a listener; pid for a process). What changes while the thing stays the
 * same (the program and pid holding a listener) sits in an `_info` series to join, so a restart does
 * not start a new series and every alert's `for:` with it (docs/metrics.md "Series identity").
 */
import { labelSafe, LABEL_VALUE_MAX } from '../safety/label-value.js';
import type { Finding, FindingSubject, Severity } from '../rules/types.js';
import type { LimitLayer, LimitOrigin } from '../provenance/types.js';
import type { FdKindCounts, Listener, NetNamespace, NetnsInode, ProcessInfo, Snapshot, TcpState, Tunables } from '../snapshot/types.js';
import { namespaceOf } from '../snapshot/namespaces.js';
import { netnsSelectors } from '../snapshot/select-netns.js';

/** The labels naming a network namespace; "" when not known (Prometheus treats "" as absent). */
export interface NetnsLabels {
  /** The namespace's name: "host", an `ip netns` name, a container or pod name (NetnsRef.name). */
  netns: string;
  container: string;
  pod: string;
  pod_namespace: string;
}

/** The labels that identify a listening socket: stable while the socket lives, whoever holds it. */
export type ListenerLabels = NetnsLabels & { address: string; port: string; socket: string };

export interface ListenerSeries {
  labels: ListenerLabels;
  /** Who holds the socket (sockdoc_listener_info): the lowest visible pid and its comm; "" when none is visible. */
  owner: { program: string; pid: string };
  acceptQueue: number;
  backlog: number | null;
  synRecv: number;
  queuedEstablished: number;
  queuedCloseWait: number;
  /** Handshakes dropped on the listener since it was opened (sk_drops); null when unknown (no series). */
  drops: number | null;
  /** The longest and the median wait of the clients in its queue, seconds; null when unknown (no series). */
  acceptWaitMaxSeconds: number | null;
  acceptWaitMedianSeconds: number | null;
}

/** Why a process is exported (several may hold). */
export type SelectionReason = 'listener' | 'usage' | 'top';

export interface ProcessSeries {
  labels: NetnsLabels & { pid: string; program: string; unit: string };
  openFds: number | null;
  softLimit: number | null;
  hardLimit: number | null;
  /** null when the process lives in a network namespace that was not read: its sockets are unknown, not 0. */
  sockets: Partial<Record<TcpState, number>> | null;
  /** Its open fds by kind (kinds it holds none of are left out); null when the walk could not tell. */
  fdKinds: FdKindCounts | null;
  selectedBy: SelectionReason[];
  /**
   * Where RLIMIT_NOFILE came from, when provenance ran for it. `setting` is the text that set it,
   * value included ("LimitNOFILE=1024:524288", "ulimit -n 400", "minfds=4096"); the limit in
   * force is sockdoc_process_fd_{soft,hard}_limit.
   */
  limit: { layer: LimitLayer; unit: string; file: string; setting: string } | null;
}

export interface NamespaceSeries {
  labels: NetnsLabels;
  /** The sockdoc flags that select this namespace alone (`--container web`, `--pod shop/web-7d9f`, `--netns 4026532320`; '' for the host): alert texts put them in the command they suggest. */
  select: string;
  /** Listening sockets in the namespace, and how many of them got no series (over --max-listeners). */
  listeners: { total: number; dropped: number };
  /** "Prefix.Name" -> value since boot or namespace creation (Counters.values). */
  counters: Record<string, number>;
  tunables: Tunables;
  /** Seconds since its data was read: 0 when read by this scrape, more when carried from an earlier one; null when nothing of it was read. */
  ageSeconds: number | null;
}

/**
 * Which namespaces a scrape did not read itself (serve/netns-carry.ts): those carried from an
 * earlier read, with when it was made (ms, the `nowMs` clock), and those of which nothing was read.
 */
export interface NamespaceFreshness {
  carried: ReadonlyMap<NetnsInode, number>;
  unread: ReadonlySet<NetnsInode>;
  nowMs: number;
}

export interface FindingSeries {
  /** What names the finding: no severity, so a finding that worsens from warning to critical stays one series (issue 23). */
  labels: NetnsLabels & { id: string; pid: string; program: string; address: string; port: string };
  /** Exported as the value of sockdoc_finding_severity (SEVERITY_VALUE). */
  severity: Severity;
}

/** sockdoc_finding_severity's values: higher is worse, so `max` and `>=` read naturally. */
export const SEVERITY_VALUE: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export interface ProbeSeries {
  probe: string;
  seconds: number;
  /** Every read of the probe was ok or absent (a missing optional file is not a failure). */
  success: boolean;
}

export interface MetricsModel {
  listeners: ListenerSeries[];
  processes: ProcessSeries[];
  namespaces: NamespaceSeries[];
  host: { filesAllocated: number | null; filesMax: number | null; nrOpen: number | null };
  findings: FindingSeries[];
  probes: ProbeSeries[];
  /** Processes visible in the snapshot (the exported ones are `processes`). */
  processesSeen: number;
  /** Processes selected (owner, usage, top) but left without series by --max-processes. */
  processesDropped: number;
  /** Findings about a listener or process left without series (--max-listeners, --max-processes): counted, not exported. */
  findingsDropped: number;
  /** Network namespaces read (sockdoc's own included); `namespaces` are those of them with series. */
  namespacesSeen: number;
  /** Of those, how many held no socket (their sockstat: NetNamespace.empty). */
  namespacesEmpty: number;
  /** Of those, how many were carried from an earlier scrape's read (NamespaceFreshness), and how many had nothing read. */
  namespacesCarried: number;
  namespacesUnread: number;
  /** Seconds since the oldest carried read was made (0 when every namespace was read by this scrape). */
  namespacesMaxAgeSeconds: number;
  /** The snapshot could not see everything (not root, unreadable files, ...). */
  partial: boolean;
}

/** What gets series (flags of `sockdoc serve`). */
export interface SelectionOptions {
  /** Also export processes whose open/soft ratio is at least this (default 0.5). */
  usageRatio: number;
  /** Also export the N processes nearest their limit (default 20). */
  top: number;
  /** At most this many listeners get series (default 500); the others are counted per namespace. */
  maxListeners: number;
  /** At most this many processes get series (default 500), nearest their limit first; the others are counted. */
  maxProcesses: number;
  /** At most this many network namespaces get per-namespace series (default 250), the worst first; the others are counted. */
  maxNamespaces: number;
}

export const DEFAULT_SELECTION: SelectionOptions = { usageRatio: 0.5, top: 20, maxListeners: 500, maxProcesses: 500, maxNamespaces: 250 };

/**
 * The `netns` label value of each namespace, distinct per namespace. Label values are escaped and
 * cut to 128 code points (labelSafe), so two different names can come out equal ("a\x1b" typed
 * literally, and "a" + ESC; two pod names sharing their first 127 characters): their series would
 * merge and one namespace's data vanish. Those get their inode appended: "name [4026532467]".
 * The host's namespace keeps its label whatever else is named like it: a container, an LXC cgroup
 * or an `ip netns` called "host" is the one that gets its inode (the host's series, and every
 * alert's `for:` on them, must not restart because someone created a container).
 */
export function distinctNetnsNames(snapshot: Pick<Snapshot, 'namespaces'>): Map<NetnsInode, string> {
  const safe = new Map<NetnsInode, string>();
  const suffixed = new Set<NetnsInode>();
  for (const ns of snapshot.namespaces) safe.set(ns.inode, labelSafe(stableNetnsName(ns)));
  // Until no two are equal: an appended inode is unique, but a name may itself read "x [INODE]";
  // each pass suffixes at least one more namespace, so this ends within as many passes.
  for (let pass = 0; pass <= snapshot.namespaces.length; pass++) {
    const uses = new Map<string, number>();
    for (const v of safe.values()) uses.set(v, (uses.get(v) ?? 0) + 1);
    let changed = false;
    for (const ns of snapshot.namespaces) {
      if (ns.kind === 'host' || suffixed.has(ns.inode) || (uses.get(safe.get(ns.inode)!) ?? 0) < 2) continue;
      const suffix = ` [${ns.inode}]`;
      safe.set(ns.inode, labelSafe(stableNetnsName(ns), LABEL_VALUE_MAX - suffix.length) + suffix);
      suffixed.add(ns.inode);
      changed = true;
    }
    if (!changed) break;
  }
  return safe;
}

/**
 * A namespace nothing names (plain `unshare -n`, systemd PrivateNetwork=, an unknown runtime) is
 * called "netns INODE (pid P name)" for a person; in a label the pid and name would change whenever
 * its lowest pid exits, restarting every series of the namespace (and every alert's `for:`). The
 * inode stays the same for the namespace's whole life.
 */
function stableNetnsName(ns: Pick<NetNamespace, 'kind' | 'inode' | 'name'>): string {
  return ns.kind === 'other' ? `netns ${ns.inode}` : ns.name;
}

export function netnsLabels(ns: NetNamespace | undefined, names?: ReadonlyMap<NetnsInode, string>): NetnsLabels {
  if (!ns) return { netns: '', container: '', pod: '', pod_namespace: '' };
  const c = ns.container;
  return {
    netns: names?.get(ns.inode) ?? stableNetnsName(ns),
    container: c ? (c.name ?? c.id.slice(0, 12)) : '',
    pod: ns.pod?.name ?? '',
    pod_namespace: ns.pod?.namespace ?? '',
  };
}

/**
 * The labels of the namespace `inode`: a namespace that was read by its name; an unknown inode
 * (null) as the host's; a known inode that was not read (a container's, while only sockdoc's own
 * namespace is read) as `netns:[INODE]`, never as "host".
 */
export function netnsLabelsOf(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null, names?: ReadonlyMap<NetnsInode, string>): NetnsLabels {
  if (inode === null) return netnsLabels(namespaceOf(snapshot, null), names);
  const ns = snapshot.namespaces.find((n) => n.inode === inode);
  return ns ? netnsLabels(ns, names) : { netns: `netns:[${inode}]`, container: '', pod: '', pod_namespace: '' };
}

/** True when the namespace's sockets were read (or the process's namespace is not known). */
function namespaceRead(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null): boolean {
  return inode === null || snapshot.namespaces.some((n) => n.inode === inode);
}

function usage(p: ProcessInfo): number {
  return p.fds.open !== null && p.fds.soft ? p.fds.open / p.fds.soft : 0;
}

/**
 * The processes that get per-process series: every owner of an exported listener (`listeners`,
 * default all), every process at or above `usageRatio` of its soft limit, and the `top` nearest
 * their limit (ties: more open fds first). Ascending pid.
 */
export function selectProcesses(snapshot: Snapshot, opts: Pick<SelectionOptions, 'usageRatio' | 'top'>, listeners: readonly Listener[] = snapshot.listeners): Map<number, SelectionReason[]> {
  const out = new Map<number, SelectionReason[]>();
  const add = (pid: number, why: SelectionReason): void => {
    const reasons = out.get(pid) ?? [];
    if (!reasons.includes(why)) reasons.push(why);
    out.set(pid, reasons);
  };
  const known = new Set(snapshot.processes.map((p) => p.pid));
  for (const l of listeners) for (const pid of l.pids) if (known.has(pid)) add(pid, 'listener');
  const withFds = snapshot.processes.filter((p) => p.fds.open !== null);
  for (const p of withFds) if (p.fds.soft && usage(p) >= opts.usageRatio) add(p.pid, 'usage');
  const ranked = [...withFds].sort((a, b) => usage(b) - usage(a) || (b.fds.open ?? 0) - (a.fds.open ?? 0) || a.pid - b.pid);
  for (const p of ranked.slice(0, opts.top)) add(p.pid, 'top');
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

/**
 * At most `max` of the selected processes: the nearest their limit first (they are what the fd
 * alerts are about), then listener owners, then the lowest pid. Ascending pid, and how many were cut.
 */
export function capProcesses(snapshot: Snapshot, selected: ReadonlyMap<number, SelectionReason[]>, max: number): { kept: Map<number, SelectionReason[]>; dropped: number } {
  if (selected.size <= max) return { kept: new Map(selected), dropped: 0 };
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const keyed = [...selected].map(([pid, why]) => ({ pid, why, use: byPid.has(pid) ? usage(byPid.get(pid)!) : 0, owner: Number(why.includes('listener')) }));
  keyed.sort((a, b) => b.use - a.use || b.owner - a.owner || a.pid - b.pid);
  const kept = keyed.slice(0, max).sort((a, b) => a.pid - b.pid);
  return { kept: new Map(kept.map((k) => [k.pid, k.why])), dropped: selected.size - max };
}

function limitLabels(o: LimitOrigin | undefined): ProcessSeries['limit'] {
  if (!o) return null;
  const s = o.source;
  return { layer: s.layer, unit: s.unit ?? '', file: s.file ?? '', setting: s.setting ?? '' };
}

/** The namespace a finding is about: its own netns when the rule set one, else its process's or listener's, else the host's. */
export function findingNetns(snapshot: Snapshot, subject: FindingSubject): NetnsInode | null {
  const own = (subject as { netns?: unknown }).netns;
  if (typeof own === 'number') return own;
  if (own && typeof (own as { inode?: unknown }).inode === 'number') return (own as { inode: number }).inode;
  if (subject.path !== undefined) {
    const l = snapshot.listeners.find((x) => x.family === 'unix' && x.address === subject.path);
    if (l) return l.netns;
  }
  if (subject.port !== undefined) {
    const l = snapshot.listeners.find((x) => x.port === subject.port && (subject.address === undefined || x.address === subject.address));
    if (l) return l.netns;
  }
  if (subject.pid !== undefined) return snapshot.processes.find((p) => p.pid === subject.pid)?.netns ?? null;
  return null;
}

/** A listener with its SO_REUSEPORT ordinal among the sockets sharing its address and port. */
export interface NumberedListener {
  listener: Listener;
  /** 0 for the first socket on (netns, address, port), 1, 2 … for SO_REUSEPORT siblings. */
  socket: number;
}

/** Which listeners get series, and how many each namespace has in all. */
export interface ListenerSelection {
  kept: NumberedListener[];
  /** Listening sockets per namespace inode, kept or not. */
  totals: Map<NetnsInode, number>;
  /** Listening sockets per namespace inode that got no series. */
  dropped: Map<NetnsInode, number>;
}

function fillRatio(l: Listener): number {
  return l.backlog ? l.acceptQueue / l.backlog : 0;
}

/**
 * At most `max` listeners, the ones that matter first: any named by a finding, then any dropping
 * handshakes now (its drops rose since the previous scrape), then the fullest queue (accept queue
 * / backlog), then the longest queue; ties in (netns, port, address, inode) order, so the same ones
 * are kept from scrape to scrape. Kept ones come back in that stable order.
 */
export function selectListeners(snapshot: Snapshot, findings: readonly Finding[], max: number): ListenerSelection {
  const sorted = [...snapshot.listeners].sort((a, b) => a.netns - b.netns || a.port - b.port || cmp(a.address, b.address) || a.inode - b.inode);
  const seen = new Map<string, number>();
  const numbered = sorted.map((listener) => {
    const key = `${listener.netns} ${listener.address} ${listener.port}`;
    const socket = seen.get(key) ?? 0;
    seen.set(key, socket + 1);
    return { listener, socket };
  });
  // A listener in a namespace that was not read is counted with the one it is labelled as (namespaceOf).
  const nsOf = (inode: NetnsInode | null): NetnsInode | undefined => namespaceOf(snapshot, inode)?.inode;
  // (netns, port) and (netns, address, port) named by a finding.
  const named = new Set<string>();
  for (const f of findings) {
    const inode = nsOf(findingNetns(snapshot, f.subject));
    // A unix listener is (netns, path) with port 0.
    if (f.subject.path !== undefined) named.add(`${inode} ${f.subject.path} 0`);
    if (f.subject.port === undefined) continue;
    named.add(f.subject.address === undefined ? `${inode} * ${f.subject.port}` : `${inode} ${f.subject.address} ${f.subject.port}`);
  }
  const hasFinding = (l: Listener) => named.has(`${nsOf(l.netns)} * ${l.port}`) || named.has(`${nsOf(l.netns)} ${l.address} ${l.port}`);
  const count = (into: Map<NetnsInode, number>, l: Listener) => {
    const k = nsOf(l.netns) ?? l.netns;
    into.set(k, (into.get(k) ?? 0) + 1);
  };
  const totals = new Map<NetnsInode, number>();
  for (const { listener } of numbered) count(totals, listener);
  if (numbered.length <= max) return { kept: numbered, totals, dropped: new Map() };
  const keyed = numbered.map((n, order) => ({
    n,
    order,
    finding: Number(hasFinding(n.listener)),
    dropping: Number((n.listener.dropsDelta ?? 0) > 0),
    fill: fillRatio(n.listener),
    queue: n.listener.acceptQueue,
  }));
  const ranked = keyed.sort((a, b) => b.finding - a.finding || b.dropping - a.dropping || b.fill - a.fill || b.queue - a.queue || a.order - b.order);
  const kept = ranked.slice(0, max).sort((a, b) => a.order - b.order).map((k) => k.n);
  const dropped = new Map<NetnsInode, number>();
  for (const { n } of ranked.slice(max)) count(dropped, n.listener);
  return { kept, totals, dropped };
}

function listenerSeries(snapshot: Snapshot, kept: readonly NumberedListener[], names: ReadonlyMap<NetnsInode, string>): ListenerSeries[] {
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  return kept.map(({ listener: l, socket }): ListenerSeries => {
    const pid = l.pids[0];
    return {
      // A unix-domain listener: its path (or @name) as the address, no port.
      labels: { ...netnsLabels(namespaceOf(snapshot, l.netns), names), address: l.address, port: l.family === 'unix' ? '' : String(l.port), socket: String(socket) },
      owner: { program: pid !== undefined ? (byPid.get(pid)?.name ?? '') : '', pid: pid !== undefined ? String(pid) : '' },
      acceptQueue: l.acceptQueue,
      backlog: l.backlog,
      synRecv: l.synRecv,
      queuedEstablished: l.establishedUnaccepted,
      queuedCloseWait: l.closeWaitUnaccepted,
      drops: l.drops ?? null,
      acceptWaitMaxSeconds: l.acceptWait ? l.acceptWait.maxMs / 1000 : null,
      acceptWaitMedianSeconds: l.acceptWait ? l.acceptWait.medianMs / 1000 : null,
    };
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function probeSeries(snapshot: Snapshot): ProbeSeries[] {
  const byName = new Map<string, ProbeSeries>();
  for (const r of snapshot.probes) {
    const s = byName.get(r.probe) ?? { probe: r.probe, seconds: 0, success: true };
    s.seconds += r.ms / 1000;
    if (r.status !== 'ok' && r.status !== 'absent') s.success = false;
    byName.set(r.probe, s);
  }
  return [...byName.values()].sort((a, b) => cmp(a.probe, b.probe));
}

/**
 * Reduces a diagnosed snapshot to the exported series.
 * @param origins provenance of the selected processes' limits (by pid); missing ones get no `_info`.
 * @param units systemd unit of selected processes (by pid), from /proc/PID/cgroup.
 * @param listeners the listeners that get series (selectListeners; default all of them).
 * @param processesDropped selected processes cut by capProcesses.
 * @param maxProcessFindings findings about processes without series exported at most (--max-processes).
 */
export function buildMetricsModel(
  snapshot: Snapshot,
  findings: readonly Finding[],
  selected: ReadonlyMap<number, SelectionReason[]>,
  origins: ReadonlyMap<number, LimitOrigin>,
  units: ReadonlyMap<number, string>,
  listeners: ListenerSelection = selectListeners(snapshot, findings, Number.POSITIVE_INFINITY),
  processesDropped = 0,
  maxProcessFindings = Number.POSITIVE_INFINITY,
  maxNamespaces = Number.POSITIVE_INFINITY,
  freshness: NamespaceFreshness | null = null,
): MetricsModel {
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const names = distinctNetnsNames(snapshot);
  const processes: ProcessSeries[] = [];
  for (const [pid, reasons] of selected) {
    const p = byPid.get(pid);
    if (!p) continue;
    processes.push({
      labels: { ...netnsLabelsOf(snapshot, p.netns, names), pid: String(pid), program: p.name, unit: units.get(pid) ?? '' },
      openFds: p.fds.open,
      softLimit: p.fds.soft,
      hardLimit: p.fds.hard,
      sockets: namespaceRead(snapshot, p.netns) ? p.sockets : null,
      fdKinds: p.fdKinds ?? null,
      selectedBy: reasons,
      limit: limitLabels(origins.get(pid)),
    });
  }
  const fsTunables = snapshot.tunables;
  // Findings are bounded with the series they are about: one about a listener or a process
  // without series (cut by --max-listeners / --max-processes) is counted, not exported; one about
  // the host or a namespace always is. Else a local user with many full listen(0) queues adds a
  // series each.
  const keptListeners = new Set<string>();
  for (const { listener: l } of listeners.kept) keptListeners.add(`${l.netns}|${l.address}|${l.port}`).add(`${l.netns}||${l.port}`);
  let findingsDropped = 0;
  let unseriesedProcessFindings = 0;
  const exported = findings.filter((f) => {
    const s = f.subject;
    let keep = true;
    if (s.path !== undefined) keep = keptListeners.has(`${findingNetns(snapshot, s)}|${s.path}|0`);
    else if (s.port !== undefined) keep = keptListeners.has(`${findingNetns(snapshot, s)}|${s.address ?? ''}|${s.port}`);
    // A process finding without per-process series (a CLOSE_WAIT leak below --process-ratio) is
    // still exported, up to as many as --max-processes allows series: most severe first.
    else if (s.pid !== undefined) keep = selected.has(s.pid) || unseriesedProcessFindings++ < maxProcessFindings;
    if (!keep) findingsDropped++;
    return keep;
  });
  const findingSeries = exported.map((f): FindingSeries => {
    const s = f.subject;
    const program = s.name ?? (s.pid !== undefined ? (byPid.get(s.pid)?.name ?? '') : '');
    return {
      labels: {
        ...netnsLabelsOf(snapshot, findingNetns(snapshot, s), names),
        id: f.id,
        pid: s.pid !== undefined ? String(s.pid) : '',
        program,
        address: s.address ?? s.path ?? '',
        port: s.port !== undefined ? String(s.port) : '',
      },
      severity: f.severity,
    };
  });
  const selectors = netnsSelectors(snapshot.namespaces);
  const keptNamespaces = selectNamespaces(snapshot, exported, listeners, maxNamespaces);
  return {
    listeners: listenerSeries(snapshot, listeners.kept, names),
    processes,
    namespaces: keptNamespaces.map((ns) => ({
      labels: netnsLabels(ns, names),
      select: selectors.get(ns.inode) ?? '',
      listeners: { total: listeners.totals.get(ns.inode) ?? 0, dropped: listeners.dropped.get(ns.inode) ?? 0 },
      counters: ns.counters.values,
      tunables: ns.tunables,
      ageSeconds: ageOf(ns.inode, freshness),
    })),
    host: {
      filesAllocated: fsTunables['fs.file-nr']?.[0] ?? null,
      filesMax: fsTunables['fs.file-max'] ?? fsTunables['fs.file-nr']?.[2] ?? null,
      nrOpen: fsTunables['fs.nr_open'],
    },
    findings: dedupeFindings(findingSeries),
    probes: probeSeries(snapshot),
    processesSeen: snapshot.processes.length,
    processesDropped,
    findingsDropped,
    namespacesSeen: snapshot.namespaces.length,
    namespacesEmpty: snapshot.namespaces.filter((n) => n.empty).length,
    namespacesCarried: freshness?.carried.size ?? 0,
    namespacesUnread: freshness?.unread.size ?? 0,
    namespacesMaxAgeSeconds: freshness && freshness.carried.size ? Math.max(0, (freshness.nowMs - Math.min(...freshness.carried.values())) / 1000) : 0,
    partial: snapshot.partial,
  };
}

/** A namespace's age as NamespaceSeries.ageSeconds has it. */
function ageOf(inode: NetnsInode, freshness: NamespaceFreshness | null): number | null {
  if (freshness?.unread.has(inode)) return null;
  const at = freshness?.carried.get(inode);
  return at === undefined ? 0 : Math.max(0, (freshness!.nowMs - at) / 1000);
}

/**
 * At most `max` namespaces get per-namespace series (counters, sysctls, info, listener counts), the
 * worst first: sockdoc's own (the host's) always; then those an exported finding is about, the most
 * severe first, then the most such findings; then those whose listeners have series (their alerts
 * look `select` up in sockdoc_namespace_info), the most first; then those holding sockets before
 * the empty ones (NetNamespace.empty); ties by name, so the same ones are kept from scrape to
 * scrape. The rest are counted (MetricsModel.namespacesSeen minus the kept): a tenant's 2,000
 * namespaces add no series beyond the cap. Kept ones come back in the snapshot's order.
 */
export function selectNamespaces(snapshot: Snapshot, exported: readonly Finding[], listeners: ListenerSelection, max: number): NetNamespace[] {
  const all = snapshot.namespaces;
  if (all.length <= max) return [...all];
  const worst = new Map<NetnsInode, { severity: number; findings: number }>();
  for (const f of exported) {
    const inode = namespaceOf(snapshot, findingNetns(snapshot, f.subject))?.inode;
    if (inode === undefined) continue;
    const w = worst.get(inode) ?? { severity: -1, findings: 0 };
    w.severity = Math.max(w.severity, SEVERITY_VALUE[f.severity]);
    w.findings++;
    worst.set(inode, w);
  }
  const withSeries = new Map<NetnsInode, number>();
  for (const { listener } of listeners.kept) {
    const inode = namespaceOf(snapshot, listener.netns)?.inode;
    if (inode !== undefined) withSeries.set(inode, (withSeries.get(inode) ?? 0) + 1);
  }
  const keyed = all.map((ns, order) => {
    const w = worst.get(ns.inode);
    return { ns, order, own: order === 0 ? 1 : 0, severity: w?.severity ?? -1, findings: w?.findings ?? 0, listeners: withSeries.get(ns.inode) ?? 0, sockets: ns.empty ? 0 : 1, name: stableNetnsName(ns) };
  });
  keyed.sort((a, b) => b.own - a.own || b.severity - a.severity || b.findings - a.findings || b.listeners - a.listeners || b.sockets - a.sockets || cmp(a.name, b.name) || a.ns.inode - b.ns.inode);
  return keyed
    .slice(0, Math.max(1, max))
    .sort((a, b) => a.order - b.order)
    .map((k) => k.ns);
}

/** Two findings with the same labels would be one series twice (a scrape error): keep the first. */
function dedupeFindings(series: FindingSeries[]): FindingSeries[] {
  const seen = new Set<string>();
  return series.filter((s) => {
    const key = JSON.stringify(s.labels);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * `--netns NAME|INODE|PID`, `--container NAME`, `--pod NS/NAME`: narrowing a snapshot to one network
 * namespace. The result is a snapshot of that namespace alone (its sockets, listeners, processes,
 * tunables and counters first), so rules and renderers need no filter of their own.
 */
import { lazyProperty } from './lazy.js';
import { HOST_NETNS_NAME, netnsLabel, shortId } from './netns-names.js';
import { shellQuote } from '../safety/shell-quote.js';
import type { NetnsRef, Snapshot } from './types.js';
import { socketTableOf, withSocketsWhere } from './socket-table.js';

export interface NetnsQuery {
  netns?: string;
  container?: string;
  pod?: string;
}

/** A namespace as matching needs it: its identity and its processes. */
export type NetnsCandidate = NetnsRef & { pids: readonly number[] };

/**
 * What a query is matched against: a snapshot, or what is known before any namespace is read
 * (snapshot/netns-plan.ts names them all from their processes' cgroups without reading a socket).
 */
export interface NetnsView<T extends NetnsCandidate = NetnsCandidate> {
  namespaces: readonly T[];
  /** Every process with its namespace; null when its ns link could not be read. */
  processes: ReadonlyArray<{ pid: number; netns: number | null }>;
  host: { asRoot: boolean };
}

/** Whether the query asks for a namespace at all. */
export function hasNetnsQuery(q: NetnsQuery): boolean {
  return q.netns !== undefined || q.container !== undefined || q.pod !== undefined;
}

/** One line for a person: which namespaces exist, to pick from after a miss. */
function known(snapshot: NetnsView): string {
  const names = snapshot.namespaces.map(listed);
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, … (${names.length} in all; sockdoc --json lists them)` : names.join(', ');
}

function matchesNetns(n: NetnsCandidate, q: string): boolean {
  // "host" is the host's namespace, whatever a container is called (--container host finds that one).
  if (q === HOST_NETNS_NAME) return n.kind === 'host';
  // A number is an inode or a pid; `ip netns add 12345` is a name too (ip-netns(8) allows digits).
  if (/^\d+$/.test(q)) {
    const v = Number(q);
    if (n.inode === v || n.pids.includes(v)) return true;
  }
  return n.name === q || netnsLabel(n) === q || matchesContainer(n, q) || matchesPod(n, q);
}

function matchesContainer(n: NetnsRef, q: string): boolean {
  const c = n.container;
  if (!c) return false;
  if (c.name === q || c.name === q.replace(/^\//, '')) return true;
  // An id prefix, as docker accepts one (at least 4 hex digits to avoid accidental hits).
  return /^[0-9a-f]{4,64}$/.test(q) && (c.id.startsWith(q) || shortId(c.id) === q);
}

/**
 * `--container Q` as docker resolves a container reference (daemon/container.go GetContainer): the
 * full id, then the exact name, then an id prefix of any length that only one container has; a
 * prefix several have is refused naming them (matchNetns's "ambiguous").
 */
function containerHits<T extends NetnsCandidate>(namespaces: readonly T[], q: string): T[] {
  const exact = namespaces.filter((n) => n.container && (n.container.id === q || n.container.name === q || n.container.name === q.replace(/^\//, '')));
  if (exact.length) return exact;
  if (!/^[0-9a-f]{1,64}$/.test(q)) return [];
  return namespaces.filter((n) => n.container?.id.startsWith(q));
}

/** What a flag looks for, in the miss message: "no such container". */
const WHAT: Record<string, string> = { '--netns': 'network namespace', '--container': 'container', '--pod': 'pod' };

/** How a flag looked, for the miss message. */
function howLooked(flag: string, snapshot: NetnsView): string {
  const containers = snapshot.namespaces.filter((n) => n.container).map((n) => `${n.container!.name} (${shortId(n.container!.id)})`);
  const pods = snapshot.namespaces.filter((n) => n.pod).map((n) => `${n.pod!.namespace}/${n.pod!.name}`);
  const list = (xs: string[]) => (xs.length > 8 ? `${xs.slice(0, 8).join(', ')}, … (${xs.length} in all)` : xs.join(', '));
  if (flag === '--container') {
    return `looked for a container of that name, full id or unique id prefix among the ${snapshot.namespaces.length} network namespaces read, named by their runtime (docker, podman, containerd, CRI-O, LXC: its state files and cgroups, trusted only from the runtime); ${containers.length ? `containers seen: ${list(containers)}` : 'none of them is a container sockdoc could name'}`;
  }
  if (flag === '--pod') {
    return `looked for NAMESPACE/NAME among the pods named by the kubelet's and CRI's state (cgroups kubepods*) in the ${snapshot.namespaces.length} network namespaces read; ${pods.length ? `pods seen: ${list(pods)}` : 'no pod seen'}`;
  }
  return `seen: ${known(snapshot)}`;
}

function matchesPod(n: NetnsRef, q: string): boolean {
  const p = n.pod;
  if (!p) return false;
  return `${p.namespace}/${p.name}` === q || (!q.includes('/') && p.name === q);
}

/**
 * `--netns PID` of a process whose /proc/PID/ns/net could not be read (not root, another user's
 * process): the snapshot counts such a process in sockdoc's own namespace (it has to put it
 * somewhere), so matching by pid would silently narrow to the host while PID lives in a
 * container. Refused, saying why, when there are other namespaces it could be in.
 */
function refuseUnknownPid(snapshot: NetnsView, q: string | undefined): void {
  if (q === undefined || !/^\d+$/.test(q) || snapshot.namespaces.length < 2) return;
  const v = Number(q);
  if (snapshot.namespaces.some((n) => n.inode === v || n.name === q)) return;
  const p = snapshot.processes.find((x) => x.pid === v);
  if (p && p.netns === null) {
    throw new Error(`--netns ${v}: the network namespace of process ${v} could not be read (${snapshot.host.asRoot ? 'refused' : 'not root'}): give the namespace's name or inode instead`);
  }
}

/** "netns blue [4026532259]": a namespace as a person picks it from a list, with the inode that always selects it alone. */
function listed(n: NetnsRef): string {
  return `${netnsLabel(n)} [${n.inode}]`;
}

/**
 * The namespaces matching the query (all of them when the query is empty). Throws an Error with a
 * one-line message naming what exists when nothing matches, and naming the candidates when a flag
 * matches several (an `ip netns` called "host", a pod name in two Kubernetes namespaces, a short
 * id prefix): merging them would judge one namespace's listeners against another's sysctls.
 */
export function matchNetns<T extends NetnsCandidate>(snapshot: NetnsView<T>, query: NetnsQuery): T[] {
  let hits: readonly T[] = snapshot.namespaces;
  const byContainer = query.container === undefined ? null : new Set(containerHits(snapshot.namespaces, query.container));
  const tests: Array<[string, string | undefined, (n: T, q: string) => boolean]> = [
    ['--netns', query.netns, matchesNetns],
    ['--container', query.container, (n) => byContainer!.has(n)],
    ['--pod', query.pod, matchesPod],
  ];
  refuseUnknownPid(snapshot, query.netns);
  const asked: string[] = [];
  for (const [flag, q, test] of tests) {
    if (q === undefined) continue;
    const alone = snapshot.namespaces.filter((n) => test(n, q));
    if (alone.length === 0) throw new Error(`${flag} ${JSON.stringify(q)}: no such ${WHAT[flag]}; ${howLooked(flag, snapshot)}`);
    const before = asked.join(' and ');
    asked.push(`${flag} ${JSON.stringify(q)}`);
    hits = hits.filter((n) => test(n, q));
    // Each exists, but not together: say which is which rather than "no such namespace".
    if (hits.length === 0) throw new Error(`${before} and ${flag} ${JSON.stringify(q)} name different network namespaces (${flag} ${JSON.stringify(q)} is ${alone.map(listed).join(', ')}): give one`);
  }
  if (hits.length > 1) {
    const ids = query.container !== undefined && hits.every((n) => n.container) ? ` (container ids ${hits.map((n) => shortId(n.container!.id)).join(', ')}: a longer prefix picks one)` : '';
    throw new Error(`${asked.join(' and ')} is ambiguous: it names ${hits.map(listed).join(', ')}${ids}; give the inode (--netns INODE)`);
  }
  return [...hits];
}

/** The pids holding a TCP socket or a listener of the namespaces `inodes`. */
function holdersIn(snapshot: Snapshot, inodes: ReadonlySet<number>): Set<number> {
  const out = new Set<number>();
  for (const l of snapshot.listeners) if (inodes.has(l.netns)) for (const pid of l.pids) out.add(pid);
  const table = socketTableOf(snapshot);
  for (let i = 0; i < table.length; i++) {
    if (table.inode[i] === 0 || !inodes.has(table.netns[i])) continue;
    for (const o of snapshot.owners.get(table.inode[i]) ?? []) out.add(o.pid);
  }
  return out;
}

/** `snapshot` narrowed to the namespaces `keep` (in the snapshot's order); unchanged when all are kept. */
export function restrictToNetns(snapshot: Snapshot, keep: ReadonlyArray<{ inode: number }>): Snapshot {
  if (keep.length === snapshot.namespaces.length) return snapshot;
  const inodes = new Set(keep.map((n) => n.inode));
  const namespaces = snapshot.namespaces.filter((n) => inodes.has(n.inode));
  const first = namespaces[0];
  // Before namespaces were read every socket carried 0; the first namespace holds those.
  const inScope = (inode: number | null) => inodes.has(inode ?? snapshot.namespaces[0].inode);
  const holders = holdersIn(snapshot, inodes);
  // Its processes, and those elsewhere that hold its sockets (a process that left it with
  // unshare/setns, a socket passed in over SCM_RIGHTS): the findings on those sockets name them.
  const processes = snapshot.processes.filter((p) => inScope(p.netns) || holders.has(p.pid));
  const pids = new Set(processes.map((p) => p.pid));
  const narrowed = withSocketsWhere(snapshot, (s) => inodes.has(s.netns), {
    namespaces,
    listeners: snapshot.listeners.filter((l) => inodes.has(l.netns)),
    processes,
    owners: new Map([...snapshot.owners].filter(([, holders]) => holders.some((h) => pids.has(h.pid)))),
    tunables: first.tunables,
    counters: first.counters,
    limitOrigins: new Map([...snapshot.limitOrigins].filter(([pid]) => pids.has(pid))),
    ...(snapshot.programs ? { programs: snapshot.programs.filter((p) => pids.has(p.pid)) } : {}),
    partial: namespaces.some((n) => n.partial) || snapshot.partial,
  });
  // Unix sockets stay unmade until read (the `in` test does not read them).
  if ('unixSockets' in snapshot) lazyProperty(narrowed, 'unixSockets', () => (snapshot.unixSockets ?? []).filter((u) => inodes.has(u.netns)));
  return narrowed;
}

/**
 * For every namespace, the flags that select it alone on this host, as a person pastes them into a
 * sockdoc command: `--container web`, `--pod shop/web-7d9f`, `--netns blue`; `--netns INODE` when its
 * name would match another namespace too (or it has none); '' for the host, which every command
 * reads anyway. Each value shell-quoted (an `ip netns` name may hold anything). Linear in the
 * namespaces: serve computes it on every scrape.
 */
export function netnsSelectors(namespaces: readonly NetnsCandidate[]): Map<number, string> {
  // How many namespaces each flag value would match, by the rules of matchesNetns/Container/Pod.
  const names = new Map<string, number>();
  const count = (key: string) => names.set(key, (names.get(key) ?? 0) + 1);
  for (const n of namespaces) {
    const keys = new Set<string>();
    if (n.container?.name) keys.add(`c:${n.container.name}`);
    if (n.pod) keys.add(`p:${n.pod.namespace}/${n.pod.name}`);
    // --netns matches a namespace by its name, its label, and its container's or pod's name.
    for (const v of [n.name, netnsLabel(n), n.container?.name, n.pod && `${n.pod.namespace}/${n.pod.name}`]) if (v) keys.add(`n:${v}`);
    for (const k of keys) count(k);
  }
  const unique = (key: string, q: string) =>
    names.get(key) === 1 &&
    // A name that reads as an inode, a pid or a container id prefix could select another namespace.
    !/^\d+$/.test(q) &&
    !(/^[0-9a-f]{4,64}$/.test(q) && namespaces.some((m) => m.container && (m.container.id.startsWith(q) || shortId(m.container.id) === q)));
  const out = new Map<number, string>();
  for (const n of namespaces) {
    if (n.kind === 'host') {
      out.set(n.inode, '');
      continue;
    }
    const c = n.container?.name;
    const pod = n.pod ? `${n.pod.namespace}/${n.pod.name}` : null;
    if (pod && unique(`p:${pod}`, pod)) out.set(n.inode, `--pod ${shellQuote(pod)}`);
    else if (c && n.kind !== 'kubernetes' && unique(`c:${c}`, c)) out.set(n.inode, `--container ${shellQuote(c)}`);
    else if (n.kind === 'netns' && unique(`n:${n.name}`, n.name)) out.set(n.inode, `--netns ${shellQuote(n.name)}`);
    else out.set(n.inode, `--netns ${n.inode}`);
  }
  return out;
}

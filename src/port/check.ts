/**
 * `sockdoc port P`: why connections to port P fail or succeed, from one snapshot. Pure.
 *
 * What a client connecting to P meets (net/ipv4/inet_hashtables.c `__inet_lookup_listener`, and
 * the IPv6 one): a listener bound to the destination address or to the wildcard of its family; an
 * IPv6 wildcard socket also takes IPv4 clients (as v4-mapped addresses) unless IPV6_V6ONLY is set
 * (ipv6(7); default from net.ipv6.bindv6only, 0). No listener: the kernel answers the SYN with a
 * reset, "connection refused". Listeners are per network namespace: one inside a container is not
 * reachable at the host's addresses unless something forwards to it (docker -p, a NAT rule).
 */
import { namespaceOf } from '../snapshot/namespaces.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import type { Listener, NetNamespace, Snapshot } from '../snapshot/types.js';
import type { Finding } from '../rules/types.js';
import { nsCommand } from '../rules/support/netns-fix.js';
import { terminalSafe } from '../safety/terminal.js';
import { forwardHops, hopGroupSentence, type ForwardHop, type ForwardReads, type HopStatus } from './forwarders.js';
import { BIND_CAUTION, exposureOf, notOfferedBind } from './exposure.js';

export type PortVerdict = 'listening' | 'not-listening' | 'loopback-only' | 'ipv6-only' | 'other-namespace-only' | 'forwarded' | 'forwarded-unreachable';

export interface PortOwner {
  pid: number;
  name: string | null;
  fd: number;
  /** RLIMIT_NOFILE use of the owner; null when unknown. */
  openFds: number | null;
  softLimit: number | null;
  hardLimit: number | null;
}

export interface PortListener {
  /** Name of its network namespace ("host", a container, "netns INODE"). */
  netns: string;
  netnsInode: number;
  /** In the namespace sockdoc runs in (the first of the snapshot). */
  inHostNamespace: boolean;
  family: 4 | 6;
  address: string;
  port: number;
  /** As `ss -ltn` prints it: 0.0.0.0:P, *:P (dual-stack), [::]:P (IPv6 only), 127.0.0.1:P, [::1]:P. */
  ssLocal: string;
  v6only: boolean | null;
  /** Which clients it takes: 'any' address, 'loopback' (this host only), or one 'address'. */
  reach: 'any' | 'loopback' | 'address';
  /** IPv4 clients accepted: null when unknown (an IPv6 wildcard whose v6only was not readable). */
  ipv4: boolean | null;
  ipv6: boolean;
  acceptQueue: number;
  backlog: number | null;
  synRecv: number;
  owners: PortOwner[];
}

export interface PortCheck {
  port: number;
  verdict: PortVerdict;
  /** Severity of the verdict alone: not-listening = critical, loopback/IPv6-only/elsewhere = warning. */
  severity: 'ok' | 'warning' | 'critical';
  /** One line answer. */
  headline: string;
  /** Sentences: why, what clients experience. */
  explain: string[];
  fix: string[];
  listeners: PortListener[];
  /**
   * Where the port is forwarded (docker-proxy, socat, DNAT rules, a proxy's upstream), each hop
   * followed into the namespace that owns its target and judged there; [] when nothing forwards it
   * (or it was not asked: a snapshot without the forwarder reads).
   */
  forwarders: ForwardHop[];
}

const LOOPBACK4 = /^(?:::ffff:)?127\./;

/** How ss prints a listening address (iproute2 misc/ss.c: `*` for a dual-stack wildcard). */
export function ssLocal(l: Pick<Listener, 'family' | 'address' | 'port' | 'v6only'>): string {
  if (l.family === 6 && l.address === '::') return l.v6only === false ? `*:${l.port}` : `[::]:${l.port}`;
  return l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

function reachOf(l: Listener): PortListener['reach'] {
  if (l.address === '0.0.0.0' || l.address === '::') return 'any';
  if (l.address === '::1' || LOOPBACK4.test(l.address)) return 'loopback';
  return 'address';
}

function ipv4Of(l: Listener): boolean | null {
  if (l.family === 4) return true;
  if (l.address === '::') return l.v6only === null || l.v6only === undefined ? null : !l.v6only;
  return l.address.startsWith('::ffff:');
}

/** One sentence naming the namespaces whose sockets could not be read, and why. */
function unreadSentence(unread: readonly NetNamespace[], asRoot: boolean): string {
  const names = unread.map((n) => netnsLabel(n));
  const list = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
  const why = asRoot ? 'they could not be entered' : 'entering a network namespace needs root (CAP_SYS_ADMIN) and none of their processes are visible';
  return `The sockets of ${list} could not be read (${why}): a listener there is not seen.`;
}

function view(snapshot: Snapshot, l: Listener & { family: 4 | 6 }, host: NetNamespace | undefined): PortListener {
  const ns = namespaceOf(snapshot, l.netns);
  return {
    netns: ns?.name ?? `netns ${l.netns}`,
    netnsInode: l.netns,
    inHostNamespace: host === undefined || ns === host || l.netns === host.inode,
    family: l.family,
    address: l.address,
    port: l.port,
    ssLocal: ssLocal({ ...l, v6only: l.v6only ?? null }),
    v6only: l.v6only ?? null,
    reach: reachOf(l),
    ipv4: ipv4Of(l),
    ipv6: l.family === 6 && !l.address.startsWith('::ffff:'),
    acceptQueue: l.acceptQueue,
    backlog: l.backlog,
    synRecv: l.synRecv,
    owners: l.owners.map((o) => {
      const p = snapshot.processes.find((x) => x.pid === o.pid);
      return { pid: o.pid, name: p?.name ?? null, fd: o.fd, openFds: p?.fds.open ?? null, softLimit: p?.fds.soft ?? null, hardLimit: p?.fds.hard ?? null };
    }),
  };
}

/**
 * The verdict for port P over every namespace of the snapshot. `narrowed`: the snapshot was cut to
 * the namespace --netns/--container/--pod chose, so "nothing listens" speaks of that one alone.
 */
export function checkPort(snapshot: Snapshot, port: number, opts: { narrowed?: boolean; forward?: { whole: Snapshot; reads: ForwardReads } } = {}): PortCheck {
  const base = checkListeners(snapshot, port, opts);
  const host = snapshot.namespaces[0];
  if (!opts.forward || !host) return { ...base, forwarders: [] };
  if (base.verdict === 'other-namespace-only') return elsewhereHops(base, port, opts.forward);
  const { hops, notes } = forwardHops(opts.forward.whole, host.inode, port, opts.forward.reads);
  if (!hops.length) return { ...base, forwarders: [], explain: [...base.explain, ...notes.map((n) => `${n[0].toUpperCase()}${n.slice(1)}.`)] };
  return withHops(base, hops, port);
}

/**
 * The port listens only inside other namespaces: what forwards it there is followed too (a socat in
 * `ip netns` X listening on P and connecting on), as `--netns X` would, so the answer does not
 * depend on the filter: a failing hop there is critical, whatever the host's namespace holds.
 */
function elsewhereHops(base: Omit<PortCheck, 'forwarders'>, port: number, forward: { whole: Snapshot; reads: ForwardReads }): PortCheck {
  const spaces = [...new Set(base.listeners.filter((l) => !l.inHostNamespace).map((l) => l.netnsInode))];
  const hops: ForwardHop[] = [];
  for (const inode of spaces) hops.push(...forwardHops(forward.whole, inode, port, forward.reads).hops);
  if (!hops.length) return { ...base, forwarders: [] };
  const label = (inode: number) => {
    const ns = namespaceOf(forward.whole, inode);
    return ns ? netnsLabel(ns) : `netns ${inode}`;
  };
  const lines = hops.map((h) => `Inside ${label(h.netns)}, port ${port} is ${h.sentence}.`);
  const broken = hops.filter((h) => BROKEN.has(h.status));
  if (!broken.length) return { ...base, explain: [...base.explain, ...lines], forwarders: hops };
  const first = broken[0];
  return {
    ...base,
    verdict: 'forwarded-unreachable',
    severity: 'critical',
    headline: `Port ${port} listens only inside ${label(first.netns)}, where it is ${first.sentence}`,
    explain: [...base.explain, ...lines],
    // The failing hop first: that is what to fix; how to reach the namespace at all comes after.
    fix: [...new Set([...broken.flatMap((h) => h.fix), ...base.fix])],
    forwarders: hops,
  };
}

/** The hop a person must fix first: a broken one (refused, loopback only, queue full), else the first. */
const BROKEN: ReadonlySet<HopStatus> = new Set(['refused', 'loopback-only', 'queue-full']);

/**
 * The verdict once the hops are known: a hop that fails makes the port fail whatever listens at the
 * front (docker-proxy accepts, then closes: "Empty reply from server"); all hops reachable make a
 * forwarded port healthy even with no listener in this namespace (a DNAT rule alone).
 */
function withHops(base: Omit<PortCheck, 'forwarders'>, hops: ForwardHop[], port: number): PortCheck {
  const broken = hops.filter((h) => BROKEN.has(h.status));
  // One sentence per target and outcome: docker-proxy and the DOCKER chain's DNAT rule lead to one container.
  const groups = new Map<string, ForwardHop[]>();
  for (const h of hops) {
    const key = `${h.target.address} ${h.target.port} ${h.outcome}`;
    groups.set(key, [...(groups.get(key) ?? []), h]);
  }
  const lines = [...groups.values()].map((g) => `Port ${port} is ${hopGroupSentence(g)}.`);
  if (broken.length) {
    const first = broken[0];
    return {
      ...base,
      verdict: 'forwarded-unreachable',
      severity: 'critical',
      headline: `Port ${port} is ${first.sentence}`,
      explain: [
        ...lines,
        first.status === 'loopback-only' || first.status === 'refused'
          ? 'The forwarder accepts the client (or rewrites its packets), then its own connection to the target is refused: clients see the connection closed at once ("Empty reply from server", a reset), while `ss` on this host shows a healthy listener.'
          : 'The forwarded connections reach a listener that is not accepting them: they wait, then time out.',
      ],
      fix: [...new Set(broken.flatMap((h) => h.fix))],
      forwarders: hops,
    };
  }
  const reachable = hops.filter((h) => h.status === 'reachable');
  if (reachable.length && (base.verdict === 'listening' || base.verdict === 'not-listening' || base.verdict === 'other-namespace-only')) {
    return {
      ...base,
      verdict: base.verdict === 'listening' ? 'listening' : 'forwarded',
      severity: base.verdict === 'listening' ? base.severity : 'ok',
      headline: `Port ${port} is ${reachable[0].sentence}`,
      explain: [...lines, ...(base.verdict === 'listening' ? base.explain : [])],
      fix: base.verdict === 'listening' ? base.fix : [],
      forwarders: hops,
    };
  }
  return { ...base, explain: [...base.explain, ...lines], forwarders: hops };
}

/** The verdict from the listeners alone (before any forwarder is followed). */
function checkListeners(snapshot: Snapshot, port: number, opts: { narrowed?: boolean }): Omit<PortCheck, 'forwarders'> {
  const host = snapshot.namespaces[0];
  const listeners = snapshot.listeners.filter((l): l is Listener & { family: 4 | 6 } => l.port === port && l.family !== 'unix').map((l) => view(snapshot, l, host));
  const here = listeners.filter((l) => l.inHostNamespace);
  const elsewhere = listeners.filter((l) => !l.inHostNamespace);
  // A namespace whose sockets could not be read at all (not root: no setns, none of its processes
  // visible) is not a namespace where "nothing listens": it is one sockdoc did not see.
  const unread = snapshot.namespaces.filter((n) => n.socketSource === null);
  const nsCount = Math.max(1, snapshot.namespaces.length - unread.length);
  const seen = opts.narrowed && host
    ? (host.kind === 'host' ? "the host's network namespace" : netnsLabel(host))
    : `${nsCount} network namespace${nsCount === 1 ? '' : 's'} sockdoc read`;
  const unseen = unread.length
    ? `; ${unread.length} more could not be read${snapshot.host.asRoot ? '' : ' (not root)'}`
    : '';
  // Commands about the namespace asked about: the host's, or the one --netns/--container chose.
  const here0 = (cmd: string) => nsCommand(snapshot, host?.inode ?? null, cmd);
  const refused =
    'The kernel answers a SYN to a port nobody listens on with a reset: clients get "connection refused" (ECONNREFUSED) at once.';

  if (here.length === 0 && elsewhere.length === 0) {
    return {
      port,
      verdict: 'not-listening',
      severity: 'critical',
      headline: `Nothing listens on port ${port} in ${opts.narrowed ? '' : 'the '}${seen}${unseen}: connections to it are refused`,
      explain: [
        refused,
        'The service is not running, crashed, is still starting, or listens on another port (check its configuration and logs).',
        ...(unread.length ? [unreadSentence(unread, snapshot.host.asRoot)] : []),
        ...(snapshot.partial ? ['This report is partial: some sockets or processes were not visible (see the notes of `sockdoc`).'] : []),
        ...(snapshot.namespaces.length <= 1 && !opts.narrowed ? ['Only the network namespace sockdoc runs in was read: a listener inside a container has its own namespace and is not seen here.'] : []),
      ],
      fix: [
        `${here0(`ss -ltnp 'sport = :${port}'`)}   # confirm: nothing listening`,
        'systemctl --failed; journalctl -u SERVICE -n 50   # did the service fail to start?',
        `${here0('ss -ltnp')}   # what does listen: a typo in the port, or the service moved?`,
        ...(unread.length && !snapshot.host.asRoot ? [`sudo sockdoc port ${port}   # root reads every network namespace`] : []),
      ],
      listeners,
    };
  }

  if (here.length === 0) {
    const spaces = [...new Map(elsewhere.map((l) => [l.netnsInode, namespaceOf(snapshot, l.netnsInode)!])).values()];
    const names = spaces.map((n) => netnsLabel(n)).join(', ');
    const containers = spaces.filter((n) => n.kind !== 'netns' && n.kind !== 'other');
    const docker = spaces.some((n) => n.kind === 'docker' || n.kind === 'podman');
    return {
      port,
      verdict: 'other-namespace-only',
      severity: 'warning',
      headline: `Port ${port} listens only inside ${names}: not at this host's addresses`,
      explain: [
        `The listener${elsewhere.length > 1 ? 's are' : ' is'} in ${spaces.length > 1 ? 'other network namespaces' : 'another network namespace'}, with ${spaces.length > 1 ? 'their' : 'its'} own addresses and ports.`,
        `Connections to port ${port} at the host's addresses are refused unless something forwards them (${containers.length ? `docker run -p ${port}:${port}, a Kubernetes Service, ` : ''}a NAT rule).`,
      ],
      fix: [
        ...(docker ? [`docker ps --format '{{.Names}} {{.Ports}}'   # is ${port} published?`] : []),
        // The listener seen from inside its own namespace: ip netns exec NAME / nsenter -n -t PID.
        ...spaces.map((n) => `${nsCommand(snapshot, n.inode, `ss -ltnp 'sport = :${port}'`)}   # the listener inside ${terminalSafe(netnsLabel(n))}`),
        containers.length
          ? `# publish it (docker run -p ${port}:${port} ..., a Kubernetes Service), or connect to the container's own address`
          : `# forward to it (a veth pair and a NAT rule), or run the service in the host's namespace`,
      ],
      listeners,
    };
  }

  // Reachable from other hosts: an IPv4 listener on 127.0.0.1 beside an IPv6-only [::] still
  // refuses every IPv4 client that is not this host.
  const ipv4 = here.some((l) => l.ipv4 === true && l.reach !== 'loopback');
  const ipv4Unknown = !ipv4 && here.some((l) => l.ipv4 === null && l.reach !== 'loopback');
  const ipv4Loopback = here.some((l) => l.ipv4 === true && l.reach === 'loopback');
  const allLoopback = here.every((l) => l.reach === 'loopback');
  if (allLoopback) {
    const reachFrom = host && host.kind !== 'host' ? `inside ${netnsLabel(host)}` : 'this host';
    // Never "bind 0.0.0.0" for a program that answers anyone (exposure.ts): why, and the safe way.
    const exposure = exposureOf(snapshot, here.flatMap((l) => l.owners.map((o) => o.pid)));
    return {
      port,
      verdict: 'loopback-only',
      severity: 'warning',
      headline: `Port ${port} listens on ${here.map((l) => l.ssLocal).join(', ')} only: reachable from ${reachFrom} alone`,
      explain: [
        'A socket bound to a loopback address takes connections to that address only; other hosts connect to one of the host\'s own addresses and get "connection refused".',
        exposure.open.length
          ? `Here that is what keeps it safe: ${exposure.open[0].why}.`
          : 'This is often deliberate (a database or admin port kept private) and often a mistake (a server that binds 127.0.0.1 by default, e.g. a development config).',
      ],
      fix: exposure.open.length
        ? notOfferedBind(exposure, '0.0.0.0', host && host.kind !== 'host' ? `in ${netnsLabel(host)}` : 'on this host')
        : [
            BIND_CAUTION,
            "# then bind the service to 0.0.0.0 (IPv4), [::] (IPv4 and IPv6 unless IPV6_V6ONLY) or the host's address in its configuration, and restart it",
            `${here0(`ss -ltnp 'sport = :${port}'`)}   # check: 0.0.0.0:${port} or *:${port}`,
          ],
      listeners,
    };
  }
  if (!ipv4 && !ipv4Unknown) {
    return {
      port,
      verdict: 'ipv6-only',
      severity: 'warning',
      headline: ipv4Loopback
        ? `Port ${port} listens for IPv6, and for IPv4 on loopback only (${here.map((l) => l.ssLocal).join(', ')}): IPv4 clients from other hosts are refused`
        : `Port ${port} listens for IPv6 only (${here.map((l) => l.ssLocal).join(', ')}): IPv4 clients are refused`,
      explain: [
        'The listener has IPV6_V6ONLY set (or is bound to an IPv6 address): IPv4 clients, who connect to an IPv4 address of this host, find no listener and get "connection refused". ss prints such a wildcard as [::]:P; a dual-stack one as *:P.',
        'The option comes from the program (setsockopt IPV6_V6ONLY, e.g. nginx `listen [::]:80 ipv6only=on`, the default there) or from net.ipv6.bindv6only = 1.',
      ],
      fix: [
        `# add an IPv4 listener (nginx: listen ${port};) or clear IPV6_V6ONLY in the program (nginx: ipv6only=off)`,
        `${here0('sysctl net.ipv6.bindv6only')}   # 1 makes every [::] socket IPv6-only by default (per network namespace)`,
      ],
      listeners,
    };
  }
  const specific = here.every((l) => l.reach !== 'any');
  const ipv6Remote = here.some((l) => l.ipv6 && l.reach !== 'loopback');
  const ipv6Loopback = here.some((l) => l.ipv6 && l.reach === 'loopback');
  const explain = [
    `Port ${port} has ${here.length} listener${here.length > 1 ? 's' : ''} here: ${here.map((l) => l.ssLocal).join(', ')}.`,
  ];
  if (ipv4Unknown) {
    explain.push(
      'Whether IPv4 clients are accepted is unknown: the IPv6 wildcard listener\'s IPV6_V6ONLY could not be read (sockets came from /proc/net/tcp6). They are, unless the program set IPV6_V6ONLY or net.ipv6.bindv6only = 1.',
    );
  }
  if (ipv6Loopback && !ipv6Remote) explain.push('Its IPv6 listener is on ::1 only: IPv6 clients from other hosts are refused (IPv4 ones are taken).');
  if (specific) explain.push('It is bound to specific addresses only: connections to the host\'s other addresses are refused.');
  if (elsewhere.length) explain.push(`Port ${port} is also in use inside ${[...new Set(elsewhere.map((l) => l.netns))].join(', ')}.`);
  return {
    port,
    verdict: 'listening',
    severity: 'ok',
    headline: `Port ${port} is listening: ${here.map((l) => l.ssLocal).join(', ')}`,
    explain,
    fix: [],
    listeners,
  };
}

/** Severity order, worst last. */
const RANK = { ok: 0, info: 0, warning: 1, critical: 2 } as const;

/**
 * The first line of `sockdoc port`: the verdict, unless a finding on the port is worse. A port that
 * is "listening" while its accept queue is full refuses or drops clients: the answer says so first
 * (the worst finding's title), not a green tick above a critical finding.
 */
export function portAnswer(check: PortCheck, findings: readonly Finding[]): { severity: PortCheck['severity']; headline: string } {
  let worst: Finding | undefined;
  for (const f of findings) if (f.severity !== 'info' && (!worst || RANK[f.severity] > RANK[worst.severity])) worst = f;
  if (!worst || RANK[worst.severity] <= RANK[check.severity]) return { severity: check.severity, headline: check.headline };
  const severity = worst.severity === 'critical' ? 'critical' : 'warning';
  if (check.verdict !== 'listening') return { severity, headline: `${check.headline}; and ${worst.title}` };
  const where = check.listeners.filter((l) => l.inHostNamespace).map((l) => l.ssLocal).join(', ');
  return { severity, headline: `Port ${check.port} listens (${where}), but: ${worst.title}` };
}

/** Exit code of `sockdoc port`: the worse of the verdict and the port's findings (as diagnose). */
export function portExitCode(check: PortCheck, findings: readonly Finding[]): 0 | 1 | 2 {
  if (check.severity === 'critical' || findings.some((f) => f.severity === 'critical')) return 2;
  if (check.severity === 'warning' || findings.some((f) => f.severity === 'warning')) return 1;
  return 0;
}

/**
 * The path a connection to port P takes when something forwards it: docker-proxy (its
 * -container-ip/-container-port), socat (TCP-LISTEN:P ... TCP:HOST:PORT), the DNAT rules of the
 * namespace (docker's DOCKER chain, kube-proxy's NodePort chains, a CNI hostPort), and a proxy of
 * the program catalogue (nginx proxy_pass, an HAProxy backend server). Each hop is followed into the
 * namespace that owns the target address, and judged there: does something listen on the target port
 * at an address the forwarder can reach (not 127.0.0.1 inside a container: that is the container's
 * own loopback), and is its queue healthy?
 *
 * Pure over the snapshot, given the namespaces' NAT rules and local addresses (read by the command,
 * only when a forwarder is seen: cost grows with what is asked).
 */
import { natTargets, type NatTable, type NatTarget } from '../probe/nat-rules.js';
import type { NetnsAddresses } from '../probe/netns-addresses.js';
import { parseIPv4Text, parseIPv6Text } from '../probe/inet-address.js';
import { namespaceOf, tunablesOf } from '../snapshot/namespaces.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import type { Listener, NetnsInode, ProcessInfo, Snapshot } from '../snapshot/types.js';
import { queueState } from '../rules/support/levels.js';
import { DEFAULT_RULE_OPTIONS } from '../rules/types.js';
import { nsCommand } from '../rules/support/netns-fix.js';
import { shellQuote } from '../safety/shell-quote.js';
import { terminalSafe } from '../safety/terminal.js';
import { exposureOf } from './exposure.js';

export type HopVia = 'docker-proxy' | 'socat' | 'kube-proxy' | 'docker' | 'hostport' | 'dnat' | 'nginx' | 'haproxy';
export type HopStatus = 'reachable' | 'refused' | 'loopback-only' | 'queue-full' | 'elsewhere' | 'unknown';

export interface ForwardHop {
  via: HopVia;
  /** Who forwards, in words: "docker-proxy (pid 7366)", "docker's DNAT rule (chain DOCKER)". */
  by: string;
  pid: number | null;
  /** Every process of the forwarder (docker-proxy runs one per address family); [] for a rule. */
  pids: number[];
  /** The namespace the forwarder is in. */
  netns: NetnsInode;
  /** Its own listeners on the port, as ss prints them ([] for a DNAT rule). */
  listen: string[];
  target: { address: string; port: number };
  /** The namespace that owns the target address; null when none sockdoc read does (or several). */
  targetNetns: NetnsInode | null;
  targetName: string | null;
  status: HopStatus;
  /** Listeners on the target port in the target namespace, as ss prints them. */
  targetListeners: string[];
  /** One sentence: the hop and its outcome. */
  sentence: string;
  /** The outcome alone, after the target ("in docker container web (…), which listens on 0.0.0.0:9000: reachable"). */
  outcome: string;
  fix: string[];
}

/** What the command read for the forwarders: NAT rules and local addresses, per namespace, on demand. */
export interface ForwardReads {
  /** The NAT rules of a namespace; table null with a note when they could not be read. */
  nat(inode: NetnsInode): { table: NatTable | null; note: string | null };
  /** The local addresses of a namespace; null when unknown. */
  addresses(inode: NetnsInode): NetnsAddresses | null;
}

/** ss's form of a listener address. */
function ssForm(l: Pick<Listener, 'address' | 'port' | 'family' | 'v6only'>): string {
  if (l.family === 6 && l.address === '::') return l.v6only === false ? `*:${l.port}` : `[::]:${l.port}`;
  return l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

/** "-container-ip X -container-port Y" of docker-proxy's argv. */
export function dockerProxyTarget(cmdline: string): { address: string; port: number } | null {
  const w = cmdline.split(' ');
  const ip = w[w.indexOf('-container-ip') + 1];
  const port = Number(w[w.indexOf('-container-port') + 1]);
  if (w.indexOf('-container-ip') < 0 || !ip || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { address: ip, port };
}

/** socat's listening port and target: "TCP-LISTEN:8080,fork TCP:10.0.0.5:80" (also TCP4/TCP6, -CONNECT). */
export function socatTarget(cmdline: string): { listen: number; address: string; port: number } | null {
  let listen: number | null = null;
  let target: { address: string; port: number } | null = null;
  for (const raw of cmdline.split(' ')) {
    const w = raw.split(',')[0];
    const u = w.toUpperCase();
    const colon = w.indexOf(':');
    if (colon < 0) continue;
    const kind = u.slice(0, colon);
    const rest = w.slice(colon + 1);
    if (kind === 'TCP-LISTEN' || kind === 'TCP4-LISTEN' || kind === 'TCP6-LISTEN' || kind === 'TCP-L' || kind === 'TCP4-L' || kind === 'TCP6-L') {
      const p = Number(rest);
      if (Number.isInteger(p) && p > 0 && p < 65536) listen = p;
    } else if (kind === 'TCP' || kind === 'TCP4' || kind === 'TCP6' || kind === 'TCP-CONNECT' || kind === 'TCP4-CONNECT' || kind === 'TCP6-CONNECT') {
      const last = rest.lastIndexOf(':');
      let host = rest.slice(0, last);
      if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
      const p = Number(rest.slice(last + 1));
      if (last > 0 && Number.isInteger(p) && p > 0 && p < 65536) target = { address: host, port: p };
    }
  }
  return listen !== null && target ? { listen, ...target } : null;
}

/** Address text -> canonical bytes key, for comparing "::ffff:1.2.3.4" with "1.2.3.4". */
function addrKey(a: string): string | null {
  const v4 = parseIPv4Text(a);
  if (v4) return v4.join('.');
  const v6 = parseIPv6Text(a);
  if (!v6) return null;
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return v6.slice(12).join('.');
  return v6.join(':');
}

const isLoopback = (a: string) => a === 'localhost' || a === '::1' || (addrKey(a) ?? '').startsWith('127.');

/** Does listener `l` take connections to address `a`? */
function accepts(l: Listener, a: string): boolean | null {
  const key = addrKey(a);
  const v4 = key !== null && !key.includes(':');
  if (l.family === 4) return l.address === '0.0.0.0' || addrKey(l.address) === key;
  if (l.address === '::') return v4 ? (l.v6only === null || l.v6only === undefined ? null : !l.v6only) : true;
  return addrKey(l.address) === key;
}

function procOf(s: Snapshot, pid: number): ProcessInfo | undefined {
  return s.processes.find((p) => p.pid === pid);
}

/**
 * The namespace owning `address`, seen from a forwarder in `from`: a loopback address stays in
 * `from`; else every namespace whose addresses hold it, narrowed (when several do, as every docker
 * bridge hands out 172.17.0.2) to those whose processes were started from `from` (a container's
 * init is the child of a shim in the daemon's namespace), then to those listening on the port.
 */
function ownerOf(s: Snapshot, reads: ForwardReads, from: NetnsInode, address: string, port: number): { inode: NetnsInode | null; why: string | null } {
  if (isLoopback(address)) return { inode: from, why: null };
  const key = addrKey(address);
  if (key === null) return { inode: null, why: `${address} is a name, not an address: sockdoc does not resolve it` };
  let hits = s.namespaces.filter((n) => {
    const a = reads.addresses(n.inode);
    return a !== null && [...a.v4, ...a.v6].some((x) => addrKey(x) === key);
  });
  if (hits.length > 1) {
    const near = hits.filter((n) => n.pids.some((pid) => {
      const parent = procOf(s, procOf(s, pid)?.ppid ?? -1);
      return parent !== undefined && parent.netns === from;
    }));
    if (near.length) hits = near;
  }
  if (hits.length > 1) {
    const listening = hits.filter((n) => s.listeners.some((l) => l.netns === n.inode && l.port === port));
    if (listening.length) hits = listening;
  }
  if (hits.length === 1) return { inode: hits[0].inode, why: null };
  if (hits.length > 1) return { inode: null, why: `${address} belongs to several network namespaces (${hits.map((n) => netnsLabel(n)).join(', ')}): which one it reaches is not known` };
  return { inode: null, why: `${address} is not an address of any network namespace sockdoc read (another host?): not checked` };
}

/** The verb of a hop: a port is published by docker, forwarded by a rule or socat, proxied by a proxy. */
const VERB: Record<HopVia, string> = { 'docker-proxy': 'published by', docker: 'published by', hostport: 'published by', 'kube-proxy': 'forwarded by', socat: 'forwarded by', dnat: 'forwarded by', nginx: 'proxied by', haproxy: 'proxied by' };

/** Judges one hop in its target namespace (the outcome is the sentence after its head). */
function judge(s: Snapshot, reads: ForwardReads, hop: Omit<ForwardHop, 'targetNetns' | 'targetName' | 'status' | 'targetListeners' | 'sentence' | 'fix' | 'outcome'>): ForwardHop {
  const r = judgeHop(s, reads, hop);
  const head = `${VERB[hop.via]} ${hop.by} to ${targetText(hop.target)}`;
  return { ...r, outcome: r.sentence.startsWith(head) ? r.sentence.slice(head.length) : `: ${r.sentence}` };
}

const targetText = (t: { address: string; port: number }) => `${t.address.includes(':') ? `[${t.address}]` : t.address}:${t.port}`;

/** The sentence of a group of hops that reach one target the same way: "published by docker-proxy (pid 7) and docker's DNAT rule (…) to A:P, but …". */
export function hopGroupSentence(hops: readonly ForwardHop[]): string {
  const verbs = [...new Set(hops.map((h) => VERB[h.via]))];
  const by = verbs.map((v) => `${v} ${hops.filter((h) => VERB[h.via] === v).map((h) => h.by).join(' and ')}`).join(' and ');
  return `${by} to ${targetText(hops[0].target)}${hops[0].outcome}`;
}

function judgeHop(s: Snapshot, reads: ForwardReads, hop: Omit<ForwardHop, 'targetNetns' | 'targetName' | 'status' | 'targetListeners' | 'sentence' | 'fix' | 'outcome'>): Omit<ForwardHop, 'outcome'> {
  const head = `${VERB[hop.via]} ${hop.by} to ${targetText(hop.target)}`;
  const owner = ownerOf(s, reads, hop.netns, hop.target.address, hop.target.port);
  if (owner.inode === null) return { ...hop, targetNetns: null, targetName: null, status: owner.why?.includes('several') ? 'unknown' : 'elsewhere', targetListeners: [], sentence: `${head}: ${owner.why}`, fix: [] };
  const ns = namespaceOf(s, owner.inode)!;
  const where = ns.kind === 'host' ? 'on the host' : `in ${netnsLabel(ns)}`;
  const name = netnsLabel(ns);
  const on = s.listeners.filter((l) => l.netns === owner.inode && l.port === hop.target.port);
  const shown = on.map(ssForm);
  const common = { ...hop, targetNetns: owner.inode, targetName: name, targetListeners: shown };
  // A name from the host inside a `#` comment: a newline in it must not end the comment when pasted.
  const whereSafe = terminalSafe(where);
  const look = `${nsCommand(s, owner.inode, `ss -ltnp 'sport = :${hop.target.port}'`)}   # what listens on ${hop.target.port} ${whereSafe}`;
  if (ns.socketSource === null) return { ...common, status: 'unknown', sentence: `${head} ${where}, whose sockets could not be read`, fix: [] };
  if (!on.length) {
    return {
      ...common,
      status: 'refused',
      sentence: `${head}, but nothing listens on port ${hop.target.port} ${where}: the forwarded connections are refused`,
      fix: [look, `# start the server, or forward to the port it listens on${hop.via === 'docker-proxy' || hop.via === 'docker' ? ' (docker run -p HOSTPORT:CONTAINERPORT)' : ''}`],
    };
  }
  const taking = on.filter((l) => accepts(l, hop.target.address) !== false);
  if (!taking.length) {
    const lo = on.filter((l) => isLoopback(l.address));
    const bind = hop.target.address.includes(':') ? '[::]' : '0.0.0.0';
    // A program that answers anyone is not told to bind every address (exposure.ts); its own
    // address (the one the forwarder connects to) is still offered: only the forwarder reaches it.
    const exposure = exposureOf(s, on.flatMap((l) => l.pids));
    const makeBind = exposure.open.length
      ? [`# make the server ${whereSafe} bind ${hop.target.address} only (the address the forwarder connects to), not ${bind}: ${terminalSafe(exposure.open[0].why)}; and turn its authentication on before publishing it`]
      : [`# make the server ${whereSafe} bind ${bind} (or ${hop.target.address}) instead of ${(lo.length ? lo : on).map((l) => l.address).join(', ')}: ${ns.kind === 'host' ? 'the forwarder connects to that address' : '127.0.0.1 there is its own loopback, which no forwarder outside can reach'}`];
    return {
      ...common,
      status: 'loopback-only',
      sentence: `${head}, but the server ${where} listens on ${(lo.length ? lo : on).map(ssForm).join(', ')} only: ${exposure.open.length ? `bind ${hop.target.address}` : `bind ${bind}`}`,
      fix: [look, ...makeBind],
    };
  }
  const full = taking.filter((l) => queueState(l, tunablesOf(s, l.netns), DEFAULT_RULE_OPTIONS).level === 'full');
  if (full.length === taking.length) {
    return {
      ...common,
      status: 'queue-full',
      sentence: `${head} ${where}, which listens on ${taking.map(ssForm).join(', ')} but does not accept: its accept queue is full (${full[0].acceptQueue}/${full[0].backlog ?? '?'})`,
      fix: [`sockdoc ${ns.kind === 'host' ? '' : `--netns ${shellQuote(String(ns.inode))} `}--port ${hop.target.port}   # why it does not accept`],
    };
  }
  return { ...common, status: 'reachable', sentence: `${head} ${where}, which listens on ${taking.map(ssForm).join(', ')}: reachable`, fix: [] };
}

function natBy(t: NatTarget): { via: HopVia; by: string } {
  const chains = t.path.map((c) => c.slice(c.lastIndexOf('/') + 1));
  const tail = chains.length > 2 ? chains.slice(1).join(' → ') : chains[chains.length - 1];
  const from = t.source === 'nft' ? 'nftables' : 'iptables';
  switch (t.via) {
    case 'docker':
      return { via: 'docker', by: `docker's DNAT rule (${from} chain ${tail})` };
    case 'kube-proxy':
      return { via: 'kube-proxy', by: `kube-proxy's ${chains.includes('KUBE-NODEPORTS') ? 'NodePort ' : ''}rules${t.comment ? ` for ${t.comment.split(' ')[0]}` : ''} (${from} chains ${tail})` };
    case 'hostport':
      return { via: 'hostport', by: `a hostPort rule of the CNI portmap plugin (${from} chains ${tail})` };
    default:
      return { via: 'dnat', by: `a DNAT rule (${from} chain ${tail})` };
  }
}

/**
 * Every hop of port `port` in the namespace `here` (the host's, or the one asked with --netns), over
 * `s` (the whole snapshot: the targets may be in any namespace).
 */
export function forwardHops(s: Snapshot, here: NetnsInode, port: number, reads: ForwardReads): { hops: ForwardHop[]; notes: string[] } {
  const notes: string[] = [];
  const raw = new Map<string, Omit<ForwardHop, 'targetNetns' | 'targetName' | 'status' | 'targetListeners' | 'sentence' | 'fix' | 'outcome'>>();
  const add = (h: Omit<ForwardHop, 'targetNetns' | 'targetName' | 'status' | 'targetListeners' | 'sentence' | 'fix' | 'outcome'>) => {
    const key = `${h.via} ${h.pid ?? ''} ${h.target.address} ${h.target.port}`;
    const prev = raw.get(key);
    if (prev) prev.listen.push(...h.listen.filter((x) => !prev.listen.includes(x)));
    else raw.set(key, h);
  };
  const listeners = s.listeners.filter((l) => l.netns === here && l.port === port);
  for (const l of listeners) {
    for (const pid of l.pids) {
      const p = procOf(s, pid);
      if (!p) continue;
      if (p.name === 'docker-proxy') {
        // One docker-proxy per published address family: the IPv4 and IPv6 ones reach one container.
        const t = dockerProxyTarget(p.cmdline);
        if (t) add({ via: 'docker-proxy', by: 'docker-proxy', pid: null, pids: [], netns: here, listen: [ssForm(l)], target: t });
      } else if (p.name === 'socat') {
        const t = socatTarget(p.cmdline);
        if (t && t.listen === port) add({ via: 'socat', by: `socat (pid ${p.pid})`, pid: p.pid, pids: [p.pid], netns: here, listen: [ssForm(l)], target: { address: t.address, port: t.port } });
      }
    }
  }
  // A proxy of the program catalogue: nginx proxy_pass, an HAProxy backend server.
  for (const inst of s.programs ?? []) {
    if (inst.netns !== here || !inst.listeners.some((l) => l.port === port)) continue;
    for (const u of inst.upstreams ?? []) {
      if (u.listenPorts.length && !u.listenPorts.includes(port)) continue;
      add({ via: inst.program === 'nginx' ? 'nginx' : 'haproxy', by: `${inst.label} (pid ${inst.pid}, ${u.directive} at ${u.file}:${u.line})`, pid: inst.pid, pids: [inst.pid], netns: here, listen: inst.listeners.filter((l) => l.port === port).map((l) => (l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`)), target: { address: u.address, port: u.port } });
    }
  }
  const nat = reads.nat(here);
  if (nat.note) notes.push(nat.note);
  if (nat.table) {
    for (const t of natTargets(nat.table, port)) {
      const b = natBy(t);
      add({ ...b, pid: null, pids: [], netns: here, listen: [], target: { address: t.address, port: t.port } });
    }
  }
  const hops = [...raw.values()].map((h) => {
    if (h.via !== 'docker-proxy') return judge(s, reads, h);
    const pids = listeners.flatMap((l) => l.pids).filter((pid) => procOf(s, pid)?.name === 'docker-proxy' && dockerProxyTarget(procOf(s, pid)!.cmdline)?.address === h.target.address);
    return judge(s, reads, { ...h, pid: pids[0] ?? null, pids, by: `docker-proxy (pid ${pids.join(', pid ')})` });
  });
  return { hops, notes };
}


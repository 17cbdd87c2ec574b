/**
 * The benchmark's socket fleet: N server processes, each listening on its own 127.0.0.x address
 * and port, and N client processes, each holding its share of the connections to one server.
 * Every connection is two sockets (client end, accepted server end), all owned by real processes,
 * so ss/netstat/lsof/sockdoc have to walk /proc/PID/fd of many fds, as on a busy host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { inNetns } from './netns.js';

/** Connections per process: keeps each one far below the 20000 fd hard limit of these hosts. */
export const PER_PROCESS = 7500;
/**
 * Per process for a fleet of hundreds of thousands of sockets: still under the 20000 hard limit
 * (Node raises its soft limit to the hard one), and half the processes: at 1M sockets 68 Node
 * peers instead of 134, each ~100 MB, which the host's memory must hold beside the sockets.
 */
export const BIG_PER_PROCESS = 15000;

export interface PeerSpec {
  /** 'stalled': a listener (backlog 4096) that never accepts; its clients wait in its queue. */
  role: 'server' | 'client' | 'stalled';
  host: string;
  port: number;
  /** Connections this process should end up holding. */
  target: number;
  /** A unix stream pair instead: host is the abstract name ("@..."), port the pair's index. */
  unix?: boolean;
}

export interface FleetPlan {
  connections: number;
  /** Of them, waiting in the stalled listener's queue (its end has no process: only the client counts it). */
  waiting: number;
  /** Established sockets plus one listener per server. */
  expectedSockets: number;
  peers: PeerSpec[];
}

/** Where the stalled listener listens: outside the 127.0.0.1-250 of the pairs. */
export const STALLED = { host: '127.0.1.1', port: 4999 };

/**
 * Splits `sockets` (two per connection) over server/client pairs of at most PER_PROCESS each; with
 * `waiting`, that many more connections to a listener that never accepts (at most its backlog, 4096).
 */
export function planFleet(sockets: number, minPairs = 4, waiting = 0, perProcess = PER_PROCESS): FleetPlan {
  const connections = Math.ceil(sockets / 2);
  const pairs = Math.max(minPairs, Math.ceil(connections / perProcess));
  if (pairs > 250) throw new Error(`${sockets} sockets need ${pairs} listener addresses; at most 250 (127.0.0.1-250)`);
  const peers: PeerSpec[] = [];
  for (let i = 0; i < pairs; i++) {
    const target = Math.floor(connections / pairs) + (i < connections % pairs ? 1 : 0);
    const host = `127.0.0.${i + 1}`;
    const port = 5000 + i;
    peers.push({ role: 'server', host, port, target }, { role: 'client', host, port, target });
  }
  if (waiting > 0) peers.push({ role: 'stalled', ...STALLED, target: waiting }, { role: 'client', ...STALLED, target: waiting });
  return { connections: connections + waiting, waiting, expectedSockets: 2 * (connections + waiting) + pairs + (waiting > 0 ? 1 : 0), peers };
}

/**
 * Unix stream sockets (two per connection, plus one listener per pair), abstract names unique to
 * this run. Same per-process cap as TCP.
 */
export function planUnixFleet(sockets: number, tag: string): FleetPlan {
  const connections = Math.ceil(sockets / 2);
  const pairs = Math.max(1, Math.ceil(connections / PER_PROCESS));
  const peers: PeerSpec[] = [];
  for (let i = 0; i < pairs; i++) {
    const target = Math.floor(connections / pairs) + (i < connections % pairs ? 1 : 0);
    const host = `@sockdoc-bench-${tag}-${i}`;
    peers.push({ role: 'server', host, port: i, target, unix: true }, { role: 'client', host, port: i, target, unix: true });
  }
  return { connections, waiting: 0, expectedSockets: 2 * connections + pairs, peers };
}

export interface Peer extends PeerSpec {
  child: ChildProcess;
  count: number;
  listening: boolean;
  /** Set when the peer reported a failure or exited early. */
  failure: string | null;
}

function startPeer(ns: string, script: string, spec: PeerSpec): Peer {
  const args = spec.unix
    ? spec.role === 'server' ? ['userver', spec.host] : ['uclient', spec.host, String(spec.target)]
    : spec.role === 'client' ? ['client', spec.host, String(spec.port), String(spec.target)] : [spec.role, spec.host, String(spec.port)];
  const [cmd, argv] = inNetns(ns, process.execPath, [script, ...args]);
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const peer: Peer = { ...spec, child, count: 0, listening: false, failure: null };
  const name = spec.unix ? spec.host : `${spec.host}:${spec.port}`;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [word, rest] = [line.split(' ', 1)[0], line.slice(line.indexOf(' ') + 1)];
    if (word === 'listening') peer.listening = true;
    else if (word === 'count' || word === 'done') peer.count = Number(rest);
    else if (word === 'fail') peer.failure ??= `${spec.role} ${name}: ${rest}`;
  });
  child.on('exit', (code, signal) => {
    peer.failure ??= `${spec.role} ${name} exited (${code ?? signal})`;
  });
  child.on('error', (err) => {
    peer.failure ??= `${spec.role} ${name}: ${err.message}`;
  });
  return peer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(peers: Peer[], done: () => boolean, deadline: number, what: () => string, tick?: () => void): Promise<void> {
  while (!done()) {
    const failed = peers.find((p) => p.failure !== null);
    if (failed) throw new Error(`fleet: ${failed.failure}`);
    if (Date.now() > deadline) throw new Error(`fleet: timed out waiting for ${what()}`);
    tick?.();
    await sleep(200);
  }
}

/**
 * Starts the servers, then the clients, and resolves once every connection is held at both ends.
 * `onProgress(held, total)` is called about twice a second. Rejects on a peer failure or timeout;
 * the caller cleans up (all peers live in the namespace).
 */
export async function startFleet(
  /** The namespace of every peer, or of each pair (by index in the plan: servers and clients pair up). */
  ns: string | ((pair: number) => string),
  script: string,
  plan: FleetPlan,
  timeoutMs: number,
  onProgress: (held: number, total: number) => void,
): Promise<Peer[]> {
  const deadline = Date.now() + timeoutMs;
  const nsOf = (spec: PeerSpec) => (typeof ns === 'string' ? ns : ns(spec.unix ? spec.port : spec.port - 5000));
  const servers = plan.peers.filter((p) => p.role !== 'client').map((s) => startPeer(nsOf(s), script, s));
  await waitFor(servers, () => servers.every((s) => s.listening), Math.min(deadline, Date.now() + 30_000), () => 'listeners');
  const clients = plan.peers.filter((p) => p.role === 'client').map((c) => startPeer(nsOf(c), script, c));
  const all = [...servers, ...clients];
  const held = () => all.reduce((n, p) => n + p.count, 0);
  let lastTick = 0;
  const tick = () => {
    if (Date.now() - lastTick < 500) return;
    lastTick = Date.now();
    onProgress(held(), 2 * plan.connections - plan.waiting);
  };
  // The stalled listener never accepts, so never counts: its connections are held by their clients only.
  const total = 2 * plan.connections - plan.waiting;
  await waitFor(all, () => held() >= total, deadline, () => `${total} sockets (have ${held()})`, tick);
  onProgress(held(), total);
  return all;
}

/**
 * The HTTP server under `sockdoc serve`: binds, refuses requests for names it does not answer to
 * (host-allowlist.ts: DNS rebinding), bounds connections per peer (connection-limits.ts), dispatches
 * to the routes, and closes cleanly (open keep-alive connections included) so a SIGTERM leaves
 * nothing behind.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { findRoute, sendText, type Route } from './routes.js';
import type { ListenAddress } from './listen.js';
import { ConnectionTable, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limits.js';
import { HostAllowlist, type AllowedHost, type HostVerdict } from './host-allowlist.js';
import { identifyPeer, nativeUidLookup, type Peer, type UidLookup } from './peer-identity.js';

export interface HttpServerOptions {
  /** Connections in all and per peer (default 256 and 32). */
  connections?: ConnectionLimits;
  /** Names served besides the listen address and localhost (`--allow-host`). */
  allowHosts?: readonly AllowedHost[];
  /** A local peer's uid (default: the native sock_diag lookup; null: peers by address only). */
  uidLookup?: UidLookup | null;
  /** Lines worth saying on stderr (refusals, at most one of each kind every 10 s). */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** The address actually bound (port resolved when 0 was asked). */
  address: ListenAddress;
  /** Stops accepting, ends open connections, resolves when the socket is closed. */
  close(): Promise<void>;
}

/** A bind that failed for an expected reason (busy port, address not on this host, no permission). */
export class BindError extends Error {
  override name = 'BindError';
}

function bindMessage(err: NodeJS.ErrnoException, a: ListenAddress): string {
  const where = a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is already in use (another sockdoc serve? find it with: ss -ltnp 'sport = :${a.port}')`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no interface of this host has that address`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)`;
    case 'EAFNOSUPPORT':
      return `cannot listen on ${where}: this host has no ${a.host.includes(':') ? 'IPv6' : 'IPv4'}`;
    default:
      return `cannot listen on ${where}: ${err.message}`;
  }
}

/** Every Host header as sent (node keeps only the first in req.headers). */
function hostHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'host') out.push(raw[i + 1]);
  return out;
}

/** Says something at most once per 10 s, with how many more happened meanwhile. */
function throttled(log: ((line: string) => void) | undefined): (line: string) => void {
  let last = -Infinity;
  let more = 0;
  return (line) => {
    const now = performance.now();
    if (now - last < 10_000) {
      more++;
      return;
    }
    last = now;
    log?.(more > 0 ? `${line} (and ${more} more since the last such line)` : line);
    more = 0;
  };
}

/** A request's Host refused: no data, no route, the connection closed after the answer. */
function refuseHost(res: ServerResponse, verdict: Exclude<HostVerdict, { ok: true }>, names: string): void {
  const text =
    verdict.status === 421
      ? `misdirected request: this exporter answers to ${names} only (DNS rebinding protection); to serve another name start it with --allow-host NAME\n`
      : `bad request: ${verdict.why}\n`;
  sendText(res, verdict.status, text, { Connection: 'close' });
}

async function dispatch(routes: readonly Route[], req: IncomingMessage, res: ServerResponse, onError: (err: unknown) => void): Promise<void> {
  const found = findRoute(routes, req.method ?? 'GET', req.url ?? '/');
  if ('status' in found) {
    if (found.status === 405) sendText(res, 405, 'method not allowed', { Allow: found.allow });
    else sendText(res, 404, 'not found: see / for the endpoints');
    return;
  }
  try {
    await found.handle(req, res);
  } catch (err) {
    onError(err);
    if (!res.headersSent) sendText(res, 500, 'internal error (logged on the exporter\'s stderr)');
    else res.destroy();
  }
}

/**
 * Binds `address` and serves `routes`. Rejects with BindError (one-line message) when the address
 * cannot be bound. `onError` receives exceptions thrown by a route (answered with 500).
 */
export function startHttpServer(
  address: ListenAddress,
  routes: readonly Route[],
  onError: (err: unknown) => void,
  options: HttpServerOptions = {},
): Promise<RunningServer> {
  const limits = options.connections ?? DEFAULT_CONNECTION_LIMITS;
  const table = new ConnectionTable<Socket>(limits);
  const lookup = options.uidLookup === undefined ? nativeUidLookup() : options.uidLookup;
  const peers = new WeakMap<Socket, Peer>();
  let allowlist: HostAllowlist | null = null; // set once bound: the names depend on the address bound
  const sayHost = throttled(options.log);
  const sayEvicted = throttled(options.log);
  const sayRefused = throttled(options.log);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket;
    table.started(socket);
    res.once('close', () => table.ended(socket));
    const verdict = allowlist!.check({
      hosts: hostHeaders(req.rawHeaders),
      httpVersion: req.httpVersion,
      url: req.url ?? '/',
      localAddress: socket.localAddress,
      localPort: socket.localPort,
    });
    if (!verdict.ok) {
      const who = peers.get(socket)?.label ?? socket.remoteAddress ?? 'unknown';
      sayHost(`refused a request from ${who}: ${verdict.why}${verdict.host ? ` ('${verdict.host.slice(0, 100)}')` : ''}; this exporter answers to ${allowlist!.describe()}, --allow-host adds a name`);
      return refuseHost(res, verdict, allowlist!.describe());
    }
    void dispatch(routes, req, res, onError);
  };
  // Node checks the two timeouts below only every connectionsCheckingInterval (30 s by default):
  // idle connections then lived 25-30 s whatever headersTimeout said.
  const server: Server = createServer({ connectionsCheckingInterval: 1_000 }, onRequest);
  // A scrape is small; a client that sends nothing is not kept waiting for long (Slowloris).
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000; // a whole request too: idle half-requests were closed only by this one
  server.keepAliveTimeout = 5_000;
  // A client that asks and never reads (its answer stuck in the socket's buffers: a busy slot for
  // ever) is cut after 2 minutes without progress; a scrape waits 60 s at most (--timeout), and an
  // event stream writes every 2 s, or is dropped by the dashboard when its reader stalls.
  server.timeout = 120_000;
  // Each connection is an fd. The table keeps `total`; node's own bound is the backstop for the
  // moment between a new connection and the close of the one it displaces.
  server.maxConnections = limits.total + limits.perPeer;
  // Admission comes before node's own connection handling (its HTTP parser, timers): a refused
  // connection costs an accept, one lookup and a close — a hoarder reopening what is refused gets
  // nothing more out of the exporter.
  const httpConnection = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const peer = identifyPeer({ address: socket.remoteAddress, port: socket.remotePort }, { address: socket.localAddress, port: socket.localPort }, lookup);
    const admission = table.admit(socket, peer.key);
    for (const old of admission.evict) {
      sayEvicted(`closed an idle connection of ${peers.get(old)?.label ?? 'a peer'} to make room for one of ${peer.label} (at most ${limits.perPeer} per peer, ${limits.total} in all)`);
      old.destroy();
    }
    if (!admission.admitted) {
      sayRefused(`refused connections of ${peer.label}: ${admission.why === 'peer-full' ? `it holds ${limits.perPeer}, the most one peer may, none of them idle after a request` : `all ${limits.total} connections are busy`}`);
      socket.destroy();
      return;
    }
    peers.set(socket, peer);
    socket.once('close', () => table.remove(socket));
    for (const listener of httpConnection) listener.call(server, socket);
  });
  server.on('drop', () => sayRefused(`refused connections: ${server.maxConnections} are open`));
  return new Promise((resolve, reject) => {
    const bind = (host: string, ipv6Only: boolean): void => {
      const onListenError = (err: NodeJS.ErrnoException): void => {
        // ":PORT" on a host without IPv6 (ipv6.disable=1, no ::): every IPv4 address instead.
        if (address.anyFamily && host === '::' && (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL')) return bind('0.0.0.0', false);
        reject(new BindError(bindMessage(err, { host, port: address.port })));
      };
      server.once('error', onListenError);
      server.listen({ host, port: address.port, exclusive: true, ipv6Only }, () => {
        server.off('error', onListenError);
        server.on('error', onError);
        const bound = server.address() as AddressInfo;
        allowlist = new HostAllowlist({ listenHost: bound.address, allow: options.allowHosts ?? [] });
        resolve({
          address: { host: bound.address, port: bound.port, anyFamily: address.anyFamily && bound.address === '::' },
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        });
      });
    };
    bind(address.host, false);
  });
}

/**
 * The HTTP server under `sockdoc serve`: binds, dispatches to the routes, and closes cleanly
 * (open keep-alive connections included) so a SIGTERM leaves nothing behind.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findRoute, sendText, type Route } from './routes.js';
import type { ListenAddress } from './listen.js';

/** Connections held at once (Prometheus needs one; the dashboard's event streams are capped at 32). */
export const MAX_CONNECTIONS = 256;

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
  limits: { maxConnections?: number; log?: (line: string) => void } = {},
): Promise<RunningServer> {
  // Node checks the two timeouts below only every connectionsCheckingInterval (30 s by default):
  // idle connections then lived 25-30 s whatever headersTimeout said.
  const server: Server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => void dispatch(routes, req, res, onError));
  // A scrape is small; a client that sends nothing is not kept waiting for long (Slowloris).
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000; // a whole request too: idle half-requests were closed only by this one
  server.keepAliveTimeout = 5_000;
  // Each connection is an fd: without a bound, idle connections up to RLIMIT_NOFILE left the
  // exporter unable to open /proc files or accept Prometheus, silently. Beyond the bound, new
  // connections are closed at once, and that is said (at most every 10 s).
  server.maxConnections = limits.maxConnections ?? MAX_CONNECTIONS;
  let lastDropLog = 0;
  server.on('drop', () => {
    const now = Date.now();
    if (now - lastDropLog < 10_000) return;
    lastDropLog = now;
    limits.log?.(`${server.maxConnections} connections are open, the most it holds: new ones are closed until some end (an idle one is closed after 10 s)`);
  });
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

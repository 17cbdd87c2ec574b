/**
 * The HTTP server under `sockdoc serve`: binds, dispatches to the routes, and closes cleanly
 * (open keep-alive connections included) so a SIGTERM leaves nothing behind.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findRoute, sendText, type Route } from './routes.js';
import type { ListenAddress } from './listen.js';

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
export function startHttpServer(address: ListenAddress, routes: readonly Route[], onError: (err: unknown) => void): Promise<RunningServer> {
  const server: Server = createServer((req, res) => void dispatch(routes, req, res, onError));
  // A scrape is small; a client that sends nothing is not kept waiting for long (Slowloris).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
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

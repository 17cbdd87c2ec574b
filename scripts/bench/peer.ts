/**
 * One process of the benchmark fleet, run inside the namespace:
 *   node peer.js server HOST PORT         listens, accepts and holds every connection
 *   node peer.js client HOST PORT COUNT   opens COUNT connections to HOST:PORT and holds them
 *   node peer.js userver @NAME            the same over a unix stream socket of abstract name NAME
 *   node peer.js uclient @NAME COUNT      (abstract: per network namespace, nothing left on disk)
 *   node peer.js stalled HOST PORT        listens (backlog 4096) and never accepts: connections wait
 *                                         in its queue, as behind a server that stopped accepting
 * Reports on stdout, one line each: "listening", "count N" (progress), "done N", "fail REASON".
 * Exits when its stdin closes (the bench died) or after --ttl seconds, so nothing outlives the run.
 * Each process stays well under RLIMIT_NOFILE (20000 hard here, not raisable: no CAP_SYS_RESOURCE).
 */
import net from 'node:net';
import { readSync } from 'node:fs';

const CONCURRENCY = 256;
const REPORT_EVERY_MS = 250;

function say(line: string): void {
  // stdout is a pipe: synchronous on Linux (Node docs, "A note on process I/O"), so lines arrive in order.
  process.stdout.write(line + '\n');
}

function lifetime(ttlSeconds: number): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), ttlSeconds * 1000).unref();
  // Keep the loop alive on purpose until stdin ends or the ttl fires.
  setInterval(() => undefined, 60_000);
}

function reporter(): (n: number, force?: boolean) => void {
  let last = 0;
  return (n, force = false) => {
    const now = Date.now();
    if (force || now - last >= REPORT_EVERY_MS) {
      last = now;
      say(`count ${n}`);
    }
  };
}

/** Where a peer listens or connects: TCP host:port, or a unix socket (abstract name, NUL first). */
type Target = { host: string; port: number } | { path: string };

function where(t: Target): string {
  return 'path' in t ? `@${t.path.slice(1)}` : `${t.host}:${t.port}`;
}

function server(target: Target): void {
  const held: net.Socket[] = [];
  const report = reporter();
  // pauseOnConnect: never read, the sockets only have to exist.
  const srv = net.createServer({ pauseOnConnect: true }, (sock) => {
    sock.on('error', (err) => say(`fail socket: ${err.message}`));
    held.push(sock);
    report(held.length);
  });
  srv.on('error', (err) => {
    say(`fail listen ${where(target)}: ${err.message}`);
    process.exit(1);
  });
  // 4096 = somaxconn in a fresh namespace since Linux 5.4 (kernel-facts §3): bursts of connects fit.
  srv.listen({ ...target, backlog: 4096 }, () => say('listening'));
  setInterval(() => report(held.length, true), 1000);
}

/**
 * Listens, says so, then blocks the event loop in a read of stdin until it ends: libuv never polls
 * the listening socket again, so nothing is accepted and the kernel queues every connection.
 */
function stalled(target: Target): void {
  const srv = net.createServer(() => undefined);
  srv.on('error', (err) => {
    say(`fail listen ${where(target)}: ${err.message}`);
    process.exit(1);
  });
  srv.listen({ ...target, backlog: 4096 }, () => {
    say('listening');
    const buf = Buffer.alloc(64);
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      try {
        if (readSync(0, buf) === 0) process.exit(0); // the bench closed our stdin
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') process.exit(0);
        Atomics.wait(pause, 0, 0, 100); // a non-blocking pipe: look again shortly
      }
    }
  });
}

function client(target: Target, count: number): void {
  const held: net.Socket[] = [];
  const report = reporter();
  let started = 0;
  let failures = 0;
  const next = (): void => {
    if (started >= count) return;
    started++;
    const sock = net.connect(target);
    let connected = false;
    sock.once('connect', () => {
      connected = true;
      held.push(sock);
      report(held.length);
      if (held.length === count) say(`done ${held.length}`);
      next();
    });
    sock.on('error', (err) => {
      say(`fail ${connected ? 'socket' : 'connect'} ${where(target)}: ${err.message}`);
      if (connected) return;
      // A refused or failed connect is retried a few times; more means the setup is wrong.
      if (++failures > 10) process.exit(1);
      started--;
      setTimeout(next, 50);
    });
  };
  for (let i = 0; i < Math.min(CONCURRENCY, count); i++) next();
  setInterval(() => report(held.length, true), 1000);
}

function main(argv: string[]): void {
  const [mode, first, second] = argv;
  const ttlIdx = argv.indexOf('--ttl');
  const ttl = ttlIdx >= 0 ? Number(argv[ttlIdx + 1]) : 1800;
  const unix = mode === 'userver' || mode === 'uclient';
  const target: Target | null = unix
    ? first?.startsWith('@') ? { path: `\0${first.slice(1)}` } : null
    : first && Number.isInteger(Number(second)) ? { host: first, port: Number(second) } : null;
  if (!target) {
    say('fail usage: peer.js server HOST PORT | client HOST PORT COUNT | userver @NAME | uclient @NAME COUNT [--ttl SECONDS]');
    process.exit(2);
  }
  if (mode === 'stalled') return stalled(target); // its own lifetime: stdin, read while blocking the loop
  lifetime(ttl);
  if (mode === 'server' || mode === 'userver') server(target);
  else if (mode === 'client') client(target, Number(argv[3]));
  else if (mode === 'uclient') client(target, Number(second));
  else {
    say(`fail unknown mode ${mode}`);
    process.exit(2);
  }
}

main(process.argv.slice(2));

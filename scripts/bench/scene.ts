/**
 * The socket zoo for the ss-agreement test, run inside the test's namespace, one role per process
 * so that owners differ:
 *   node scene.js acceptor BASE  listeners that accept and hold (never read, never close), plus
 *                                "closers" that close first so their side ends in TIME_WAIT
 *   node scene.js stuck BASE     listeners with backlog 2 that never accept (queue = limit + 1)
 *   node scene.js clients BASE   connections to both, half-closes, data, a socket shared with a child
 * Each prints "ready" once its sockets are in place, then holds them until stdin closes (or 120 s).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

const TTL_MS = 120_000;
const held: unknown[] = [];

function say(line: string): void {
  process.stdout.write(line + '\n'); // a pipe: synchronous on Linux, so "ready" is out before we block
}

function fail(why: string): never {
  say(`fail ${why}`);
  process.exit(1);
}

function listen(host: string, port: number, opts: { backlog?: number; closer?: boolean; ipv6Only?: boolean } = {}): Promise<net.Server> {
  // allowHalfOpen: a client's FIN leaves our end in CLOSE_WAIT instead of closing it.
  const srv = net.createServer({ allowHalfOpen: !opts.closer, pauseOnConnect: !opts.closer }, (sock) => {
    sock.on('error', (e) => say(`note ${e.message}`));
    // A closer sends FIN first: it is the active closer, so its end goes through TIME_WAIT (RFC 793).
    if (opts.closer) sock.end();
    else held.push(sock);
  });
  srv.on('error', (e) => fail(`listen ${host}:${port}: ${e.message}`));
  return new Promise((resolve) => srv.listen({ host, port, backlog: opts.backlog ?? 511, ipv6Only: opts.ipv6Only ?? false }, () => resolve(srv)));
}

function connect(host: string, port: number, opts: { write?: number; halfClose?: boolean; wait?: boolean } = {}): Promise<net.Socket> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, allowHalfOpen: true });
    held.push(sock);
    sock.on('error', (e) => fail(`connect ${host}:${port}: ${e.message}`));
    sock.on('end', () => {
      // The peer closed (a closer): close our end too, leaving the TIME_WAIT on its side.
      sock.end();
    });
    sock.once('connect', () => {
      if (opts.write) sock.write(Buffer.alloc(opts.write, 0x61));
      if (opts.halfClose) sock.end();
      resolve(sock);
    });
    if (opts.wait === false) resolve(sock);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function acceptor(base: number): Promise<void> {
  await listen('127.0.0.1', base);
  await listen('::1', base + 1);
  await listen('::', base + 2); // dual-stack wildcard: ss prints it as "*"
  await listen('127.0.0.1', base + 3, { closer: true });
  await listen('::1', base + 4, { closer: true });
  say('ready');
}

async function stuck(base: number): Promise<void> {
  await listen('127.0.0.1', base + 10, { backlog: 2 });
  await listen('::1', base + 11, { backlog: 2 });
  say('ready');
  // Block the event loop so libuv never calls accept(): connections stay in the kernel's queue
  // with inode 0, as behind a server stuck before accept() (kernel-facts §3, §8).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, TTL_MS);
  process.exit(0);
}

async function clients(base: number): Promise<void> {
  const a = await connect('127.0.0.1', base, { write: 1000 }); // server end: Recv-Q 1000
  await connect('127.0.0.1', base);
  await connect('127.0.0.1', base);
  for (let i = 0; i < 2; i++) await connect('127.0.0.1', base, { halfClose: true }); // FIN_WAIT2 / CLOSE_WAIT
  for (let i = 0; i < 2; i++) await connect('::1', base + 1);
  await connect('::ffff:127.0.0.1', base + 2); // v4-mapped at both ends
  await connect('127.0.0.1', base + 2); // v4 client, v4-mapped server end
  for (let i = 0; i < 3; i++) await connect('127.0.0.1', base + 3); // TIME_WAIT on the server side
  for (let i = 0; i < 2; i++) await connect('::1', base + 4);
  // Backlog 2 holds 3 (sk_acceptq_is_full: full when len > limit). All three wait with inode 0;
  // the half-closed one turns CLOSE_WAIT there, still unaccepted, as in the seed after the clients died.
  await connect('127.0.0.1', base + 10, { write: 100, halfClose: true });
  for (let i = 0; i < 2; i++) await connect('127.0.0.1', base + 10, { write: 100 });
  for (let i = 0; i < 3; i++) await connect('::1', base + 11, { write: 50 });
  // Queue full now: these SYNs are dropped and the clients stay in SYN_SENT.
  for (let i = 0; i < 2; i++) await connect('127.0.0.1', base + 10, { wait: false });
  // One socket held by two processes: a child inherits it as fd 3, as after fork().
  const child = spawn('sleep', [String(TTL_MS / 1000)], { stdio: ['ignore', 'ignore', 'ignore', a] });
  held.push(child);
  await sleep(300); // let FINs, ACKs and the closers' TIME_WAIT settle
  say(`ready ${child.pid}`);
}

async function main(argv: string[]): Promise<void> {
  const [role, baseText] = argv;
  const base = Number(baseText);
  if (!Number.isInteger(base)) fail('usage: scene.js acceptor|stuck|clients BASE_PORT');
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), TTL_MS).unref();
  setInterval(() => undefined, 60_000);
  if (role === 'acceptor') await acceptor(base);
  else if (role === 'stuck') await stuck(base);
  else if (role === 'clients') await clients(base);
  else fail(`unknown role ${role}`);
}

void main(process.argv.slice(2));

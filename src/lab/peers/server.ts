/**
 * The lab's server: a real, separate process whose accept habits are those of the programs in
 * the seed and in kernel-facts §7. Usage: node server.js '<ServerConfig JSON>'.
 *
 * Node accepts inside libuv: when the listening socket is readable, uv__server_io calls accept()
 * in a loop and runs the 'connection' handler synchronously after each one, until EAGAIN. So a
 * handler that blocks (Atomics.wait) delays the next accept() exactly like Go's
 * `time.Sleep(); l.Accept()` loop, and a process that blocks right after listen() never accepts.
 * Blocking is also the only way to keep libuv from its EMFILE trick (uv__emfile_trick accepts and
 * closes every pending connection when accept fails with EMFILE), which would hide the full queue.
 */
// First: a root peer must not open Node's inspector on SIGUSR1 (src/safety/debug-signals.ts).
import '../../safety/debug-signals-first.js';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { SERVER_BEHAVIOURS, type PeerEvent, type ServerConfig } from './protocol.js';

const GREETING = 'hello from the sockdoc lab\n';

function emit(e: PeerEvent): void {
  // Writes to a pipe are synchronous on Linux (Node docs, "A note on process I/O"), so events get
  // out even while the event loop is blocked.
  process.stdout.write(JSON.stringify(e) + '\n');
}

function fail(message: string): never {
  process.stderr.write(`lab server: ${message}\n`);
  process.exit(2);
}

function readConfig(): ServerConfig {
  const raw = process.argv[2];
  if (!raw) fail('missing configuration argument');
  const cfg = JSON.parse(raw) as ServerConfig;
  if (!SERVER_BEHAVIOURS.includes(cfg.behaviour)) fail(`unknown behaviour '${cfg.behaviour}'`);
  return cfg;
}

const cell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the whole process, event loop included: no accept() happens meanwhile. */
function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
}

/** Open descriptors of this process, not counting the one readdir itself uses. */
function openFds(): number | null {
  try {
    return readdirSync(`/proc/${process.pid}/fd`).length - 1;
  } catch (err) {
    // Out of descriptors (EMFILE) the directory cannot be opened: the count is unknown, not fatal.
    if ((err as NodeJS.ErrnoException).code === 'EMFILE') return null;
    throw err;
  }
}

/** True while one more descriptor can be opened: a free slot for the next accept(). */
function hasSpareFd(): boolean {
  try {
    closeSync(openSync('/dev/null', 'r'));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EMFILE') return false;
    throw err;
  }
}

const cfg = readConfig();
const deadline = Date.now() + cfg.lifetimeMs;
const held: Socket[] = [];
const leaked: number[] = [];
let accepted = 0;
let reportedEmfile = false;

function exitAtDeadline(): void {
  if (Date.now() >= deadline) process.exit(0);
}

function onConnection(socket: Socket): void {
  accepted++;
  // A reset from a client that gave up is part of the story, not a crash.
  socket.on('error', () => socket.destroy());
  switch (cfg.behaviour) {
    case 'slow-accept':
      socket.write(GREETING);
      // The loop is blocked from here on, so end() would never flush its FIN; close() does it now.
      socket.destroy();
      emit({ event: 'accepted', total: accepted });
      sleepSync(cfg.acceptEveryMs);
      exitAtDeadline();
      return;
    case 'hold':
      held.push(socket);
      socket.resume(); // read and drop whatever comes; 'end' is ignored: no close(), ever
      emit({ event: 'accepted', total: accepted });
      return;
    case 'serve':
      socket.end(GREETING);
      emit({ event: 'accepted', total: accepted });
      return;
    case 'leak-fd':
      leakOne();
      socket.end(GREETING);
      return;
    case 'emfile-backoff':
      held.push(socket);
      socket.resume();
      emit({ event: 'accepted', total: accepted });
      backOffWhileOutOfFds();
      return;
    case 'never-accept':
      // Unreachable: that server blocks before the loop could ever accept.
      fail('never-accept server accepted a connection');
  }
}

function leakOne(): void {
  try {
    leaked.push(openSync('/dev/null', 'r'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EMFILE') throw err;
    if (!reportedEmfile) {
      reportedEmfile = true;
      emit({ event: 'emfile', accepted, leaked: leaked.length, message: 'open /dev/null: too many open files' });
    }
    return;
  }
  emit({ event: 'leaked', leaked: leaked.length, openFds: openFds() });
}

/**
 * Go's net/http Serve: on "accept4: too many open files" it logs and retries after a back-off
 * (5 ms doubling to 1 s). Meanwhile nobody calls accept(), and the kernel keeps queueing.
 */
function backOffWhileOutOfFds(): void {
  if (hasSpareFd()) return;
  const address = `${cfg.host}:${cfg.port}`;
  const message = `http: Accept error: accept tcp ${address}: accept4: too many open files; retrying in ${cfg.retryMs}ms`;
  emit({ event: 'emfile', accepted, leaked: 0, message });
  while (!hasSpareFd()) {
    sleepSync(Math.min(cfg.retryMs, Math.max(0, deadline - Date.now())));
    exitAtDeadline();
  }
}

const server = createServer({ allowHalfOpen: cfg.behaviour === 'hold' || cfg.behaviour === 'emfile-backoff' }, onConnection);
server.on('error', (err) => fail(`listen on ${cfg.host}:${cfg.port}: ${err.message}`));
server.listen({ host: cfg.host, port: cfg.port, backlog: cfg.backlog }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : cfg.port;
  cfg.port = port;
  emit({ event: 'ready', pid: process.pid, port, openFds: openFds() });
  if (cfg.behaviour === 'never-accept') {
    // The 'listening' callback runs before the loop first polls the socket: block now, accept never.
    while (Date.now() < deadline) sleepSync(Math.min(1000, deadline - Date.now()));
    process.exit(0);
  }
});
setTimeout(() => process.exit(0), cfg.lifetimeMs);
// The lab holds our stdin: its end means the lab is gone (a blocked server relies on its lifetime).
process.stdin.on('end', () => process.exit(0)).resume();

/**
 * The lab's clients: one separate process holding many client connections, each with its own
 * outcome as a client program would see it. Usage: node clients.js '<ClientsConfig JSON>'.
 * Commands arrive as JSON lines on stdin; when stdin closes (the lab is gone) the process exits.
 */
// First: a root peer must not open Node's inspector on SIGUSR1 (src/safety/debug-signals.ts).
import '../../safety/debug-signals-first.js';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { emptyOutcomes, parsePeerCommand, type ClientOutcomes, type ClientsConfig, type PeerEvent } from './protocol.js';

type Outcome = keyof ClientOutcomes;

/** States a connection can still leave; every other outcome is final. */
const OPEN: ReadonlySet<Outcome> = new Set(['pending', 'connected']);

interface Conn {
  socket: Socket;
  outcome: Outcome;
}

function emit(e: PeerEvent): void {
  process.stdout.write(JSON.stringify(e) + '\n');
}

const raw = process.argv[2];
if (!raw) {
  process.stderr.write('lab clients: missing configuration argument\n');
  process.exit(2);
}
const cfg = JSON.parse(raw) as ClientsConfig;
const conns: Conn[] = [];

function errorOutcome(code: string | undefined): Outcome {
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  if (code === 'ECONNREFUSED') return 'refused';
  return 'failed';
}

/** Opens one connection; `settled` runs once its outcome is final (or it is connected, in hold mode). */
function open(settled?: () => void): void {
  const socket = connect({ host: cfg.host, port: cfg.port });
  const c: Conn = { socket, outcome: 'pending' };
  conns.push(c);
  let done = false;
  const finish = (o: Outcome): void => {
    if (OPEN.has(c.outcome)) c.outcome = o;
    if (!OPEN.has(c.outcome)) {
      clearTimeout(connectTimer);
      clearTimeout(answerTimer);
      socket.destroy();
    }
    if (!done && (!OPEN.has(c.outcome) || (cfg.mode === 'hold' && c.outcome === 'connected'))) {
      done = true;
      settled?.();
    }
  };
  // The kernel retries a dropped SYN for about two minutes (tcp_syn_retries); a client gives up sooner.
  const connectTimer = setTimeout(() => c.outcome === 'pending' && finish('timeout'), cfg.connectTimeoutMs);
  let answerTimer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    c.outcome = 'connected';
    clearTimeout(connectTimer);
    if (cfg.mode === 'greet') answerTimer = setTimeout(() => finish('noAnswer'), cfg.answerTimeoutMs);
    finish('connected');
  });
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
    if (cfg.mode === 'greet' && received.includes('\n')) finish('answered');
  });
  socket.on('end', () => finish('closed'));
  socket.on('error', (err: NodeJS.ErrnoException) => finish(errorOutcome(err.code)));
}

function outcomes(): ClientOutcomes {
  const o = emptyOutcomes();
  for (const c of conns) o[c.outcome]++;
  return o;
}

function openWaves(total: number): void {
  let opened = 0;
  const wave = (): void => {
    for (let k = 0; k < cfg.batch && opened < total; k++, opened++) open();
    if (opened < total) setTimeout(wave, cfg.batchGapMs);
  };
  wave();
}

/** One connection after the other, gapMs apart: a steady request rate. */
function sendSequential(count: number, gapMs: number): void {
  let sent = 0;
  const next = (): void => {
    if (sent >= count) {
      emit({ event: 'sent', requested: count });
      return;
    }
    sent++;
    open(() => setTimeout(next, gapMs));
  };
  next();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = parsePeerCommand(line);
  if (!cmd) return;
  if (cmd.cmd === 'report') emit({ event: 'outcomes', outcomes: outcomes(), opened: conns.length });
  else if (cmd.cmd === 'send') sendSequential(cmd.count, cmd.gapMs);
  else if (cmd.cmd === 'hangup') {
    let count = 0;
    for (const c of conns) {
      if (c.outcome !== 'connected') continue;
      c.socket.end();
      count++;
    }
    emit({ event: 'hung-up', count });
  }
});
process.stdin.on('end', () => process.exit(0));

emit({ event: 'ready', pid: process.pid, port: cfg.port, openFds: null });
if (cfg.count > 0) openWaves(cfg.count);
setTimeout(() => process.exit(0), cfg.lifetimeMs);

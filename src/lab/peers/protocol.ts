/**
 * What the lab and its peer processes (peers/server.ts, peers/clients.ts) say to each other:
 * the peer's configuration as one JSON argument, then JSON lines — events on the peer's stdout,
 * commands on its stdin. Lines keep the pipe usable while a peer blocks its own event loop.
 */

/** How the lab server treats its listening socket; each mirrors a real program's habit. */
export type ServerBehaviour =
  /** listen() and never accept(): the seed's Go server asleep before Accept(). */
  | 'never-accept'
  /** Accept one connection, answer it, sleep acceptEveryMs, accept the next (sleep-then-accept). */
  | 'slow-accept'
  /** Accept everything and never close, not even after the client's FIN. */
  | 'hold'
  /** Accept, answer one line, close: a well-behaved server. */
  | 'serve'
  /** Like serve, but leak one descriptor per request. */
  | 'leak-fd'
  /** Accept and keep connections; out of descriptors, stop accepting and retry later (Go's back-off). */
  | 'emfile-backoff';

export const SERVER_BEHAVIOURS: readonly ServerBehaviour[] = ['never-accept', 'slow-accept', 'hold', 'serve', 'leak-fd', 'emfile-backoff'];

export interface ServerConfig {
  /** Names the lab run; lets anyone find (and a test assert the absence of) its processes. */
  labId: string;
  host: string;
  /** 0 = any free port (host mode). */
  port: number;
  backlog: number;
  behaviour: ServerBehaviour;
  /** slow-accept: pause after each accept. */
  acceptEveryMs: number;
  /** emfile-backoff: pause before retrying once out of descriptors. */
  retryMs: number;
  /** The peer exits by itself after this long, whatever happens to the lab. */
  lifetimeMs: number;
}

export type ClientsMode =
  /** Open connections and keep them open; no data. */
  | 'hold'
  /** Each connection waits for the server's one-line greeting, then closes (the server speaks first). */
  | 'greet';

export interface ClientsConfig {
  labId: string;
  host: string;
  port: number;
  mode: ClientsMode;
  /** Connections opened at start (0: only on a `send` command). */
  count: number;
  /** Opened in waves of `batch`, `batchGapMs` apart. */
  batch: number;
  batchGapMs: number;
  /** A connect not done by then is abandoned and counted as a timeout. */
  connectTimeoutMs: number;
  /** greet mode: a greeting not received by then counts as noAnswer. */
  answerTimeoutMs: number;
  lifetimeMs: number;
}

/** What happened to each client connection, as the client saw it. */
export interface ClientOutcomes {
  /** Still connecting. */
  pending: number;
  /** connect() succeeded and the connection is open (hold mode, or still waiting for an answer). */
  connected: number;
  /** greet mode: got the greeting. */
  answered: number;
  /** ECONNRESET / EPIPE: the server reset the connection. */
  reset: number;
  /** ECONNREFUSED: nothing listening. */
  refused: number;
  /** connect() did not complete within connectTimeoutMs (SYN dropped, retransmitted, given up). */
  timeout: number;
  /** Connected but no answer within answerTimeoutMs. */
  noAnswer: number;
  /** The server closed the connection without answering. */
  closed: number;
  /** Any other error. */
  failed: number;
}

export function emptyOutcomes(): ClientOutcomes {
  return { pending: 0, connected: 0, answered: 0, reset: 0, refused: 0, timeout: 0, noAnswer: 0, closed: 0, failed: 0 };
}

export type PeerEvent =
  | { event: 'ready'; pid: number; port: number; openFds: number | null }
  | { event: 'accepted'; total: number }
  | { event: 'leaked'; leaked: number; openFds: number | null }
  | { event: 'emfile'; accepted: number; leaked: number; message: string }
  | { event: 'log'; message: string }
  | { event: 'outcomes'; outcomes: ClientOutcomes; opened: number }
  | { event: 'sent'; requested: number }
  | { event: 'hung-up'; count: number };

export type PeerCommand =
  | { cmd: 'report' }
  /** `count` more connections, one every `gapMs`, each waiting for the previous one. */
  | { cmd: 'send'; count: number; gapMs: number }
  /** Close every open connection gracefully (FIN). */
  | { cmd: 'hangup' };

/** Parses one line a peer wrote; null for anything that is not an event (stray output). */
export function parsePeerEvent(line: string): PeerEvent | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as { event?: unknown };
    return typeof v.event === 'string' ? (v as PeerEvent) : null;
  } catch {
    // Not JSON: a peer's stray line, shown as a log by the caller, never fatal.
    return null;
  }
}

export function parsePeerCommand(line: string): PeerCommand | null {
  try {
    const v = JSON.parse(line) as { cmd?: unknown };
    return typeof v.cmd === 'string' ? (v as PeerCommand) : null;
  } catch {
    return null;
  }
}

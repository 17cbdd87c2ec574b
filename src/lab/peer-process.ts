/**
 * Starting and talking to a peer process (peers/server.js, peers/clients.js): spawn, read its
 * JSON-line events, wait for one with a deadline, send commands, kill it and wait for its exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { nodeGuardFlags } from '../safety/debug-signals.js';
import { parsePeerEvent, type ClientsConfig, type PeerCommand, type PeerEvent, type ServerConfig } from './peers/protocol.js';

export type PeerScript = 'server' | 'clients';

export interface PeerSpec {
  script: PeerScript;
  config: ServerConfig | ClientsConfig;
  /** RLIMIT_NOFILE (soft = hard) for the peer, set by a launcher shell that stays its parent. */
  nofile?: number;
}

type EventOf<K extends PeerEvent['event']> = Extract<PeerEvent, { event: K }>;

/** Path of a compiled peer script, beside this module in dist/. */
export function peerScriptPath(script: PeerScript): string {
  return fileURLToPath(new URL(`./peers/${script}.js`, import.meta.url));
}

/**
 * The launcher of a limited peer: `sh -c 'ulimit -n N && node ...; exit $?'`. The trailing
 * command keeps sh from exec()ing node, so sh stays in the process tree as the ancestor that set
 * the limit — what `sockdoc limits` should find, like a wrapper script in production.
 */
export function launchCommand(spec: PeerSpec): { file: string; args: string[] } {
  const node = [process.execPath, ...nodeGuardFlags(), peerScriptPath(spec.script), JSON.stringify(spec.config)];
  if (spec.nofile === undefined) return { file: node[0], args: node.slice(1) };
  return { file: '/bin/sh', args: ['-c', `ulimit -n ${spec.nofile} && "$0" "$@"; exit $?`, ...node] };
}

export class Peer {
  readonly events: PeerEvent[] = [];
  /** Lines the peer wrote to stderr, or to stdout that were not events. */
  readonly logs: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<() => void>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(
    readonly spec: PeerSpec,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.wake();
        resolve({ code, signal });
      });
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = parsePeerEvent(line);
      if (e) {
        this.events.push(e);
        if (e.event === 'log') this.logs.push(e.message);
      } else this.logs.push(line);
      this.wake();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.logs.push(line));
    // A peer that died has closed its stdin: writing a command then is not an error worth a crash.
    child.stdin!.on('error', () => undefined);
  }

  /**
   * Spawns the peer in the caller's process group (the lab kills that group as a whole); `wrap` is
   * a command that execs it, e.g. `ip netns exec NAME` to start it in a network namespace.
   */
  static start(spec: PeerSpec, wrap: readonly string[] = []): Peer {
    const { file, args } = launchCommand(spec);
    const argv = [...wrap, file, ...args];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Peer(spec, child);
  }

  /** pid of the process that was spawned: the launcher shell when `nofile` is set, else the peer. */
  get launcherPid(): number {
    return this.child.pid ?? -1;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** The first event of that kind (already received or to come) matching `accept`; rejects at the deadline or at exit. */
  waitFor<K extends PeerEvent['event']>(kind: K, timeoutMs: number, accept: (e: EventOf<K>) => boolean = () => true): Promise<EventOf<K>> {
    const find = (): EventOf<K> | undefined =>
      this.events.find((e): e is EventOf<K> => e.event === kind && accept(e as EventOf<K>));
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = find();
        if (hit) {
          finish();
          resolve(hit);
          return true;
        }
        if (this.exitInfo) {
          finish();
          const how = this.exitInfo.signal ?? `code ${this.exitInfo.code}`;
          reject(new Error(`lab ${this.spec.script} exited (${how}) before '${kind}'${this.lastLog()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`lab ${this.spec.script}: no '${kind}' within ${timeoutMs} ms${this.lastLog()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      this.waiters.add(waiter);
      check();
    });
  }

  /** Events of one kind received so far. */
  all<K extends PeerEvent['event']>(kind: K): Array<EventOf<K>> {
    return this.events.filter((e): e is EventOf<K> => e.event === kind);
  }

  send(cmd: PeerCommand): void {
    if (!this.exitInfo) this.child.stdin!.write(JSON.stringify(cmd) + '\n');
  }

  /** Sends the request, returns the next matching event after it. */
  async ask<K extends PeerEvent['event']>(cmd: PeerCommand, kind: K, timeoutMs: number): Promise<EventOf<K>> {
    const seen = this.all(kind).length;
    this.send(cmd);
    return this.waitFor(kind, timeoutMs, (e) => this.all(kind).indexOf(e) >= seen);
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** SIGKILL to the spawned process (and its peer child, for a launcher shell); resolves once it exited. */
  async kill(): Promise<void> {
    if (!this.exitInfo) {
      const peerPid = this.all('ready')[0]?.pid;
      for (const pid of new Set([peerPid, this.child.pid])) {
        if (pid === undefined) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch (err) {
          // Already gone between the check and the kill: that is what we wanted.
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
    }
    await this.exited;
  }

  private lastLog(): string {
    const tail = this.logs.slice(-3).join(' | ');
    return tail ? `: ${tail}` : '';
  }
}

/**
 * What a scenario's story is written against: start the lab's server and clients, wait, and take
 * steps — each step snapshots the kernel (from inside the lab namespace), runs every rule, and
 * checks the story's expectations. Lives in the inner lab process.
 */
import { readUnder } from '../probe/read-file.js';
import { buildSnapshot } from '../snapshot/build.js';
import { captureHost } from '../snapshot/capture.js';
import { join } from 'node:path';
import { runRules } from '../rules/index.js';
import type { Snapshot } from '../snapshot/types.js';
import { checkFindings, scopeFindings, type Expectations } from './checks.js';
import { observe, socketLines } from './observe.js';
import { Peer } from './peer-process.js';
import type { ClientOutcomes, ClientsConfig, ServerConfig } from './peers/protocol.js';
import type { Check, LabMode, LabOptions, Observation, StepReport } from './types.js';

/** The seed's port, used inside a lab namespace where nothing else listens. */
export const LAB_PORT = 8889;
export const LAB_HOST = '127.0.0.1';
/** Peers exit by themselves after this, whatever happens to the lab (a scenario takes < 30 s). */
const PEER_LIFETIME_MS = 45_000;
/** Longest wait for a peer's event: a step that waits longer is broken, not slow. */
export const WAIT_MS = 10_000;

export interface StepSpec {
  /** What the lab did since the previous step, in plain sentences. */
  story?: string[];
  /** Counter sampling window of the snapshot (default 0: one read). */
  intervalMs?: number;
  expect?: Expectations;
  /** Claims about the kernel's numbers. */
  kernel?: (o: Observation) => Check[];
  /** Asks these clients for their outcomes and shows them. */
  clients?: Peer;
  /**
   * A state that flickers (a queue drained by one slot every few hundred ms, refilled ms later):
   * re-take the snapshot, up to 3 times, until this holds.
   */
  until?: (o: Observation) => boolean;
  /** Further claims computed by the story (client outcomes, limits). */
  checks?: (o: Observation, clients: ClientOutcomes | null, snapshot: Snapshot) => Check[];
}

export class Lab {
  readonly peers: Peer[] = [];
  readonly steps: StepReport[] = [];
  readonly notes: string[] = [];
  private readonly t0 = Date.now();
  private logCursor = new Map<Peer, number>();
  /** The port the story's server listens on (known once it is ready). */
  port: number;

  constructor(
    readonly mode: LabMode,
    readonly labId: string,
    readonly options: LabOptions,
    private readonly onStep: (step: StepReport) => void,
  ) {
    this.port = mode === 'netns' ? LAB_PORT : 0;
  }

  /** net.core.somaxconn as this process sees it (its own network namespace). */
  somaxconn(): number {
    // The lab is always live: the root is "/", seen from inside the lab namespace.
    return Number(readUnder('/', 'proc/sys/net/core/somaxconn', 'proc').trim());
  }

  elapsed(): number {
    return Date.now() - this.t0;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  note(text: string): void {
    this.notes.push(text);
  }

  /**
   * Starts the server and waits until it listens; the story's port becomes the server's, unless
   * `beside` (a second listener in the same namespace, on its own port, given in `config.port`;
   * 0 picks a free one): its port is returned instead.
   */
  async startServer(config: Partial<ServerConfig> & Pick<ServerConfig, 'behaviour' | 'backlog'>, nofile?: number, beside = false): Promise<{ peer: Peer; pid: number; port: number }> {
    const cfg: ServerConfig = {
      labId: this.labId,
      host: LAB_HOST,
      port: this.port,
      acceptEveryMs: 100,
      retryMs: 1000,
      lifetimeMs: PEER_LIFETIME_MS,
      ...config,
    };
    const peer = this.track(Peer.start({ script: 'server', config: cfg, nofile }));
    const ready = await peer.waitFor('ready', WAIT_MS);
    if (!beside) this.port = ready.port;
    return { peer, pid: ready.pid, port: ready.port };
  }

  /** Starts a clients process aimed at the server (or at `config.port`); returns once it runs (connections are under way). */
  async startClients(config: Partial<ClientsConfig> & Pick<ClientsConfig, 'mode' | 'count'>): Promise<{ peer: Peer; pid: number }> {
    const cfg: ClientsConfig = {
      labId: this.labId,
      host: LAB_HOST,
      port: this.port,
      batch: config.count || 1,
      batchGapMs: 0,
      connectTimeoutMs: 3000,
      answerTimeoutMs: 3000,
      lifetimeMs: PEER_LIFETIME_MS,
      ...config,
    };
    const peer = this.track(Peer.start({ script: 'clients', config: cfg }));
    const ready = await peer.waitFor('ready', WAIT_MS);
    return { peer, pid: ready.pid };
  }

  private track(peer: Peer): Peer {
    this.peers.push(peer);
    return peer;
  }

  async outcomes(clients: Peer): Promise<ClientOutcomes> {
    return (await clients.ask({ cmd: 'report' }, 'outcomes', WAIT_MS)).outcomes;
  }

  /**
   * Asks the clients every 50 ms until `ready` holds or `timeoutMs` passes; returns the last
   * outcomes either way (the step's checks then say what was missing). The clients' process
   * learns of a finished connect() only when its event loop gets to it, after the server may
   * already have accepted.
   */
  async settle(clients: Peer, ready: (o: ClientOutcomes) => boolean, timeoutMs = 3000): Promise<ClientOutcomes> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const o = await this.outcomes(clients);
      if (ready(o) || Date.now() >= until) return o;
      await this.sleep(50);
    }
  }

  /** Every pid the lab started: peers and their launcher shells. */
  pids(): number[] {
    const out = new Set<number>();
    for (const p of this.peers) {
      if (p.launcherPid > 0) out.add(p.launcherPid);
      for (const r of p.all('ready')) out.add(r.pid);
    }
    return [...out].sort((a, b) => a - b);
  }

  private newLogs(): string[] {
    const out: string[] = [];
    for (const p of this.peers) {
      const from = this.logCursor.get(p) ?? 0;
      out.push(...p.logs.slice(from).map((l) => `${p.spec.script}: ${l}`));
      this.logCursor.set(p, p.logs.length);
    }
    return out;
  }

  /** Snapshot, rules, checks; the step is recorded and streamed. */
  async step(title: string, spec: StepSpec = {}): Promise<StepReport> {
    const clients = spec.clients ? await this.outcomes(spec.clients) : null;
    const pids = this.pids();
    let snapshot = await buildSnapshot({ root: '/', intervalMs: spec.intervalMs ?? 0, pids });
    let observation = observe(snapshot, this.port, pids);
    for (let attempt = 1; attempt < 3 && spec.until && !spec.until(observation); attempt++) {
      snapshot = await buildSnapshot({ root: '/', intervalMs: spec.intervalMs ?? 0, pids });
      observation = observe(snapshot, this.port, pids);
    }
    if (this.options.captureDir) captureHost(join(this.options.captureDir, `step-${this.steps.length + 1}`), { pids, ancestors: false });
    const { inScope, outOfScope } = scopeFindings(runRules(snapshot), { pids, port: this.port, mode: this.mode });
    const checks = [
      ...(spec.kernel?.(observation) ?? []),
      ...(spec.checks?.(observation, clients, snapshot) ?? []),
      ...checkFindings(inScope, spec.expect ?? {}, this.mode),
    ];
    const step: StepReport = {
      title,
      atMs: this.elapsed(),
      story: spec.story ?? [],
      sockets: socketLines(snapshot, this.port),
      observation,
      findings: inScope,
      outOfScope,
      checks,
      clients,
      logs: this.newLogs(),
    };
    this.steps.push(step);
    this.onStep(step);
    return step;
  }

  /** Kills every peer and waits for each to exit. */
  async stopAll(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.kill()));
  }
}

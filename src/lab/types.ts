/** The lab's vocabulary: scenarios, the steps of their story, and what each step saw and checked. */
import type { Severity } from '../rules/types.js';
import type { TcpState } from '../snapshot/types.js';
import type { ClientOutcomes } from './peers/protocol.js';
import type { Lab } from './lab.js';

/**
 * netns: as root, a network namespace of its own (loopback only, own somaxconn and counters).
 * host: not root, 127.0.0.1 in the host's namespace, with the host's somaxconn and counters.
 */
export type LabMode = 'netns' | 'host';

export interface LabOptions {
  /** accept-queue: net.ipv4.tcp_abort_on_overflow=1 in the lab namespace. */
  abortOnOverflow: boolean;
  /**
   * Copy what each step's diagnosis read into CAPTURE/step-N (sockdoc capture's format), so the
   * step can be diagnosed again with --root: the lab scenarios' golden fixtures are made this way.
   */
  captureDir?: string;
}

export const DEFAULT_LAB_OPTIONS: LabOptions = { abortOnOverflow: false };

/** How the lab namespace is prepared before the story starts (netns mode only). */
export interface NamespaceSetup {
  /** Written inside the namespace, e.g. { 'net.core.somaxconn': '128' }. */
  sysctls: Record<string, string>;
  /**
   * Rate-limit loopback (tc tbf) so handshakes overlap as on a real network. On a bare loopback
   * the whole handshake completes inside the client's connect() call, so the race that leaves
   * a server in SYN_RECV (ACK arriving at a full queue) never happens.
   */
  shapeLoopback: boolean;
}

export interface Scenario {
  name: string;
  /** One line for `sockdoc lab list`. */
  summary: string;
  /** The findings the story proves, for `lab list` and the docs. */
  proves: string[];
  /** Scenario-specific flags it accepts. */
  flags: Array<'abort-on-overflow'>;
  namespace(options: LabOptions): NamespaceSetup;
  run(lab: Lab): Promise<void>;
}

/** One expectation and whether it held. */
export interface Check {
  label: string;
  ok: boolean;
  /** What was seen instead, when it failed (or the number that proves it). */
  detail?: string;
}

/** A finding as a step shows it: enough to read, not the whole explanation. */
export interface FindingBrief {
  id: string;
  severity: Severity;
  title: string;
  pid?: number;
  port?: number;
  /** No pid and no port: about the whole namespace (in host mode, the whole host). */
  hostWide: boolean;
}

/** One ss-like line; identical sockets are folded into one line with a count. */
export interface SocketLine {
  state: string;
  recvQ: string;
  sendQ: string;
  local: string;
  peer: string;
  process: string;
  count: number;
}

/** The kernel's numbers around the lab's port, as the snapshot read them. */
export interface Observation {
  port: number;
  /** Listener's Recv-Q (sk_ack_backlog) and Send-Q (sk_max_ack_backlog); null without a listener. */
  acceptQueue: number | null;
  backlog: number | null;
  somaxconn: number | null;
  abortOnOverflow: number | null;
  /** Server side (local port = lab port), by state; SYN_RECV are request sockets. */
  server: Partial<Record<TcpState, number>>;
  /** Server-side sockets no process holds (inode 0): queued, never accepted. */
  serverUnowned: Partial<Record<TcpState, number>>;
  /** Client side (remote port = lab port), by state. */
  client: Partial<Record<TcpState, number>>;
  listenOverflows: number | null;
  listenOverflowsDelta: number | null;
  listenDrops: number | null;
  /** Each lab process: open descriptors and soft limit. */
  fds: Array<{ pid: number; name: string; open: number | null; soft: number | null }>;
}

export interface StepReport {
  title: string;
  /** ms since the story began. */
  atMs: number;
  /** What the lab did before this step, in plain sentences. */
  story: string[];
  sockets: SocketLine[];
  observation: Observation;
  /** Findings about the lab's processes and port (and namespace-wide ones). */
  findings: FindingBrief[];
  /** Findings about other processes (host mode, or processes outside the lab). */
  outOfScope: number;
  checks: Check[];
  clients: ClientOutcomes | null;
  /** What the lab's programs logged since the previous step. */
  logs: string[];
}

export interface ScenarioResult {
  scenario: string;
  mode: LabMode;
  /** Namespace name (netns) or run label (host): every lab process carries it in its arguments. */
  labId: string;
  options: LabOptions;
  notes: string[];
  steps: StepReport[];
  /** True when every check of every step held and the story ran to its end. */
  ok: boolean;
  /** The failed checks, "step: check (detail)", and any error that stopped the story. */
  differences: string[];
  durationMs: number;
  interrupted: boolean;
}

/** What the inner lab process streams to the outer one, one JSON line each. */
export type LabEvent =
  | { type: 'begin'; scenario: string; mode: LabMode; labId: string; notes: string[] }
  | { type: 'step'; step: StepReport }
  | { type: 'end'; result: ScenarioResult };

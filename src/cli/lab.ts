/**
 * `sockdoc lab list | <scenario>`: reproduce a failure on this machine and show sockdoc's diagnosis
 * at each step. As root the story runs in a network namespace of its own, played by an inner
 * process started inside it (`lab <scenario> --inside`, this same file run as a script: /proc/net
 * and sock_diag show the reader's namespace). Exit 0 when the reproduction matched, 1 when it did
 * not, 3 when the lab could not run, 128+N when stopped by signal N (SIGINT, SIGTERM, SIGHUP, SIGQUIT).
 */
// First: the inner lab process is started by this file as a script (root, in the lab namespace).
import '../safety/debug-signals-first.js';
import { constants as osConstants } from 'node:os';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { playScenario } from '../lab/inside.js';
import { LabError } from '../lab/namespace.js';
import { startLab, type LabRun } from '../lab/outer.js';
import { renderBegin, renderList, renderStep, renderVerdict } from '../lab/render.js';
import { SCENARIOS, findScenario } from '../lab/scenarios/index.js';
import { CONTAINER_TIMEOUT_MS, runContainerLab, scenario as containerScenario } from '../lab/container.js';
import type { LabEvent, LabMode, LabOptions, ScenarioResult } from '../lab/types.js';
import { parse } from './args.js';
import { EXIT, UsageError, processIo, useColor, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc lab list
       sockdoc lab SCENARIO [--json] [--abort-on-overflow]

Reproduce a failure on this machine with real processes and show, step by step, what the kernel
shows (ss-like lines) and what sockdoc diagnoses, checked against the expected outcome.
As root each run gets its own network namespace (loopback only), removed afterwards with every
process in it, also on Ctrl-C, on failure and after 30 s. Without root it runs on 127.0.0.1 in
the host's namespace and says what differs.

Options:
  --json                 the whole run as one JSON document
  --abort-on-overflow    accept-queue: net.ipv4.tcp_abort_on_overflow=1 in the lab namespace
  --capture DIR          also copy what each step's diagnosis read into DIR/step-N (for --root)
  --no-color             no colour
  -h, --help             this help

Exit codes: 0 reproduced, 1 not reproduced (the differences are listed), 3 could not run, 128+N stopped by signal N
(130 Ctrl-C, 143 SIGTERM, 129 SIGHUP, 131 SIGQUIT; the namespace is removed in every case).
`;

const OPTIONS = {
  json: { type: 'boolean' },
  'abort-on-overflow': { type: 'boolean' },
  capture: { type: 'string' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // Internal: the inner half of a run, started by the outer half inside the lab namespace.
  inside: { type: 'boolean' },
  'lab-id': { type: 'string' },
  mode: { type: 'string' },
} as const;

/**
 * Signals that end a lab with its cleanup: Ctrl-C, kill, a closed terminal (SIGHUP), Ctrl-\ (SIGQUIT).
 * Without a handler each would kill sockdoc outright and leave the namespace and its processes.
 */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** 128 + the signal's number, the shell's convention for a command a signal stopped (130 for Ctrl-C, 143 for SIGTERM). */
export function signalExit(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

function listScenarios(json: boolean, io: Io): number {
  if (json) {
    const list = SCENARIOS.map((s) => ({ name: s.name, summary: s.summary, proves: s.proves, flags: s.flags }));
    io.stdout(JSON.stringify(list, null, 2) + '\n');
  } else io.stdout(renderList(SCENARIOS));
  return EXIT.ok;
}

/** The inner half: plays the story here and streams its events as JSON lines. */
async function inside(name: string, values: { 'lab-id'?: string; mode?: string }, options: LabOptions, io: Io): Promise<number> {
  const scenario = findScenario(name);
  if (!scenario) throw new UsageError(`unknown scenario '${name}'`);
  const mode = values.mode as LabMode;
  if (mode !== 'netns' && mode !== 'host') throw new UsageError(`--mode must be netns or host, got '${values.mode}'`);
  // The outer holds our stdin open and never writes: its end means the outer is gone, so stop
  // the story (and with it every peer) rather than play to nobody.
  const outerGone = new AbortController();
  const onEnd = (): void => outerGone.abort('the outer lab process went away');
  process.stdin.on('end', onEnd).resume();
  // Same when our stdout pipe breaks (EPIPE): nobody reads the events any more.
  process.stdout.on('error', onEnd);
  try {
    const result = await playScenario(scenario, {
      mode,
      labId: values['lab-id'] ?? 'sockdoc-lab-unnamed',
      options,
      emit: (e) => io.stdout(JSON.stringify(e) + '\n'),
      signal: outerGone.signal,
    });
    return result.ok ? EXIT.ok : EXIT.warning;
  } finally {
    process.stdin.off('end', onEnd).destroy();
    process.stdout.off('error', onEnd);
  }
}

/** The outer half: namespace, inner process, relay, cleanup whatever happens. */
async function outer(name: string, json: boolean, options: LabOptions, io: Io, color: boolean): Promise<number> {
  const scenario = findScenario(name);
  if (!scenario) throw new UsageError(`unknown scenario '${name}' (sockdoc lab list shows them)`);
  if (options.abortOnOverflow && !scenario.flags.includes('abort-on-overflow')) {
    throw new UsageError(`--abort-on-overflow applies to: ${SCENARIOS.filter((s) => s.flags.includes('abort-on-overflow')).map((s) => s.name).join(', ')}`);
  }
  if (options.abortOnOverflow && process.geteuid?.() !== 0) {
    throw new UsageError('--abort-on-overflow needs root: the sysctl is set inside a lab namespace, never on the host');
  }
  let stepIndex = 0;
  const onEvent = (e: LabEvent): void => {
    if (json) return;
    if (e.type === 'begin') io.stdout(renderBegin(e, scenario, { color }));
    else if (e.type === 'step') io.stdout(renderStep(e.step, stepIndex++, { color }));
  };
  if (scenario.name === containerScenario.name) return containerLab(json, onEvent, io, color);
  // Handlers first: a signal that arrives while the namespace is being made is acted on as soon
  // as the run exists.
  let lab: LabRun | undefined;
  let pending: string | undefined;
  let caught: NodeJS.Signals = 'SIGINT';
  const onSignal = (signal: NodeJS.Signals): void => {
    caught = signal;
    if (lab) lab.interrupt(`interrupted by ${signal}`);
    else pending = `interrupted by ${signal}`;
  };
  const onExit = (): void => void lab?.cleanupNow();
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  process.on('exit', onExit);
  let result: ScenarioResult;
  try {
    try {
      lab = startLab({ scenario, options, entry: fileURLToPath(new URL('./lab-entry.js', import.meta.url)), onEvent, onStderr: (l) => io.stderr(`lab: ${l}\n`) });
    } catch (err) {
      if (err instanceof LabError) throw new UsageError(`lab: ${err.message}`);
      throw err;
    }
    if (pending) lab.interrupt(pending);
    result = await lab.done;
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    process.off('exit', onExit);
  }
  if (json) io.stdout(JSON.stringify(result, null, 2) + '\n');
  else io.stdout(renderVerdict(result, { color }));
  if (result.interrupted) return signalExit(caught);
  return result.ok ? EXIT.ok : EXIT.warning;
}

/** `lab container`: played from the host namespace (src/lab/container.ts), root only, 60 s at most. */
async function containerLab(json: boolean, onEvent: (e: LabEvent) => void, io: Io, color: boolean): Promise<number> {
  if (process.geteuid?.() !== 0) throw new UsageError('lab container needs root: it starts a private dockerd (or an ip netns namespace) and enters its namespace');
  const stop = new AbortController();
  let caught: NodeJS.Signals = 'SIGINT';
  const onSignal = (signal: NodeJS.Signals): void => {
    caught = signal;
    stop.abort(`interrupted by ${signal}`);
  };
  const timer = setTimeout(() => stop.abort(`the lab did not finish within ${CONTAINER_TIMEOUT_MS / 1000} s`), CONTAINER_TIMEOUT_MS);
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  let result: ScenarioResult;
  try {
    result = await runContainerLab(onEvent, stop.signal);
  } finally {
    clearTimeout(timer);
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
  if (json) io.stdout(JSON.stringify(result, null, 2) + '\n');
  else io.stdout(renderVerdict(result, { color }));
  if (result.interrupted) return signalExit(caught);
  return result.ok ? EXIT.ok : EXIT.warning;
}

export const run: Command = async (args: string[], io: Io) => {
  const { values, positionals } = parse(args, OPTIONS, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError('which scenario? (sockdoc lab list)');
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (name === 'list') return listScenarios(Boolean(values.json), io);
  const options: LabOptions = { abortOnOverflow: Boolean(values['abort-on-overflow']) };
  if (values.capture !== undefined) options.captureDir = resolve(values.capture);
  if (values.inside) return inside(name, values, options, io);
  return outer(name, Boolean(values.json), options, io, useColor(io) && !values['no-color']);
};

/** Run as a script: the inner half (and a way to use the lab before main.ts dispatches it). */
function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch (err) {
    // argv[1] that is not a file (node -e): not us.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Runs `lab` with this process's argv and streams (lab-entry.ts, or this file run as a script). */
export function runAsScript(): void {
  const io = processIo();
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(err instanceof UsageError ? `sockdoc: ${err.message}\n` : `sockdoc lab: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = EXIT.unknown;
    },
  );
}

if (isMainModule()) runAsScript();

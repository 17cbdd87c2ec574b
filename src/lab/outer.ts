/**
 * The outer half of a lab run, in the caller's namespace: prepares the lab namespace (root) or
 * not (host mode), starts the inner lab process in a process group of its own, relays its
 * events, and guarantees cleanup — on success, failure, interruption and after a hard time limit
 * it kills the inner's whole group and every process left in the namespace, then deletes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createNamespace, destroyNamespace, newLabId } from './namespace.js';
import { describeRemoved, removeLeftovers } from './leftovers.js';
import { nodeGuardFlags } from '../safety/debug-signals.js';
import type { LabEvent, LabMode, LabOptions, Scenario, ScenarioResult } from './types.js';

/** Whole-run limit, setup and cleanup included (the story itself gives up at 25 s). */
export const HARD_TIMEOUT_MS = 30_000;

export interface LabRunSpec {
  scenario: Scenario;
  options: LabOptions;
  /** The script that runs `lab <name> --inside …` (dist/src/cli/lab.js). */
  entry: string;
  /** Not root: no namespace. Default: root -> netns. */
  mode?: LabMode;
  onEvent: (e: LabEvent) => void;
  /** The inner's stderr, line by line (peer crashes, debugging). */
  onStderr?: (line: string) => void;
  /** Hard limit; HARD_TIMEOUT_MS unless a test needs to see it expire. */
  timeoutMs?: number;
}

export interface LabRun {
  labId: string;
  mode: LabMode;
  /** Resolves once the inner has exited and everything is cleaned up. Never rejects. */
  done: Promise<ScenarioResult>;
  /** Stops the run now (Ctrl-C): kills, cleans up, resolves `done` as interrupted. */
  interrupt(reason: string): void;
  /** Synchronous last-resort cleanup, for process 'exit'. */
  cleanupNow(): string[];
}

function failedResult(spec: LabRunSpec, labId: string, mode: LabMode, t0: number, why: string, interrupted: boolean): ScenarioResult {
  return {
    scenario: spec.scenario.name,
    mode,
    labId,
    options: spec.options,
    notes: [],
    steps: [],
    ok: false,
    differences: [why],
    durationMs: Date.now() - t0,
    interrupted,
  };
}

/** Starts a lab run; throws LabError when the namespace cannot be made (nothing is left behind then). */
export function startLab(spec: LabRunSpec): LabRun {
  const t0 = Date.now();
  const mode: LabMode = spec.mode ?? (process.geteuid?.() === 0 ? 'netns' : 'host');
  const labId = newLabId(process.pid, t0);
  if (mode === 'netns') {
    // What earlier runs killed with SIGKILL left (they could not clean up): removed first, and said.
    const removed = describeRemoved(removeLeftovers());
    if (removed) spec.onStderr?.(removed);
    createNamespace(labId, spec.scenario.namespace(spec.options));
  }
  const innerArgs = [spec.entry, spec.scenario.name, '--inside', '--lab-id', labId, '--mode', mode];
  if (spec.options.abortOnOverflow) innerArgs.push('--abort-on-overflow');
  if (spec.options.captureDir) innerArgs.push('--capture', spec.options.captureDir);
  const [file, args] =
    mode === 'netns' ? ['ip', ['netns', 'exec', labId, process.execPath, ...nodeGuardFlags(), ...innerArgs]] : [process.execPath, [...nodeGuardFlags(), ...innerArgs]];
  // detached: a session and process group of its own, so one kill(-pgid) reaches the inner and
  // every peer it started, and the terminal's Ctrl-C reaches only us (we then clean up).
  // Its stdin stays open and silent: when we die, it reads end-of-file and stops its story.
  const child: ChildProcess = spawn(file, args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });

  let result: ScenarioResult | null = null;
  let stopReason: { why: string; interrupted: boolean } | null = null;
  let cleaned = false;
  const cleanupProblems: string[] = [];

  const cleanupNow = (): string[] => {
    if (cleaned) return cleanupProblems;
    cleaned = true;
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch (err) {
        // ESRCH: the group is already gone, the normal case after a finished story.
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') cleanupProblems.push(`kill group ${child.pid}: ${(err as Error).message}`);
      }
    }
    if (mode === 'netns') cleanupProblems.push(...destroyNamespace(labId));
    return cleanupProblems;
  };

  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: LabEvent;
    try {
      e = JSON.parse(line) as LabEvent;
    } catch {
      // The inner writes only events on stdout; anything else is shown, never fatal.
      spec.onStderr?.(line);
      return;
    }
    if (e.type === 'end') result = e.result;
    spec.onEvent(e);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => spec.onStderr?.(line));

  const stop = (why: string, interrupted: boolean): void => {
    if (stopReason) return;
    stopReason = { why, interrupted };
    // Killing the group ends the inner; its 'exit' then finishes the run.
    cleanupNow();
  };
  const timeoutMs = spec.timeoutMs ?? HARD_TIMEOUT_MS;
  const timer = setTimeout(() => stop(`the lab did not finish within ${timeoutMs / 1000} s and was killed`, false), timeoutMs);

  const done = new Promise<ScenarioResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      clearTimeout(timer);
      const problems = cleanupNow();
      let r: ScenarioResult;
      if (stopReason) r = { ...(result ?? failedResult(spec, labId, mode, t0, stopReason.why, stopReason.interrupted)), ok: false, interrupted: stopReason.interrupted };
      else if (result) r = result;
      else {
        const how = spawnError ? spawnError.message : signal ? `signal ${signal}` : `exit code ${code}`;
        r = failedResult(spec, labId, mode, t0, `the inner lab process ended (${how}) without a result`, false);
      }
      if (stopReason && r.differences[0] !== stopReason.why) r.differences = [stopReason.why, ...r.differences];
      if (problems.length) r = { ...r, ok: false, differences: [...r.differences, ...problems.map((p) => `cleanup: ${p}`)] };
      r.durationMs = Date.now() - t0;
      resolve(r);
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('close', (code, signal) => finish(code, signal));
  });

  return { labId, mode, done, interrupt: (reason) => stop(reason, true), cleanupNow };
}

/**
 * The inner half of a lab run: the process inside the lab namespace (or, not root, in the host's)
 * that plays the story. /proc/net/*, /proc/sys/net/* and sock_diag all show the reader's network
 * namespace, so the snapshots must be taken from here, not by the outer process.
 */
import { Lab } from './lab.js';
import type { LabEvent, LabMode, LabOptions, Scenario, ScenarioResult } from './types.js';

/** The story gives up here, leaving the outer's hard limit (30 s) for the cleanup. */
export const STORY_TIMEOUT_MS = 25_000;

/** What differs when the lab cannot have a namespace of its own. */
export function modeNotes(mode: LabMode, somaxconn: number | null): string[] {
  if (mode === 'netns') {
    return ['Own network namespace: loopback only, its own net.core.somaxconn and counters; removed at the end with every process in it.'];
  }
  return [
    'Not root: no lab namespace. The lab runs on 127.0.0.1 in the host network namespace, so:',
    `- net.core.somaxconn is the host's (${somaxconn ?? 'unknown'}): the server asks for an explicit backlog of 128 to get the same queue limit, and backlog-clamped cannot be shown;`,
    '- ListenOverflows and the other counters are the whole host\'s, and host-wide findings are not checked;',
    '- loopback is not rate-limited, so handshakes never overlap and SYN_RECV does not show; --abort-on-overflow is unavailable.',
  ];
}

/** Settles with `p`, or rejects at the time limit or when `signal` aborts, whichever comes first. */
function bounded<T>(p: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    onAbort = () => reject(new Error(`${what} was stopped: ${String(signal?.reason ?? 'aborted')}`));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, limit]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

/** Plays the scenario, streaming events; always stops every peer before returning. */
export async function playScenario(
  scenario: Scenario,
  run: {
    mode: LabMode;
    labId: string;
    options: LabOptions;
    emit: (e: LabEvent) => void;
    /** Aborts the story (the outer process went away): peers are still stopped. */
    signal?: AbortSignal;
  },
): Promise<ScenarioResult> {
  const lab = new Lab(run.mode, run.labId, run.options, (step) => run.emit({ type: 'step', step }));
  const notes = modeNotes(run.mode, lab.somaxconn());
  run.emit({ type: 'begin', scenario: scenario.name, mode: run.mode, labId: run.labId, notes });
  const differences: string[] = [];
  try {
    await bounded(scenario.run(lab), STORY_TIMEOUT_MS, `the ${scenario.name} story`, run.signal);
  } catch (err) {
    differences.push(`the story stopped: ${(err as Error).message}`);
  } finally {
    await lab.stopAll();
  }
  lab.steps.forEach((s, i) => {
    for (const c of s.checks) if (!c.ok) differences.push(`step ${i + 1} (${s.title}): ${c.label}${c.detail ? ` — ${c.detail}` : ''}`);
  });
  if (lab.steps.length === 0 && differences.length === 0) differences.push('the story took no step');
  const result: ScenarioResult = {
    scenario: scenario.name,
    mode: run.mode,
    labId: run.labId,
    options: run.options,
    notes: [...notes, ...lab.notes],
    steps: lab.steps,
    ok: differences.length === 0,
    differences,
    durationMs: lab.elapsed(),
    interrupted: false,
  };
  run.emit({ type: 'end', result });
  return result;
}

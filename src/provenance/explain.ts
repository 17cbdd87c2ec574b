/**
 * Where a process's RLIMIT_NOFILE came from: the chain of ancestors, the layer that set the value,
 * contradictions between configuration and what runs, and the fix at that layer (prlimit last,
 * as relief that does not survive a restart).
 */
import { readChain } from './chain.js';
import { classify } from './classify.js';
import { newContext, nrOpen, type ExplainContext } from './context.js';
import { chainContradictions } from './contradictions.js';
import { flattenSteps, prlimitStep, proposedValue, type FixStep, type Pair } from './fix.js';
import { fixer, hardRaiseNeeds } from './host-facts.js';
import { passThroughs } from './launchers/index.js';
import type { ProcNode } from './chain.js';
import type { Verdict } from './context.js';
import type { LimitOrigin } from './types.js';

/** Thrown by explainLimit when the process does not exist (code ESRCH, so outcomeOf says "absent"). */
export class NoSuchProcess extends Error {
  override name = 'NoSuchProcess';
  readonly code = 'ESRCH';
  constructor(readonly pid: number) {
    super(`no process ${pid}`);
  }
}

function unique(xs: string[]): string[] {
  return xs.filter((x, i) => xs.indexOf(x) === i);
}

/** The value prlimit should set now: what a configuration asks for, else hard:hard when soft < hard, else a raise. */
function reliefValue(soft: number | null, hard: number | null, wanted: Pair | undefined, nr: number | null): Pair {
  if (wanted) return wanted;
  if (soft !== null && hard !== null && soft < hard) return { soft: hard, hard };
  return proposedValue({ soft, hard }, undefined, nr);
}

/**
 * Relief steps: prlimit on the process (and on a launcher whose future children inherit its limit),
 * each checked against what the shell running it can do (prlimit(2), kernel/sys.c
 * check_prlimit_permission and do_prlimit): another user's process, or a hard limit raised, needs
 * CAP_SYS_RESOURCE; fs.nr_open caps every value. A raise of the soft limit up to the hard limit
 * always works, so it comes first when the larger value cannot.
 */
function reliefSteps(ctx: ExplainContext, root: string, target: ProcNode, v: Verdict, nr: number | null): FixStep[] {
  const f = fixer(ctx, root);
  const procs = [target, ...(v.reliefAlso ?? []).filter((p) => p.pid !== target.pid)];
  const steps: FixStep[] = [];
  let told = false;
  for (const p of procs) {
    const { soft, hard } = p.limit;
    const want = reliefValue(soft, hard, p === target ? v.wanted : undefined, nr);
    if (soft !== null && want.soft <= soft && hard !== null && want.hard <= hard) continue;
    const otherUser = f.uid !== null && p.uid !== null && f.uid !== p.uid && f.canRaise === false;
    if (otherUser) {
      steps.push(prlimitStep(p.pid, want, `CAP_SYS_RESOURCE: pid ${p.pid} belongs to uid ${p.uid} and this shell (uid ${f.uid}) lacks it; run it as uid ${p.uid}`));
      continue;
    }
    const needs = hardRaiseNeeds(want.hard, hard, f.canRaise, 'this shell');
    if (needs && soft !== null && hard !== null && soft < hard) steps.push(prlimitStep(p.pid, { soft: hard, hard }));
    const step = prlimitStep(p.pid, want, needs);
    if (!needs && !told && f.canRaise === null && hard !== null && want.hard > hard) {
      step.title += ' Raising the hard limit needs CAP_SYS_RESOURCE (root on most hosts).';
      told = true;
    }
    steps.push(step);
  }
  return steps;
}

/**
 * Explains one process. Throws NoSuchProcess when ROOT/proc/PID does not exist.
 * @example explainLimit('/', 1234).source.layer // 'supervisord'
 */
export function explainLimit(root: string, pid: number, ctx: ExplainContext = newContext()): LimitOrigin {
  const chain = readChain(root, pid);
  if (!chain) throw new NoSuchProcess(pid);
  if (chain.links.length === 0) {
    // The process exists but its stat could not be read (denied, malformed): say so, do not guess.
    const reason = `Its /proc files could not be read: ${chain.notes.join('; ')}.`;
    return { pid, name: '?', soft: null, hard: null, chain: [], source: { layer: 'unknown', pid, reason }, contradictions: [], steps: [], fix: [] };
  }
  const links = chain.links;
  const target = links[0];
  const v = classify(ctx, root, links);
  const contradictions = unique([...v.contradictions, ...chainContradictions(ctx, root, links, v)]);
  const nr = nrOpen(ctx, root);
  // At fs.nr_open nothing can be raised (setrlimit would fail with EPERM): no fix to offer.
  const atCeiling = target.limit.soft !== null && target.limit.soft >= (nr ?? Infinity) && !v.wanted;
  const steps: FixStep[] = atCeiling
    ? [{ kind: 'durable', title: `${target.limit.soft} is already fs.nr_open, the kernel's maximum: it cannot be raised; a process that runs out at this level leaks descriptors.`, lines: [] }]
    : [...reliefSteps(ctx, root, target, v, nr), ...v.fix];
  const via = passThroughs(links, links.findIndex((l) => l.pid === v.source.pid));
  if (via.length) v.notes.push(`${via.join(' and ')} ${via.length > 1 ? 'pass' : 'passes'} the limit on unchanged: ${via.length > 1 ? 'they set' : 'it sets'} none of ${via.length > 1 ? 'their' : 'its'} own.`);
  const notes = unique([...chain.notes, ...v.notes]);
  const origin: LimitOrigin = {
    pid: target.pid,
    name: target.name,
    soft: target.limit.soft,
    hard: target.limit.hard,
    chain: links.map((l) => ({ pid: l.pid, name: l.name, soft: l.limit.soft, hard: l.limit.hard })),
    source: v.source,
    contradictions,
    steps,
    fix: flattenSteps(steps),
  };
  if (notes.length) origin.notes = notes;
  return origin;
}

/**
 * Explains several processes, reading each configuration file once. Processes that vanished are
 * left out silently (they exited between the scan and now).
 */
export function explainLimits(root: string, pids: readonly number[]): Map<number, LimitOrigin> {
  const ctx = newContext();
  const out = new Map<number, LimitOrigin>();
  for (const pid of pids) {
    try {
      out.set(pid, explainLimit(root, pid, ctx));
    } catch (err) {
      if (err instanceof NoSuchProcess) continue;
      throw err;
    }
  }
  return out;
}

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
import { accountText, asPrefix, operator, ownerOf } from './fix-runner.js';
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
 * each as its runner can apply it (prlimit(2), kernel/sys.c check_prlimit_permission and
 * do_prlimit): without CAP_SYS_RESOURCE only an account with the process's own uids and gids may
 * change its limits, and nobody may raise its hard limit; fs.nr_open caps every value. So a shell
 * without the capability raises the soft limit up to the hard one, as the process's owner
 * (runuser) when that is another user, and what it cannot do becomes a note, never a line that fails.
 */
function reliefSteps(ctx: ExplainContext, root: string, target: ProcNode, v: Verdict, nr: number | null, notes: string[]): FixStep[] {
  const op = operator(ctx, root);
  const procs = [target, ...(v.reliefAlso ?? []).filter((p) => p.pid !== target.pid)];
  const steps: FixStep[] = [];
  const atHard: string[] = [];
  let told = false;
  for (const p of procs) {
    const { soft, hard } = p.limit;
    const want = reliefValue(soft, hard, p === target ? v.wanted : undefined, nr);
    if (soft !== null && want.soft <= soft && hard !== null && want.hard <= hard) continue;
    if (op.canRaise !== false) {
      // CAP_SYS_RESOURCE, or unknown (a capture: the lines are written for root, which has it on most hosts).
      const step = prlimitStep(p.pid, want);
      if (op.canRaise === null && !told && hard !== null && want.hard > hard) {
        step.title += ' Raising the hard limit needs CAP_SYS_RESOURCE (root on most hosts).';
        told = true;
      }
      steps.push(step);
      continue;
    }
    const who = `${p.name} (pid ${p.pid})`;
    if (hard === null || soft === null) {
      notes.push(`No relief without a restart is offered for ${who}: its limits could not be read.`);
      continue;
    }
    const reach = { soft: Math.min(want.soft, hard), hard };
    const above = want.hard > hard ? ` To go above ${hard}: prlimit cannot raise a hard limit without CAP_SYS_RESOURCE, which this shell lacks; raise it where it is set (the steps below) and restart.` : '';
    if (reach.soft <= soft) {
      atHard.push(`${who} is at its hard limit ${hard}`);
      continue;
    }
    const owner = ownerOf(ctx, root, p);
    const c = p.creds;
    const sameIds = p.uid !== null && c !== null && c.euid === p.uid && c.suid === p.uid && c.egid === c.gid && c.sgid === c.gid;
    if (owner === null || !sameIds) {
      notes.push(`No relief without a restart for ${who}: its uids or gids differ (a setuid program, or unreadable), so only CAP_SYS_RESOURCE may change its limits, and this shell lacks it.`);
      continue;
    }
    const step = prlimitStep(p.pid, reach, undefined, asPrefix(ctx, root, owner, c.gid));
    if (op.uid !== owner.uid) step.title += ` As its owner ${accountText(owner)}: without CAP_SYS_RESOURCE only the process's own user may change its limits.`;
    if (above) step.higher = above.trim();
    steps.push(step);
  }
  if (atHard.length) {
    notes.push(`No relief without a restart: ${atHard.join(', and ')}; raising a hard limit needs CAP_SYS_RESOURCE, which this shell lacks. Raise it where it is set (the fix steps) and restart.`);
  }
  return steps;
}

/**
 * Explains one process. Throws NoSuchProcess when ROOT/proc/PID does not exist.
 * @example explainLimit('/', 1234).source.layer // 'supervisord'
 */
export function explainLimit(root: string, pid: number, ctx: ExplainContext = newContext()): LimitOrigin {
  const chain = readChain(root, pid, ctx);
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
    : [...reliefSteps(ctx, root, target, v, nr, v.notes), ...v.fix];
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

/**
 * One entry of the launcher catalogue: a program that starts other programs and so decides the
 * RLIMIT_NOFILE they inherit, or a program that sets its own. Each entry says how it is
 * recognised, where its setting lives, what its children get, the durable fix and the relief;
 * `explain` turns that into a verdict for a chain.
 */
import type { ProcNode } from '../chain.js';
import type { ExplainContext, Verdict } from '../context.js';
import type { Pair } from '../fix.js';
import type { Capped, Ceiling } from '../fix-runner.js';
import type { Identity } from '../launcher-identity.js';

/** What an entry is given: the chain, the origin (the highest link holding the value) and its parent. */
export interface LauncherCase {
  ctx: ExplainContext;
  root: string;
  links: readonly ProcNode[];
  /** Index of the origin in links. */
  oi: number;
  origin: ProcNode;
  parent: ProcNode | null;
  /** The value a durable fix proposes, checked against fs.nr_open only. */
  value: Pair;
  /** `value` capped at what the account applying it can set (fix-runner.ts capAt). */
  valueFor(ceiling: Pick<Ceiling, 'hard' | 'canRaise' | 'who' | 'raiseFirst'>): Capped;
}

export interface Launcher {
  id: string;
  /** Catalogue text (docs/launchers.md is written from these; a test keeps them filled in). */
  recognisedBy: string;
  settingLives: string;
  childrenGet: string;
  durableFix: string;
  relief: string;
  /** Passes its limit on unchanged and sets none (tini, dumb-init): named in the explanation, never the source. */
  passThrough?: boolean;
  /** Is this process this launcher, by its name? */
  is(n: ProcNode): boolean;
  /**
   * What the real launcher is: its executables and the account it runs as. A process `is()` names
   * is taken as this launcher only when its /proc/PID/exe is one of them, root's and changeable by
   * nobody else (launcher-identity.ts); launcherVerdict enforces it for every entry.
   */
  identity: Identity;
  /**
   * The verdict when this entry explains the case (the origin is this launcher, or its child that
   * the launcher configured); null when it does not, and the next layer is asked.
   */
  explain(c: LauncherCase): Verdict | null;
}

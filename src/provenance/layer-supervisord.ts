/**
 * supervisord as the layer: it raised its own soft limit to `minfds` when it first started
 * (supervisor/options.py set_rlimits_or_exit; supervisord.py main calls it only while
 * options.first is true), and every program it runs inherits that. A reload (`supervisorctl
 * reload`, SIGHUP) re-reads the file in the same process and never calls it again.
 */
import type { ProcNode } from './chain.js';
import { resolve } from 'node:path';
import { cwdOf, globBudget, memoRead, pamUser, type ExplainContext, type Verdict } from './context.js';
import { childrenOf, childrenText } from './children.js';
import { proposedValue, supervisordFix, type FixStep } from './fix.js';
import { shellCommand, shellQuote } from '../safety/shell-quote.js';
import { writableByOthers, type WritableBy } from '../safety/writable-by.js';
import { canRaiseHard } from './host-facts.js';
import { isSystemdManager, unitOf } from './kinds.js';
import { formatSH, type Effective } from './rlimit.js';
import { applyMinfds, parseSupervisordArgs, readSupervisordConfig, type SupervisordConfig } from './supervisord.js';

export function readSupervisord(ctx: ExplainContext, root: string, node: ProcNode) {
  const args = parseSupervisordArgs(node.argv);
  const cwd = args.config?.startsWith('/') ? '/' : cwdOf(root, node.pid);
  return memoRead<SupervisordConfig | null>(ctx, `supervisord:${node.pid}`, () => readSupervisordConfig(root, args, cwd, globBudget(ctx)));
}

/**
 * The command that starts supervisord again as it was: its argv, minus an interpreter put in front
 * of the script (`/usr/bin/python3 /usr/bin/supervisord` would make the new process "python3",
 * which no longer reads as supervisord; the script's #! line runs the same interpreter).
 */
export function ownCommand(argv: readonly string[]): string[] {
  if (argv.length > 1 && /(^|\/)python[0-9.]*$/.test(argv[0]) && /(^|\/)supervisord(\.py)?$/.test(argv[1])) return argv.slice(1);
  return [...argv];
}

/**
 * How to restart this supervisord for real, with what that stops: its unit, else shutdown + its
 * own command line, quoted. When a file of that command line (the program, a script, the config)
 * is one another user can change, the line is not offered to root: it names the owner and says to
 * check it.
 */
export function restartStep(ctx: ExplainContext, root: string, node: ProcNode, parent: ProcNode | null, file: string | null): FixStep {
  const u = unitOf(node.cgroup);
  const programs = childrenText(childrenOf(ctx, root, node.pid));
  const blastRadius = `stops every program supervisord runs (${programs}) until it has started again`;
  if (parent && isSystemdManager(parent) && u && u.unit.endsWith('.service')) {
    return { kind: 'restart', title: `Restart supervisord through its unit ${u.unit}`, lines: [shellCommand([...(parent.pid === 1 ? ['systemctl'] : ['systemctl', '--user']), 'restart', u.unit])], blastRadius };
  }
  const conf = file ? ['-c', file] : [];
  const own = ownCommand(node.argv);
  const argv = own.length ? own : ['supervisord', ...conf];
  const stop = shellCommand(['supervisorctl', ...conf, 'shutdown']);
  const title = 'Stop supervisord and start it again the way it was started';
  const unsafe = unsafeFileOf(ctx, root, node, [...argv, ...(file ? [file] : [])]);
  if (!unsafe) return { kind: 'restart', title, lines: [stop, shellCommand(argv)], blastRadius };
  const owner = pamUser(ctx, root, unsafe.uid).name;
  return {
    kind: 'restart',
    title,
    lines: [stop, `# it was started as: ${shellCommand(argv)}`, `# do not run that as root: ${shellQuote(unsafe.path)} is ${unsafe.why}${owner !== String(unsafe.uid) ? ` (${shellQuote(owner)})` : ''}; check it, then start it as its owner`],
    blastRadius,
  };
}

/** The first word of argv naming an existing file (relative ones from the process's cwd) that someone other than root can change. */
function unsafeFileOf(ctx: ExplainContext, root: string, node: ProcNode, words: readonly string[]): WritableBy | null {
  const cwd = cwdOf(root, node.pid);
  for (const w of words) {
    if (!w.includes('/')) continue;
    try {
      const found = writableByOthers(root, resolve(cwd, w));
      if (found) return found;
    } catch {
      // Not readable (EACCES, a refused link): cannot tell who owns it, so it is not offered either.
      return { path: resolve(cwd, w), uid: -1, why: 'not checkable' };
    }
  }
  return null;
}

/**
 * What a minfds value needs: supervisord raises its hard limit too when minfds is above it
 * (options.py set_rlimits_or_exit), which needs CAP_SYS_RESOURCE; without it supervisord exits at
 * start-up, taking every program with it. `hard` is the hard limit it will start with.
 */
export function minfdsNeeds(ctx: ExplainContext, root: string, node: ProcNode, minfds: number, hard: number | null): string | undefined {
  if (hard === null || minfds <= hard) return undefined;
  if (canRaiseHard(ctx, root, node.pid) === true) return undefined;
  return `a hard limit of at least ${minfds} for supervisord first (it starts with ${hard} and lacks CAP_SYS_RESOURCE to raise it; above it supervisord refuses to start)`;
}

/** Where minfds came from, for sentences: "minfds=3000 (/etc/supervisor/supervisord.conf:12)". */
export function minfdsText(c: SupervisordConfig): string {
  const f = c.minfdsFrom;
  if (f.how === 'file') return `minfds=${c.minfds} (${f.file}:${f.line})`;
  if (f.how === 'command line') return `minfds=${c.minfds} (its command line)`;
  return `minfds=${c.minfds} (the default; ${c.file} does not set it)`;
}

/** The sentence for a supervisord that runs below its configured minfds; null when it does not. */
export function staleMinfds(node: ProcNode, c: SupervisordConfig): string | null {
  if (node.limit.soft === null || c.minfds <= node.limit.soft) return null;
  return `${c.minfdsFrom.file ?? c.file} says minfds=${c.minfds}, but supervisord (pid ${node.pid}) runs with a soft limit of ${node.limit.soft}: minfds is applied only when supervisord starts, and \`supervisorctl reload\` does not restart it. The new value is configured but not in effect until supervisord is restarted.`;
}

/** What supervisord started with, when that is consistent with a minfds raise from it; else why not. */
function inheritedText(node: ProcNode, inherited: Effective | null, from: string): string {
  if (!inherited) return ` It was started by ${from}, whose limit is unknown.`;
  const raised = node.limit.soft !== null ? applyMinfds(inherited, node.limit.soft) : null;
  if (raised && raised.soft === node.limit.soft && raised.hard === node.limit.hard) return ` It got ${formatSH(inherited.soft, inherited.hard)} from ${from}.`;
  const From = from.charAt(0).toUpperCase() + from.slice(1);
  return ` ${From} has ${formatSH(inherited.soft, inherited.hard)}, so supervisord was started with other limits (under prlimit, or by a shell that ran ulimit and has exited) and raised its soft limit from there.`;
}

/**
 * Explains a supervisord at which the limit was set. `inherited` is what it got at exec time when
 * known (its unit's configuration, or its parent's limit).
 */
export function supervisordVerdict(ctx: ExplainContext, root: string, node: ProcNode, parent: ProcNode | null, inherited: Effective | null, inheritedFrom: string): Verdict {
  const r = readSupervisord(ctx, root, node);
  const base = { layer: 'supervisord' as const, pid: node.pid };
  const proposed = (wanted?: { soft: number; hard: number }) => proposedValue(node.limit, wanted);
  if (!r.ok || r.value === null) {
    const why = !r.ok ? `its configuration could not be read: ${r.error}` : 'no configuration file was found (neither -c on its command line nor the default paths)';
    return {
      source: { ...base, reason: `supervisord (pid ${node.pid}) holds this limit and passes it to its programs, but ${why}.` },
      contradictions: [],
      fix: [restartStep(ctx, root, node, parent, null)],
      notes: [],
    };
  }
  const c = r.value;
  const src = { ...base, file: c.minfdsFrom.file ?? c.file, setting: c.minfdsFrom.how === 'command line' ? `--minfds=${c.minfds}` : `minfds=${c.minfds}`, value: String(c.minfds) };
  // Edit where minfds is set now: an [include]d file overrides the main one; the command line beats both.
  const editIn = c.minfdsFrom.how === 'command line' ? 'the supervisord command line (-a/--minfds)' : (c.minfdsFrom.file ?? c.file);
  const got = inheritedText(node, inherited, inheritedFrom);
  const restart = restartStep(ctx, root, node, parent, c.file);
  const startHard = inherited?.hard ?? node.limit.hard;
  if (node.limit.soft === c.minfds) {
    // Within the hard limit supervisord starts with, unless it can raise that (CAP_SYS_RESOURCE).
    const canRaise = canRaiseHard(ctx, root, node.pid) === true;
    const p0 = proposed();
    const p = !canRaise && startHard !== null && p0.soft > startHard && startHard > (node.limit.soft ?? 0) ? { soft: startHard, hard: startHard } : p0;
    return {
      source: { ...src, reason: `supervisord (pid ${node.pid}) raised its soft limit to ${minfdsText(c)} when it started; the programs it runs inherit it.${got}` },
      contradictions: [],
      fix: supervisordFix(editIn, p.soft, restart, false, minfdsNeeds(ctx, root, node, p.soft, startHard)),
      notes: c.warnings,
    };
  }
  const stale = staleMinfds(node, c);
  if (stale) {
    const hard = Math.max(node.limit.hard ?? 0, c.minfds);
    return {
      source: {
        ...src,
        reason: `supervisord (pid ${node.pid}) raised its soft limit to ${node.limit.soft} when it started (the minfds of that time); the programs it runs inherit it.${got} Its configuration now asks for more.`,
      },
      contradictions: [stale],
      fix: supervisordFix(editIn, c.minfds, restart, true, minfdsNeeds(ctx, root, node, c.minfds, startHard)),
      notes: c.warnings,
      wanted: { soft: c.minfds, hard },
    };
  }
  return {
    source: {
      layer: 'unknown',
      pid: node.pid,
      file: c.minfdsFrom.file ?? c.file,
      setting: `minfds=${c.minfds}`,
      value: String(c.minfds),
      reason: `supervisord (pid ${node.pid}) runs with ${formatSH(node.limit.soft, node.limit.hard)}, which ${minfdsText(c)} does not explain (supervisord only raises a soft limit below minfds), and its parent ${parent ? `${parent.name} (pid ${parent.pid}) has ${formatSH(parent.limit.soft, parent.limit.hard)}` : 'is unknown'}. It was probably started by a process that has since exited (a daemonizing start), or changed with prlimit.`,
    },
    contradictions: [],
    fix: [restart],
    notes: c.warnings,
  };
}

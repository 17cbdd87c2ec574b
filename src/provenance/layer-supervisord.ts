/**
 * supervisord as the layer: it raised its own soft limit to `minfds` when it first started
 * (supervisor/options.py set_rlimits_or_exit; supervisord.py main calls it only while
 * options.first is true), and every program it runs inherits that. A reload (`supervisorctl
 * reload`, SIGHUP) re-reads the file in the same process and never calls it again.
 */
import { redactArgv } from '../snapshot/redact.js';
import type { ProcNode } from './chain.js';
import { resolve } from 'node:path';
import { cwdOf, cwdOrNull, globBudget, memoRead, pamUser, type ExplainContext, type Verdict } from './context.js';
import { childrenOf, childrenText } from './children.js';
import { proposedValue, supervisordFix, type FixStep } from './fix.js';
import { shellCommand, shellQuote } from '../safety/shell-quote.js';
import { accountOf, accountText, capAt, ceilingAs, ownerOf, refusedLines, runAs, untrusted, untrustedClosure, untrustedText, type Capped, type Ceiling } from './fix-runner.js';
import { canRaiseHard } from './host-facts.js';
import { isSystemdManager, unitOf } from './kinds.js';
import { formatSH, type Effective } from './rlimit.js';
import { ownerIdentity } from '../probe/pid-status.js';
import { applyMinfds, parseSupervisordArgs, readSupervisordConfig, type SupervisordConfig } from './supervisord.js';

export function readSupervisord(ctx: ExplainContext, root: string, node: ProcNode) {
  const args = parseSupervisordArgs(node.argv);
  const cwd = args.config?.startsWith('/') ? '/' : cwdOf(root, node.pid);
  return memoRead<SupervisordConfig | null>(ctx, `supervisord:${node.pid}`, () => readSupervisordConfig(root, args, cwd, globBudget(ctx), ownerIdentity(root, node.pid)));
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

/** Was this supervisord started by a systemd manager as a service (a restart goes through its unit)? */
function serviceUnit(node: ProcNode, parent: ProcNode | null): { unit: string; manager: ProcNode } | null {
  const u = unitOf(node.cgroup);
  return parent && isSystemdManager(parent) && u && u.unit.endsWith('.service') ? { unit: u.unit, manager: parent } : null;
}

/** The argv with its configuration given as `file` (replacing -c/--configuration in any form, else added). */
export function withConfig(argv: readonly string[], file: string): string[] {
  const out: string[] = [];
  let given = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a === '-c' || a === '--configuration') && i + 1 < argv.length) {
      out.push('-c', file);
      i++;
      given = true;
    } else if (/^--configuration=/.test(a) || (/^-c./.test(a) && i > 0)) {
      out.push('-c', file);
      given = true;
    } else out.push(a);
  }
  return given ? out : [...out, '-c', file];
}

/**
 * How to restart this supervisord for real, with what that stops. Through its unit when a systemd
 * manager started it (a user manager's from root with --machine=USER@); else stopped and started
 * the way it was, as its owner, wherever the line is pasted: the configuration it read named by
 * its absolute path (a relative -c resolved against its cwd, /proc/PID/cwd; none given: the file
 * its search found), since a start without -c searches the paster's cwd and /etc and could start
 * another configuration. `supervisorctl shutdown` reads the config (its serverurl could name
 * another supervisord's socket), and the start reads it and runs its programs: when anything of
 * that closure (fix-runner.ts untrustedClosure) can be changed by someone other than root and that
 * account, supervisord is stopped by a signal to its pid and the start is not offered
 * (refusedLines); when the configuration is unknown, the start is not offered either.
 */
export function restartStep(ctx: ExplainContext, root: string, node: ProcNode, parent: ProcNode | null, c: SupervisordConfig | null): FixStep {
  const programs = childrenText(childrenOf(ctx, root, node.pid));
  const blastRadius = `stops every program supervisord runs (${programs}) until it has started again`;
  const owner = ownerOf(ctx, root, node) ?? accountOf(ctx, root, 0);
  const svc = serviceUnit(node, parent);
  const reads = (file: string | null) => `supervisord then reads ${file ? shellQuote(file) : 'its configuration'} and what it includes, and starts the programs it names, as ${accountText(owner)}`;
  if (svc) {
    const userManager = svc.manager.pid !== 1;
    const mo = userManager ? ownerOf(ctx, root, svc.manager) : null;
    const ctl = userManager ? ['systemctl', '--user', ...(mo?.name ? [`--machine=${mo.name}@`] : [])] : ['systemctl'];
    const line = shellCommand([...ctl, 'restart', svc.unit]);
    const bad = c ? untrustedClosure(ctx, root, c.closure, owner.uid) : null;
    return { kind: 'restart', title: `Restart supervisord through its unit ${svc.unit}`, lines: bad ? refusedLines(ctx, root, line, owner, reads(c?.file ?? null), bad) : [line], blastRadius };
  }
  const title = `Stop supervisord and start it again the way it was started${owner.uid !== 0 ? `, as ${accountText(owner)}, who runs it` : ''}`;
  const args = parseSupervisordArgs(node.argv);
  const cwd = cwdOrNull(root, node.pid);
  const own = ownCommand(node.argv);
  // SIGTERM makes supervisord stop its programs and exit (supervisord.py: SIGTERM → shutdown) without reading any file.
  const kill = shellCommand(['kill', '-TERM', String(node.pid)]);
  const script = own[0] ?? '';
  const relative = (w: string) => w.includes('/') && !w.startsWith('/');
  // The file it read: found by readSupervisordConfig (absolute), else -c against its cwd; a search or a relative path needs the cwd.
  const needsCwd = !args.config || !args.config.startsWith('/') || relative(script);
  const file = c?.file ?? (args.config?.startsWith('/') ? args.config : args.config && cwd !== null ? resolve(cwd, args.config) : null);
  const why = !own.length
    ? 'its command line could not be read'
    : needsCwd && cwd === null
      ? `it was started ${args.config ? `with the relative -c ${shellQuote(args.config)}` : 'without -c'} from a working directory that could not be read`
      : !file
        ? 'it was started without -c and none of the files supervisord searches was found'
        : null;
  if (why || !file) {
    return {
      kind: 'restart',
      title,
      lines: [`${kill}   # supervisord stops its programs and exits; no file is read`, ...(own.length ? [`# it was started as: ${shellCommand(redactArgv(own).value)}`] : []), `# not offered: the start, since ${why ?? 'its configuration is unknown'} (without -c supervisord searches the current directory and /etc, and could start another configuration): start it as ${accountText(owner)} with -c and the absolute path of its configuration`],
      blastRadius,
    };
  }
  const argv = withConfig(own, file).map((w, i) => (i === 0 && relative(w) && cwd !== null ? resolve(cwd, w) : w));
  const start = runAs(ctx, root, owner, argv);
  const bad = untrustedClosure(ctx, root, [...argv.filter((w) => w.startsWith('/')), file, ...(c?.closure ?? [])], owner.uid);
  if (bad) return { kind: 'restart', title, lines: [`${kill}   # supervisorctl would read the configuration; this signal reads nothing`, ...refusedLines(ctx, root, start, owner, reads(file), bad)], blastRadius };
  return { kind: 'restart', title, lines: [runAs(ctx, root, owner, ['supervisorctl', '-c', file, 'shutdown']), start], blastRadius };
}

/**
 * The ceiling supervisord starts under when the restart step runs: its unit's (the manager
 * applies LimitNOFILE=, and supervisord keeps the capabilities root has there), or the account
 * that starts it again from the operator's shell (fix-runner.ts ceilingAs).
 */
function startCeiling(ctx: ExplainContext, root: string, node: ProcNode, parent: ProcNode | null, unitHard: number | null): Ceiling {
  const svc = serviceUnit(node, parent);
  if (svc) {
    return { hard: unitHard, canRaise: canRaiseHard(ctx, root, node.pid), who: `supervisord, started by ${svc.unit}`, raiseFirst: `LimitNOFILE= of ${svc.unit}` };
  }
  return ceilingAs(ctx, root, ownerOf(ctx, root, node) ?? accountOf(ctx, root, 0));
}

/**
 * A minfds value as the restarted supervisord can apply it: it raises its hard limit too when minfds
 * is above it (options.py set_rlimits_or_exit), which needs CAP_SYS_RESOURCE; without it supervisord
 * exits at start-up, taking every program with it. So minfds is capped at the hard limit it will
 * start with, with what to raise first to go higher.
 */
export function minfdsFor(minfds: number, ceiling: Ceiling, current: number | null): Capped {
  return capAt({ soft: minfds, hard: minfds }, ceiling, current);
}

/** What the configured minfds needs when the restarted supervisord could not apply it (it would exit at start-up). */
function staleNeeds(minfds: number, ceiling: Ceiling): string | undefined {
  const m = minfdsFor(minfds, ceiling, null);
  if (m.value.soft >= minfds) return m.needs;
  return `a hard limit of at least ${minfds} for ${ceiling.who}, which starts with ${ceiling.hard} and cannot raise it (above it supervisord refuses to start): first raise ${ceiling.raiseFirst}, or set minfds=${ceiling.hard}`;
}

/** Who else can change the file to edit, for its comment: "" when only root and supervisord's own account can. */
function editNote(ctx: ExplainContext, root: string, node: ProcNode, file: string): string {
  if (!file.startsWith('/')) return '';
  const bad = untrusted(ctx, root, file, node.uid ?? 0);
  return bad ? ` (${untrustedText(ctx, root, bad)}, and supervisord reads it as ${node.uid === 0 || node.uid === null ? 'root' : `uid ${node.uid}`}: check it)` : '';
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
  const restart = restartStep(ctx, root, node, parent, c);
  const startHard = inherited?.hard ?? node.limit.hard;
  const ceiling = startCeiling(ctx, root, node, parent, startHard);
  if (node.limit.soft === c.minfds) {
    // Within the hard limit supervisord will start with, unless it can raise that (CAP_SYS_RESOURCE).
    const m = minfdsFor(proposed().soft, ceiling, node.limit.soft);
    return {
      source: { ...src, reason: `supervisord (pid ${node.pid}) raised its soft limit to ${minfdsText(c)} when it started; the programs it runs inherit it.${got}` },
      contradictions: [],
      fix: supervisordFix(editIn, m.value.soft, restart, false, m.needs, m.higher, editNote(ctx, root, node, editIn)),
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
      fix: supervisordFix(editIn, c.minfds, restart, true, staleNeeds(c.minfds, ceiling)),
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

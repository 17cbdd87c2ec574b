/**
 * supervisord as the layer: it raised its own soft limit to `minfds` when it first started
 * (supervisor/options.py set_rlimits_or_exit; supervisord.py main calls it only while
 * options.first is true), and every program it runs inherits that. A reload (`supervisorctl
 * reload`, SIGHUP) re-reads the file in the same process and never calls it again.
 */
import type { ProcNode } from './chain.js';
import { resolve } from 'node:path';
import { cwdOf, memoRead, pamUser, type ExplainContext, type Verdict } from './context.js';
import { shellCommand, shellQuote } from '../safety/shell-quote.js';
import { writableByOthers, type WritableBy } from '../safety/writable-by.js';
import { proposedValue, supervisordFix } from './fix.js';
import { isSystemdManager, unitOf } from './kinds.js';
import { formatSH, type Effective } from './rlimit.js';
import { applyMinfds, parseSupervisordArgs, readSupervisordConfig, type SupervisordConfig } from './supervisord.js';

export function readSupervisord(ctx: ExplainContext, root: string, node: ProcNode) {
  const args = parseSupervisordArgs(node.argv);
  const cwd = args.config?.startsWith('/') ? '/' : cwdOf(root, node.pid);
  return memoRead<SupervisordConfig | null>(ctx, `supervisord:${node.pid}`, () => readSupervisordConfig(root, args, cwd));
}

/**
 * How to restart this supervisord for real: its unit, else shutdown + its own command line, quoted.
 * When a file of that command line (the program, a script, the config) is one another user can
 * change, the line is not offered to root: it names the owner and says to check it.
 */
export function restartCommands(ctx: ExplainContext, root: string, node: ProcNode, parent: ProcNode | null, file: string | null): string[] {
  const u = unitOf(node.cgroup);
  if (parent && isSystemdManager(parent) && u && u.unit.endsWith('.service')) {
    return [`${parent.pid === 1 ? 'systemctl' : 'systemctl --user'} restart ${shellQuote(u.unit)}`];
  }
  const conf = file ? ['-c', file] : [];
  const argv = node.argv.length ? node.argv : ['supervisord', ...conf];
  const stop = shellCommand(['supervisorctl', ...conf, 'shutdown']);
  const unsafe = unsafeFileOf(ctx, root, node, [...argv, ...(file ? [file] : [])]);
  if (!unsafe) return [stop, `${shellCommand(argv)}   # started again the way it was started`];
  const owner = pamUser(ctx, root, unsafe.uid).name;
  return [
    stop,
    `# it was started as: ${shellCommand(argv)}`,
    `# do not run that as root: ${shellQuote(unsafe.path)} is ${unsafe.why}${owner !== String(unsafe.uid) ? ` (${shellQuote(owner)})` : ''}; check it, then start it as its owner`,
  ];
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
      fix: restartCommands(ctx, root, node, parent, null),
      notes: [],
    };
  }
  const c = r.value;
  const src = { ...base, file: c.minfdsFrom.file ?? c.file, setting: c.minfdsFrom.how === 'command line' ? `--minfds=${c.minfds}` : `minfds=${c.minfds}`, value: String(c.minfds) };
  // Edit where minfds is set now: an [include]d file overrides the main one; the command line beats both.
  const editIn = c.minfdsFrom.how === 'command line' ? 'the supervisord command line (-a/--minfds)' : (c.minfdsFrom.file ?? c.file);
  const got = inheritedText(node, inherited, inheritedFrom);
  const restart = restartCommands(ctx, root, node, parent, c.file);
  if (node.limit.soft === c.minfds) {
    const p = proposed();
    return {
      source: { ...src, reason: `supervisord (pid ${node.pid}) raised its soft limit to ${minfdsText(c)} when it started; the programs it runs inherit it.${got}` },
      contradictions: [],
      fix: supervisordFix(editIn, p.soft, restart, false),
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
      fix: supervisordFix(editIn, c.minfds, restart, true),
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
    fix: restart,
    notes: c.warnings,
  };
}

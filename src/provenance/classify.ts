/**
 * Picks the layer for a chain. The origin is the highest ancestor holding the same soft and hard
 * limits (the process itself when its parent differs); what that process is, and who started it,
 * names the layer.
 */
import { originIndex, type ProcNode } from './chain.js';
import { nrOpen, type ExplainContext, type Verdict } from './context.js';
import { nodeContainer } from './container-trust.js';
import { basename } from 'node:path';
import { isCron, isShell, isShellBinary, isSupervisord, isSystemdManager, pamServiceOf, sessionIdentity } from './kinds.js';
import { checkIdentity, exeOf } from './launcher-identity.js';
import { containerVerdict, initVerdict, selfOrUnknownVerdict } from './layer-other.js';
import { sessionVerdict } from './layer-session.js';
import { shellVerdict } from './layer-shell.js';
import { supervisordVerdict } from './layer-supervisord.js';
import { systemdVerdict, unitExpectation } from './layer-systemd.js';
import { unitOf } from './kinds.js';
import type { Effective } from './rlimit.js';
import { proposedValue } from './fix.js';
import { capAt } from './fix-runner.js';
import { launcherVerdict } from './launchers/index.js';
import type { LauncherCase } from './launchers/types.js';

/** What a supervisord got at exec time: its unit's configuration when systemd started it, else its parent's limit. */
function inheritedBySupervisord(ctx: ExplainContext, root: string, node: ProcNode, parent: ProcNode | null): { limit: Effective | null; from: string } {
  if (!parent) return { limit: null, from: 'nobody in view' };
  const u = unitOf(node.cgroup);
  if (isSystemdManager(parent)) {
    if (!startedAsService(node) || !u || u.user) return { limit: null, from: 'a launcher that has exited (it was reparented to the manager)' };
    const e = unitExpectation(ctx, root, u.unit, node, parent);
    if (!('error' in e)) return { limit: e.expected, from: `${u.unit} (${e.config.limit.setting})` };
  }
  return { limit: parent.limit, from: `its parent ${parent.name} (pid ${parent.pid})` };
}

/**
 * Explains the process started by a systemd manager: the unit; or supervisord when minfds did it;
 * or a wrapper shell whose script runs `ulimit -n` (the unit then looks stale but is not).
 */
function startedBySystemd(ctx: ExplainContext, root: string, node: ProcNode, manager: ProcNode): Verdict {
  const v = systemdVerdict(ctx, root, node, manager);
  if (v && v.contradictions.length && isShell(node)) {
    const sv = shellVerdict(ctx, root, node, manager);
    if (sv.confident) {
      const given = v.source.unit ? ` It was started as ${v.source.unit}, which gives ${v.source.value ?? 'its limit'} (${v.source.setting}); the script changed that.` : '';
      return { ...sv, source: { ...sv.source, unit: v.source.unit, reason: sv.source.reason + given } };
    }
    // The script could not be read (refused, a FIFO, too large): say so, since it may be where the limit changed.
    if (sv.notes.length) return { ...v, notes: [...v.notes, ...sv.notes] };
  }
  if (v) return v;
  const inh = inheritedBySupervisord(ctx, root, node, manager);
  return supervisordVerdict(ctx, root, node, manager, inh.limit, inh.from);
}

/**
 * Did the manager start this process as (part of) a service? A process whose parent is a systemd
 * manager but whose cgroup is a login session or nothing was reparented to it after its launcher
 * exited (a daemonizing start): the manager never applied a limit to it.
 */
function startedAsService(node: ProcNode): boolean {
  const u = unitOf(node.cgroup);
  return u !== null && /\.(service|socket|mount|swap)$/.test(u.unit);
}

/**
 * A catalogue case: the value a fix proposes, checked against fs.nr_open; each entry caps it at
 * what the account that applies it can set (valueFor: the launcher's owner through runuser, the
 * supervisor that runs a run script, …).
 */
function launcherCase(ctx: ExplainContext, root: string, links: ProcNode[], oi: number): LauncherCase {
  const origin = links[oi];
  const value = proposedValue(origin.limit, undefined, nrOpen(ctx, root));
  return { ctx, root, links, oi, origin, parent: links[oi + 1] ?? null, value, valueFor: (c) => capAt(value, c, origin.limit.soft) };
}

/** The layer of one origin, ignoring containers. */
function layerOf(ctx: ExplainContext, root: string, links: ProcNode[], oi: number): Verdict {
  const o = links[oi];
  const parent = links[oi + 1] ?? null;
  // A systemd manager holding the value: the unit process below it is where systemd applied it.
  if (isSystemdManager(o) && oi > 0 && startedAsService(links[oi - 1])) return startedBySystemd(ctx, root, links[oi - 1], o);
  if (parent && isSystemdManager(parent) && startedAsService(o)) return startedBySystemd(ctx, root, o, parent);
  if (!parent) return initVerdict(o);
  if (isSupervisord(o)) {
    const inh = inheritedBySupervisord(ctx, root, o, parent);
    return supervisordVerdict(ctx, root, o, parent, inh.limit, inh.from);
  }
  const service = pamServiceOf(o);
  const userNode = links[Math.max(0, oi - 1)];
  // A name is the process's own to choose: a session opener or cron counts only when it is the real one (launcher-identity.ts).
  const doubts: string[] = [];
  const genuine = (): boolean => {
    const c = checkIdentity(ctx, root, o, sessionIdentity(o));
    if (!c.genuine) doubts.push(`${c.why}: it is not taken as ${o.name}.`);
    return c.genuine;
  };
  if (service && genuine()) return sessionVerdict(ctx, root, o, parent, userNode, service, 'pam', nrOpen(ctx, root));
  if (!service && isCron(o) && genuine()) return sessionVerdict(ctx, root, o, parent, userNode, 'cron', 'cron', nrOpen(ctx, root));
  const lv = launcherVerdict(launcherCase(ctx, root, links, oi), doubts);
  const withDoubts = (v: Verdict): Verdict => (doubts.length ? { ...v, notes: [...v.notes, ...doubts] } : v);
  if (lv) return withDoubts(lv);
  // comm is the script's name for a script started by its #! line; the executable says it is a shell.
  const exe = exeOf(ctx, root, o.pid);
  if (isShell(o) || (exe !== null && isShellBinary(basename(exe)))) return withDoubts(shellVerdict(ctx, root, o, parent));
  return withDoubts(selfOrUnknownVerdict(ctx, root, o, parent));
}

/**
 * The verdict for links[0]. Containers first: a process in one either got its limit from the
 * runtime (origin is the container's first process) or inherited it from outside (origin is a
 * shim, a runtime daemon or init).
 */
export function classify(ctx: ExplainContext, root: string, links: ProcNode[]): Verdict {
  const oi = originIndex(links);
  const origin = links[oi];
  const parent = links[oi + 1] ?? null;
  // Only a cgroup no user could have made names a container (container-trust.ts): a user's
  // docker-<ID>.scope in its delegated subtree gets no "recreate the container" from root.
  const mine = nodeContainer(ctx.cache, root, links[0]);
  const container = mine.container;
  let v: Verdict;
  if (container) {
    const originInside = nodeContainer(ctx.cache, root, origin).container !== null;
    const parentInside = parent ? nodeContainer(ctx.cache, root, parent).container !== null : false;
    if (originInside && !parentInside) v = containerVerdict(ctx, root, links, container, origin, parent, null);
    else if (!originInside) v = containerVerdict(ctx, root, links, container, origin, parent, layerOf(ctx, root, links, oi));
    else v = layerOf(ctx, root, links, oi);
  } else v = layerOf(ctx, root, links, oi);
  return mine.doubts.length ? { ...v, notes: [...v.notes, ...mine.doubts.map((d) => `${links[0].name} (pid ${links[0].pid}): ${d}.`)] } : v;
}

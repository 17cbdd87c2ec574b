/**
 * The body shared by program-cap-reached and program-cap-near: a program (nginx, HAProxy, Redis, ...:
 * src/provenance/programs/) holding connections at or near a cap of its own. From outside it looks
 * like a healthy listener: the program simply stops taking more (HAProxy leaves them in the listen
 * queue, Redis answers an error, nginx closes them), far below any kernel limit. The finding names
 * the directive, where it is written, a value that fits under the fd limit, and how the program
 * reloads it; it links to the listener's queue findings and to the fd findings when the cap follows
 * from the fd limit.
 */
import type { CapSpec, ProgramInstance } from '../../provenance/programs/types.js';
import { tunablesOf } from '../../snapshot/namespaces.js';
import type { Listener, Snapshot } from '../../snapshot/types.js';
import { shellQuote } from '../../safety/shell-quote.js';
import { setInFile } from '../../provenance/config-edit.js';
import type { Finding, RuleOptions } from '../types.js';
import { fdFindingId, percent, queueFindingId, queueState } from './levels.js';
import { nsCommand } from './netns-fix.js';
import { inNetns, listenerLabel, listenerRef, processByPid, processRef, processSubject, uniqueRefs } from './refs.js';

export type ProgramCapId = 'program-cap-reached' | 'program-cap-near';

type MeasuredCap = ProgramInstance['caps'][number];

/** reached: it holds all it allows; near: at or above capWarning of it. */
export function capLevel(cap: MeasuredCap, options: RuleOptions): ProgramCapId | null {
  if (cap.value <= 0 || cap.held === null) return null;
  if (cap.held >= (cap.saturatesAt ?? cap.value)) return 'program-cap-reached';
  if (cap.held > 0 && cap.held >= options.capWarning * cap.value) return 'program-cap-near';
  return null;
}

/** The instance's listeners a cap covers. */
export function capListeners(snapshot: Snapshot, inst: ProgramInstance, cap: CapSpec): Listener[] {
  const ports = cap.ports && cap.ports.length ? new Set(cap.ports) : null;
  return snapshot.listeners.filter((l) => l.pids.some((p) => inst.pids.includes(p)) && (!ports || ports.has(l.port)));
}

/**
 * The program at its own cap behind listener `l`: the finding program-cap-reached raises for the
 * instance holding it, when that finding's cap covers this listener. For the queue's own findings to
 * link to it ("the queue is not drained because HAProxy is at maxconn").
 */
export function capBehind(snapshot: Snapshot, l: Listener, options: RuleOptions): { inst: ProgramInstance; cap: MeasuredCap; pid: number } | null {
  for (const inst of snapshot.programs ?? []) {
    if (!l.pids.some((p) => inst.pids.includes(p))) continue;
    const worst = worstCap(inst, options);
    if (!worst || capLevel(worst, options) !== 'program-cap-reached') return null;
    if (worst.ports && worst.ports.length && !worst.ports.includes(l.port)) return null;
    return { inst, cap: worst, pid: capPid(inst, worst) };
  }
  return null;
}

/** The cap an instance's finding is about: a reached one first (a frontend full before the global maxconn), else a near one. */
function worstCap(inst: ProgramInstance, options: RuleOptions): MeasuredCap | null {
  let worst: MeasuredCap | null = null;
  for (const cap of inst.caps) {
    const level = capLevel(cap, options);
    if (level === 'program-cap-reached' && (!worst || capLevel(worst, options) !== 'program-cap-reached')) worst = cap;
    else if (level === 'program-cap-near' && !worst) worst = cap;
  }
  return worst;
}

/** The pid a cap finding is about: the busiest worker for a per-process cap, else the instance's first process. */
export function capPid(inst: ProgramInstance, cap: MeasuredCap): number {
  return cap.scope === 'process' && cap.heldPid !== undefined ? cap.heldPid : inst.pid;
}

/**
 * The value a fix proposes: twice the cap, but within what the fd limit allows (fdCeiling) when
 * that is above the cap; when it is not, twice the cap and the fd limit must be raised with it.
 */
export function proposedCap(cap: CapSpec): { value: number; raiseFds: boolean } {
  const want = Math.max(cap.value * 2, cap.value + 16);
  const ceiling = cap.fdCeiling ?? null;
  if (ceiling === null || ceiling >= want) return { value: want, raiseFds: false };
  if (ceiling > cap.value) return { value: ceiling, raiseFds: false };
  return { value: want, raiseFds: true };
}

const ORIGIN_TEXT: Record<CapSpec['origin'], string> = {
  config: 'set in its configuration',
  flag: 'set on its command line',
  default: 'its default (not set in its configuration)',
  'fd-limit': 'derived from its fd limit',
};

function sourceSentence(inst: ProgramInstance, cap: MeasuredCap): string {
  const at = cap.file ? ` (${cap.file}${cap.line ? `:${cap.line}` : ''})` : '';
  const approx = cap.approximate ? 'about ' : '';
  if (cap.atMost) return `${inst.label}'s ${cap.directive} is at most ${cap.value}: ${cap.fromFdLimit?.how ?? 'its configuration was not read'}.`;
  if (cap.origin === 'fd-limit') return `${inst.label}'s ${cap.directive} is ${approx}${cap.value}, ${ORIGIN_TEXT[cap.origin]}${at}: ${cap.fromFdLimit?.how ?? ''}.`;
  const workers = cap.scope === 'process' && (cap.pids?.length ?? 0) > 1 ? ` It applies to each of its ${cap.pids!.length} workers alone: ${cap.value} × ${cap.pids!.length} = ${cap.value * cap.pids!.length} connections in all, but a busy worker refuses while others have room.` : '';
  return `${inst.label}'s ${cap.directive} is ${cap.value}, ${ORIGIN_TEXT[cap.origin]}${cap.origin === 'default' && cap.file ? ` ${cap.file}` : at}${cap.where ? `, in ${cap.where}` : ''}.${workers}`;
}

/** How to raise the fd limit a larger value needs, per program. */
function fdRaiseLines(snapshot: Snapshot, inst: ProgramInstance, value: number): string[] {
  if (inst.program === 'nginx') {
    // Workers set worker_rlimit_nofile as soft and hard while still root (ngx_worker_process_init):
    // never above fs.nr_open, and above the master's hard limit only with CAP_SYS_RESOURCE.
    const nrOpen = snapshot.tunables['fs.nr_open'];
    const want = nrOpen !== null ? Math.min(value * 2, nrOpen) : value * 2;
    const master = processByPid(snapshot, inst.pid);
    const hard = master?.fds.hard ?? null;
    return [
      `${setInFile(shellQuote(inst.files[0] ?? 'nginx.conf'), 'main context', `worker_rlimit_nofile ${want};`)}: each connection is a descriptor (two when proxied)`,
      ...(hard !== null && want > hard ? [`# above the master's hard limit ${hard}: the master (pid ${inst.pid}) needs CAP_SYS_RESOURCE for it (root has it unless a container or unit drops it); else raise the master's limit first: sockdoc limits ${inst.pid}`] : []),
    ];
  }
  const need = inst.program === 'redis' ? value + 32 : inst.program === 'haproxy' ? value * 2 + 64 : value + 64;
  return [`sockdoc limits ${inst.pid}   # raise its fd limit to at least ${need} where it is set (its unit's LimitNOFILE=, ...)`];
}

export function programCapFindings(id: ProgramCapId, snapshot: Snapshot, options: RuleOptions): Finding[] {
  const out: Finding[] = [];
  for (const inst of snapshot.programs ?? []) {
    // One finding per instance: its worst cap (a frontend full before the global maxconn is the story).
    const worst = worstCap(inst, options);
    if (worst && capLevel(worst, options) === id) out.push(capFinding(id, snapshot, inst, worst, options));
  }
  return out;
}

function capFinding(id: ProgramCapId, snapshot: Snapshot, inst: ProgramInstance, cap: MeasuredCap, options: RuleOptions): Finding {
  const pid = capPid(inst, cap);
  // capLevel fired, so the cap was measured.
  const held = cap.held as number;
  const p = processByPid(snapshot, pid);
  const who = `${inst.label} ${cap.scope === 'process' && pid !== inst.pid ? 'worker ' : ''}(pid ${pid})`;
  const ls = capListeners(snapshot, inst, cap);
  const first = ls[0];
  const where = first ? `${listenerLabel(first)}${inNetns(snapshot, first.netns)}` : `${inst.label}'s ports`;
  const reached = id === 'program-cap-reached';
  const value = `${cap.atMost ? 'at most ' : cap.approximate ? 'about ' : ''}${cap.value}`;
  const scopeWords = cap.scope === 'process' ? ' (per worker)' : cap.scope === 'listener' ? ` (on ${ls.map(listenerLabel).join(', ') || 'its ports'})` : '';
  // A process in a container or pod is named by it (two tenants may run the same haproxy); the
  // title that names the listener says the namespace there once.
  const whoIn = `${who}${p && p.netns !== null ? inNetns(snapshot, p.netns) : ''}`;
  let title: string;
  if (!reached) title = `${whoIn} is near its ${cap.directive} ${value}${scopeWords}: ${held} connections (${percent(held, cap.value)}%)`;
  else if (cap.atCap === 'queue' && cap.queued > 0) title = `${cap.queued} ${cap.queued === 1 ? 'client waits' : 'clients wait'} on ${where} because ${who} is at its ${cap.directive} ${value}`;
  else if (cap.atCap === 'queue') title = `${whoIn} is at its ${cap.directive} ${value}${scopeWords}: it holds ${held} connections and accepts no more`;
  else if (cap.atCap === 'refuse') title = `${whoIn} is at its ${cap.directive} ${value}: ${held} clients connected, new ones are refused`;
  else title = `${whoIn} is at its ${cap.directive} ${value}${scopeWords}: ${held} in use, new connections are closed`;

  const parts: string[] = [sourceSentence(inst, cap)];
  const counted = cap.counts === 'process-sockets'
    ? `${who} holds ${held - (cap.reserved ?? 0)} TCP sockets (its listeners and upstream connections count too)${cap.reserved ? ` plus ${cap.reserved} for the channel to its master` : ''}: ${held} of ${cap.value}.`
    : `${inst.label} (pid ${inst.pid}) holds ${held} accepted connections on ${ls.map(listenerLabel).join(', ') || 'its ports'}: ${percent(held, cap.value)}% of ${cap.value}.`;
  parts.push(counted);
  if (reached) {
    parts.push(`At its cap: ${cap.atCapText}.`);
    if (cap.atCap === 'queue') {
      const limits = ls.map((l) => l.backlog).filter((b): b is number => b !== null);
      parts.push(
        cap.queued > 0
          ? `${cap.queued} completed connections wait in the accept queue of ${where}${limits.length ? ` (backlog ${Math.min(...limits)})` : ''}: the kernel took them, the program does not accept them because it is at its own cap. Raising somaxconn or the backlog only lets more wait.`
          : 'Clients that connect now wait in the accept queue until a connection closes.',
      );
    }
  } else {
    parts.push(`At ${cap.value}: ${cap.atCapText}.`);
  }
  const related: string[] = [];
  for (const l of ls) {
    const q = queueFindingId(queueState(l, tunablesOf(snapshot, l.netns), options));
    if (q) related.push(listenerRef(q, l, snapshot));
  }
  if (cap.fromFdLimit && p) {
    const fdId = fdFindingId(p, options);
    parts.push(`The cap follows from the fd limit (soft ${cap.fromFdLimit.soft}): raising ${cap.directive} alone does not help unless the fd limit allows it.`);
    if (fdId) related.push(processRef(fdId, p.pid));
  }
  const proposal = proposedCap(cap);
  const fix: string[] = [];
  const port = first?.port;
  if (port !== undefined) fix.push(`${nsCommand(snapshot, first.netns, `ss -Htn state established '( sport = :${port} )' | wc -l`)}   # connections on :${port} now`);
  const at = cap.file ? `${shellQuote(cap.file)}${cap.line ? `:${cap.line}` : ''}` : shellQuote(inst.files[0] ?? 'its configuration');
  const directiveValue = Math.ceil(proposal.value / (cap.multiplier ?? 1));
  const setLine = cap.setLine.replace('{}', String(directiveValue));
  // A directive goes into a file, never onto the pasting shell's command line (config-edit.ts).
  if (cap.origin === 'flag' && !cap.file) fix.push(`# ${cap.where}: ${setLine}`);
  else fix.push(`${setInFile(at, cap.where || null, setLine)}${cap.origin !== 'config' ? ` (${ORIGIN_TEXT[cap.origin]} now: add it)` : ''}`);
  if (proposal.raiseFds) fix.push(...fdRaiseLines(snapshot, inst, proposal.value));
  else if (cap.fdCeiling != null) fix.push(`# ${proposal.value} fits under its fd limit (${cap.fdCeiling} connections at most without raising it)`);
  for (const line of inst.reload.lines) {
    const text = line.replace('{}', String(directiveValue));
    fix.push(inst.reload.viaListener && !text.startsWith('#') ? nsCommand(snapshot, first?.netns ?? null, text) : text);
  }
  if (inst.reload.blastRadius) fix.push(`# ${inst.reload.restart ? 'the restart' : 'this'} stops ${inst.reload.blastRadius}`);

  return {
    id,
    severity: reached ? 'critical' : 'warning',
    subject: p ? processSubject(p, snapshot) : { pid, name: inst.name },
    title,
    evidence: {
      program: inst.program,
      directive: cap.directive,
      cap: cap.value,
      held: held,
      heldPercent: percent(held, cap.value),
      scope: cap.scope,
      capOrigin: cap.origin,
      capFile: cap.file ?? null,
      capLine: cap.line ?? null,
      configured: cap.configured ?? null,
      fdSoft: cap.fromFdLimit?.soft ?? null,
      approximate: cap.approximate === true,
      atMost: cap.atMost === true,
      queued: cap.queued,
      atCap: cap.atCap,
      ports: [...new Set(ls.map((l) => l.port))].join(',') || null,
      proposed: proposal.value,
    },
    explain: parts.join(' '),
    fix,
    related: uniqueRefs(related),
  };
}

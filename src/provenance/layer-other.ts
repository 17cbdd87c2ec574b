/**
 * The remaining layers: containers, a program that raised its own limit, pid 1 itself, and
 * "unknown" with the reason.
 */
import type { ProcNode } from './chain.js';
import { readOptional } from './config-files.js';
import { memoRead, type ExplainContext, type Verdict } from './context.js';
import { detectContainer, ulimitFlag, type ContainerInfo } from './container.js';
import { proposedValue, systemdFix } from './fix.js';
import { isJava, isNginx, isSystemdManager, unitOf } from './kinds.js';
import { formatSH } from './rlimit.js';
import { shellQuote } from '../safety/shell-quote.js';

const who = (n: ProcNode) => `${n.name} (pid ${n.pid})`;

/**
 * A process in a container. `origin` holds the value; inside the container it is the container's
 * first process, set by the runtime (`--ulimit`, or the daemon's default-ulimits); outside it is a
 * shim or daemon whose limit the container inherited. `outer` explains that outside process, when known.
 */
export function containerVerdict(target: ProcNode, c: ContainerInfo, origin: ProcNode, parent: ProcNode | null, outer: Verdict | null): Verdict {
  const inside = detectContainer(origin.cgroupPaths) !== null;
  const sh = formatSH(origin.limit.soft, origin.limit.hard);
  const p = proposedValue(origin.limit);
  const name = `${c.runtime} container${c.id ? ` ${c.id.slice(0, 12)}` : ''}`;
  if (inside) {
    return {
      source: {
        layer: 'container',
        pid: origin.pid,
        setting: `--ulimit nofile=${origin.limit.soft}:${origin.limit.hard}`,
        value: sh,
        reason: `${who(target)} runs in the ${name}. Its limit ${sh} was set by the runtime when it created the container's first process ${who(origin)}${parent ? `, unlike its parent ${who(parent)} with ${formatSH(parent.limit.soft, parent.limit.hard)}` : ''}: a --ulimit option or the daemon's default-ulimits.`,
      },
      contradictions: [],
      fix: [...ulimitFlag(c.runtime, p.soft, p.hard), '# then recreate the container: limits are fixed when it starts'],
      notes: [],
    };
  }
  const daemon = outer?.source.unit;
  return {
    source: {
      layer: 'container',
      pid: outer?.source.pid ?? origin.pid,
      unit: daemon,
      file: outer?.source.file,
      setting: outer?.source.setting,
      value: sh,
      reason: `${who(target)} runs in the ${name} without a nofile limit of its own (no --ulimit), so it inherited ${sh} from the runtime outside the container${outer ? `: ${outer.source.reason}` : `, ${who(origin)}.`}`,
    },
    contradictions: outer?.contradictions ?? [],
    fix: [...ulimitFlag(c.runtime, p.soft, p.hard), ...(daemon ? ['# or for every container of this runtime:', ...systemdFix(daemon, p)] : [])],
    notes: outer?.notes ?? [],
  };
}

/** nginx's `worker_rlimit_nofile N;` from the configuration its master was started with. */
function nginxSetting(ctx: ExplainContext, root: string, node: ProcNode, master: ProcNode | null): { file: string; value: number } | null {
  const argv = master?.argv ?? node.argv;
  const i = argv.indexOf('-c');
  const file = i >= 0 && argv[i + 1] ? argv[i + 1] : '/etc/nginx/nginx.conf';
  const r = memoRead(ctx, `nginx:${file}`, () => readOptional(root, file));
  const m = r.ok && r.value ? /^\s*worker_rlimit_nofile\s+(\d+)\s*;/m.exec(r.value) : null;
  return m ? { file, value: Number(m[1]) } : null;
}

/**
 * A process whose limit differs from its parent's and that is no known launcher: it changed its own
 * (setrlimit) or someone ran prlimit on it. Known cases are named: nginx workers, Go ≥ 1.19 and
 * HotSpot raise soft to hard at start-up.
 */
export function selfOrUnknownVerdict(ctx: ExplainContext, root: string, node: ProcNode, parent: ProcNode): Verdict {
  const sh = formatSH(node.limit.soft, node.limit.hard);
  const psh = formatSH(parent.limit.soft, parent.limit.hard);
  const relief = { contradictions: [] as string[], notes: [] as string[] };
  if (isNginx(node)) {
    const n = nginxSetting(ctx, root, node, isNginx(parent) ? parent : null);
    if (n) {
      return {
        ...relief,
        source: { layer: 'self', pid: node.pid, file: n.file, setting: `worker_rlimit_nofile ${n.value}`, value: String(n.value), reason: `nginx sets its workers' limit itself: ${n.file} has worker_rlimit_nofile ${n.value} (${who(node)} has ${sh}, its master ${who(parent)} ${psh}).` },
        fix: [`# in ${shellQuote(n.file)}: worker_rlimit_nofile ${proposedValue(node.limit).soft};`, 'nginx -s reload   # new workers apply it; the master\'s hard limit is the ceiling'],
      };
    }
  }
  const softToHard = node.limit.soft !== null && node.limit.soft === node.limit.hard && node.limit.hard === parent.limit.hard && parent.limit.soft !== null && parent.limit.hard !== null && parent.limit.soft < parent.limit.hard;
  if (softToHard) {
    const what = isJava(node) ? 'the JVM raises its soft limit to the hard limit at start-up (-XX:+MaxFDLimit, on by default)' : 'it raised its soft limit to the hard limit at start-up, as Go ≥ 1.19 programs do (os package) and some servers do';
    return {
      ...relief,
      source: { layer: 'self', pid: node.pid, setting: 'setrlimit(RLIMIT_NOFILE) at start-up', value: sh, reason: `${who(node)} has ${sh} while its parent ${who(parent)} has ${psh}: ${what}. Its hard limit ${node.limit.hard} is the ceiling, inherited from ${who(parent)}.` },
      fix: ['# raise the hard limit where the parent gets it (see the parent\'s layer: sockdoc limits ' + parent.pid + '), then restart the program'],
    };
  }
  let reason: string;
  if (isSystemdManager(parent)) {
    // systemd starts nothing outside a unit: a child of it in a session scope or no unit was reparented.
    reason = `${who(node)} has ${sh} while its parent ${who(parent)} has ${psh}, but ${who(parent)} did not start it: the process that did has exited (${node.name} daemonized, or its shell is gone), and it was reparented. Its limit came from that launcher (a shell's ulimit, a login session) or from the program itself; find how ${node.name} is started.`;
  } else if (parent.pid === 1) {
    reason = `${who(node)} has ${sh} while pid 1, ${who(parent)}, has ${psh}. pid 1 here is not systemd, so sockdoc cannot read what it applies: it started ${node.name} with this limit, or ${node.name} was reparented to it after its launcher exited, or it changed its own limit.`;
  } else {
    reason = `${who(node)} has ${sh} while its parent ${who(parent)} has ${psh}, and it is not a shell, a supervisor, a login program or a container runtime: it changed its own limit with setrlimit(), or someone ran prlimit on it.`;
  }
  return { ...relief, source: { layer: 'unknown', pid: node.pid, reason }, fix: [] };
}

/** The limit is pid 1's own (or the top of the visible chain's) and nothing below changed it. */
export function initVerdict(top: ProcNode): Verdict {
  const sh = formatSH(top.limit.soft, top.limit.hard);
  if (isSystemdManager(top)) {
    return {
      source: { layer: 'systemd', pid: top.pid, value: sh, reason: `systemd (pid ${top.pid}) holds ${sh} itself (it raises its own limit at boot) and nothing below it changed it.` },
      contradictions: [],
      fix: [],
      notes: [],
    };
  }
  const u = unitOf(top.cgroup);
  return {
    source: {
      layer: 'unknown',
      pid: top.pid,
      value: sh,
      reason: `${who(top)} is the top of the chain${top.pid === 1 ? ' (this system\'s init, not systemd)' : ''} and holds ${sh}; no process between it and this one changed it. ${top.pid === 1 ? 'pid 1 starts with the kernel\'s 1024:4096 (INR_OPEN_CUR/INR_OPEN_MAX) unless it, or the boot environment, sets another.' : 'Its own parent is outside this pid namespace.'}${u ? ` Its cgroup is ${u.unit}.` : ''}`,
    },
    contradictions: [],
    fix: [],
    notes: [],
  };
}

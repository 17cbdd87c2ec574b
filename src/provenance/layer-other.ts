/**
 * The remaining layers: containers, a program that raised its own limit, pid 1 itself, and
 * "unknown" with the reason.
 */
import type { ProcNode } from './chain.js';
import { memoRead, type ExplainContext, type Verdict } from './context.js';
import { isRuntimeProcess, ulimitFlag, type ContainerInfo } from './container.js';
import { nodeContainer } from './container-trust.js';
import { proposedValue, systemdFix, type FixStep, type Pair } from './fix.js';
import { capAt, type Ceiling } from './fix-runner.js';
import { canRaiseHard } from './host-facts.js';
import { shellCommand } from '../safety/shell-quote.js';
import { isSystemdManager, unitOf } from './kinds.js';
import { containerUlimit } from './launchers/docker-config.js';
import { daemonDefaultVerdict, dockerDefault, type DaemonDefault } from './launchers/docker-default.js';
import { dockerdFor } from './launchers/dockerd.js';
import { containerdShim } from './launchers/containerd-shim.js';
import { unitExpectation } from './layer-systemd.js';
import { formatSH } from './rlimit.js';
import { containerOf, nameNetns } from '../snapshot/netns-names.js';
import type { PodRef } from '../snapshot/types.js';
import { namingProcesses } from '../snapshot/netns-plan.js';
import { listPids } from '../probe/pids.js';

const who = (n: ProcNode) => `${n.name} (pid ${n.pid})`;

/**
 * The name of the container or pod `pid` runs in, read as the snapshot names namespaces (its cgroup,
 * docker's config.v2.json under dockerd's --data-root, the kubelet's log tree); null when unknown.
 */
function containerName(ctx: ExplainContext, root: string, pid: number): string | null {
  const naming = memoRead(ctx, 'naming', () => ({ root, processes: namingProcesses(root, listPids(root)), named: new Map<number, string[]>() }));
  return naming.ok ? containerOf(naming.value, pid) : null;
}

/** The Kubernetes pod `pid` runs in (the kubelet's log tree names it), or null when none is known. */
function podOf(ctx: ExplainContext, root: string, pid: number): PodRef | null {
  const naming = memoRead(ctx, 'naming', () => ({ root, processes: namingProcesses(root, listPids(root)), named: new Map<number, string[]>() }));
  return naming.ok ? (nameNetns(naming.value, 0, [pid], false).pod ?? null) : null;
}

/**
 * How the container is made again so the runtime sets its limits anew. A pod's containers are the
 * kubelet's: recreating one by hand (docker/nerdctl) is undone by the kubelet, so the pod is
 * deleted and its controller makes a new one (a bare pod is not made again: say so).
 */
function recreateStep(c: ContainerInfo, pod: PodRef | null): FixStep {
  if (c.runtime === 'kubernetes' || c.runtime === 'cri-o') {
    const which = pod ? `pod ${pod.namespace}/${pod.name}` : 'the pod';
    return {
      kind: 'restart',
      title: `Recreate ${which}: limits are set when its containers start, and the kubelet owns them, so delete the pod and let its controller (Deployment, StatefulSet, DaemonSet) make a new one — or \`kubectl rollout restart\` that controller for a rolling restart.`,
      lines: pod ? [shellCommand(['kubectl', '-n', pod.namespace, 'delete', 'pod', pod.name])] : [],
      blastRadius: `stops every container of ${which}; its replacement may be scheduled on another node; a pod no controller owns is not made again (\`kubectl get pod -o jsonpath='{.metadata.ownerReferences}'\` shows its owner)`,
    };
  }
  return { kind: 'restart', title: 'Recreate the container: limits are fixed when it starts.', lines: [], blastRadius: 'stops the container while it is recreated' };
}

/**
 * The ceiling of whatever applies a container's limit: runc sets the container process's rlimits
 * under the shim that runs it (a new container gets a new shim, started by containerd: the same
 * hard limit), and above that hard limit setrlimit needs CAP_SYS_RESOURCE, or the container fails
 * to start ("error setting rlimit type 7: operation not permitted"). The shim is the container's
 * first process's parent; without one in view the ceiling is unknown.
 */
export function runtimeCeiling(ctx: ExplainContext, root: string, shim: ProcNode | null): Ceiling | null {
  if (!shim || !isRuntimeProcess(shim.name)) return null;
  const unit = unitOf(shim.cgroup);
  const where = unit && unit.unit.endsWith('.service') ? `LimitNOFILE= of ${unit.unit} (the runtime's unit: the shim and runc inherit containerd's limit), then restart it` : `the hard limit of what starts the runtime (${who(shim)} inherits it from containerd, and containerd from dockerd or its unit)`;
  return { hard: shim.limit.hard, canRaise: canRaiseHard(ctx, root, shim.pid), who: `the runtime's shim ${who(shim)}, under which runc sets the container's limits`, raiseFirst: where };
}

/**
 * The container-level fix: its own --ulimit (compose ulimits:, LXC's lxc.prlimit), recreated; the
 * value capped at the runtime's ceiling, with what to raise first to go higher.
 */
function ulimitSteps(c: ContainerInfo, value: Pair, ceiling: Ceiling | null, current: number | null, pod: PodRef | null): FixStep[] {
  const capped = ceiling ? capAt(value, ceiling, current) : { value };
  const { soft, hard } = capped.value;
  const why = capped.higher && ceiling ? `, the most it can start with: ${ceiling.who}, holds a hard limit of ${ceiling.hard} and lacks CAP_SYS_RESOURCE, so more would fail to start the container ("error setting rlimit … operation not permitted")` : '';
  const durable: FixStep = { kind: 'durable', title: `Give the container its own limit (${soft}:${hard})${why}.`, lines: ulimitFlag(c.runtime, soft, hard) };
  if (capped.higher) durable.higher = capped.higher;
  if (capped.needs) durable.needs = capped.needs;
  return [durable, recreateStep(c, pod)];
}

/** A container started by a shim without a limit of its own: did it get the shim's unit's configuration? */
function inheritedThroughShim(ctx: ExplainContext, root: string, links: readonly ProcNode[], origin: ProcNode, shim: ProcNode): { unit: string; how: string; setting: string; file?: string } | null {
  if (!containerdShim.is(shim)) return null;
  const u = unitOf(shim.cgroup);
  const manager = links.find((l) => isSystemdManager(l) && l.pid === 1);
  if (!u || !manager) return null;
  const e = unitExpectation(ctx, root, u.unit, origin, manager);
  if ('error' in e || !e.matches) return null;
  const l = e.config.limit;
  const how = l.origin === 'built-in' ? e.scope.builtin.describe : `${l.setting} (${l.file}:${l.line})`;
  return { unit: u.unit, how, setting: l.setting, file: l.file ?? undefined };
}

/**
 * A process in a container. `origin` holds the value; inside the container it is the container's
 * first process, set by the runtime (`--ulimit`, the daemon's default-ulimits) or restored by the
 * shim from the runtime's unit; outside it is a shim or daemon whose limit the container inherited.
 * `outer` explains that outside process, when known.
 */
export function containerVerdict(ctx: ExplainContext, root: string, links: readonly ProcNode[], c: ContainerInfo, origin: ProcNode, parent: ProcNode | null, outer: Verdict | null): Verdict {
  const target = links[0];
  const inside = nodeContainer(ctx.cache, root, origin).container !== null;
  const sh = formatSH(origin.limit.soft, origin.limit.hard);
  const p = proposedValue(origin.limit);
  // The shim that ran this container: inside, the first process's parent; outside, the origin itself or a link below it.
  const shim = inside ? parent : (links.find((l) => isRuntimeProcess(l.name) && /^containerd-shim|^conmon|^runc|^crun/.test(l.name)) ?? null);
  const ceiling = runtimeCeiling(ctx, root, shim);
  const steps = () => ulimitSteps(c, p, ceiling, origin.limit.soft, podOf(ctx, root, target.pid));
  // As every other report names it: "docker container web (4dacd5c37193)", "pod shop/web-7d9f (container web)".
  const name = containerName(ctx, root, target.pid) ?? `${c.runtime} container${c.id ? ` ${c.id.slice(0, 12)}` : ''}`;
  if (inside) {
    const daemon = c.runtime === 'docker' ? dockerdFor(ctx, root, c.id) : null;
    const own = c.runtime === 'docker' ? containerUlimit(ctx, root, c.id, daemon?.dataRoot) : undefined;
    let dflt: DaemonDefault | null = null;
    try {
      dflt = c.runtime === 'docker' ? dockerDefault(ctx, root, daemon) : null;
    } catch (err) {
      return { source: { layer: 'container', pid: origin.pid, value: sh, reason: `${who(target)} runs in the ${name}, which started with ${sh}; ${(err as Error).message}.` }, contradictions: [], fix: steps(), notes: [] };
    }
    if (own) {
      return {
        source: { layer: 'container', pid: origin.pid, file: own.file, setting: `--ulimit nofile=${own.soft}:${own.hard}`, value: sh, reason: `${who(target)} runs in the ${name}, created with --ulimit nofile=${own.soft}:${own.hard} (${own.file}); the runtime set it on the container's first process ${who(origin)}.` },
        contradictions: [],
        fix: steps(),
        notes: [],
      };
    }
    const matches = dflt !== null && dflt.soft === origin.limit.soft && dflt.hard === origin.limit.hard;
    // Without hostconfig.json (own undefined) a default is named only when the values agree.
    // The daemon's default reaches runc the same way as --ulimit: capped at the runtime's ceiling.
    if (dflt && (own !== undefined || matches)) {
      const capped = ceiling ? capAt(p, ceiling, origin.limit.soft) : { value: p };
      const v = daemonDefaultVerdict(target, origin, name, sh, dflt, matches, capped.value);
      return { ...v, fix: v.fix.map((st) => (st.kind === 'durable' ? { ...st, ...(capped.higher ? { higher: capped.higher } : {}), ...(capped.needs ? { needs: capped.needs } : {}) } : st)) };
    }
    const shimmed = parent ? inheritedThroughShim(ctx, root, links, origin, parent) : null;
    if (shimmed && parent) {
      return {
        source: { layer: 'container', launcher: 'containerd-shim', pid: origin.pid, unit: shimmed.unit, file: shimmed.file, setting: shimmed.setting, value: sh, reason: `${who(target)} runs in the ${name}, which has no --ulimit${c.runtime === 'docker' ? ' and no default-ulimits' : ''}, so it started with what ${shimmed.unit} gives: ${shimmed.how}. Its shim ${who(parent)} shows ${formatSH(parent.limit.soft, parent.limit.hard)} because Go raises its own soft limit, but restores the one it started with for the container (Go ≥ 1.19).` },
        contradictions: [],
        fix: [
          ...steps().slice(0, 1),
          ...systemdFix(shimmed.unit, p).map((s) => (s.kind === 'restart' ? { ...s, title: `${s.title} New containers get it; recreate this one.`, blastRadius: `restarts ${shimmed.unit}; with KillMode=process running containers keep running, new ones get the new limit` } : { ...s, title: `Or for every new container: ${s.title}` })),
        ],
        notes: [],
      };
    }
    return {
      source: {
        layer: 'container',
        pid: origin.pid,
        setting: `--ulimit nofile=${origin.limit.soft}:${origin.limit.hard}`,
        value: sh,
        reason: `${who(target)} runs in the ${name}. Its limit ${sh} was set by the runtime when it created the container's first process ${who(origin)}${parent ? `, unlike its parent ${who(parent)} with ${formatSH(parent.limit.soft, parent.limit.hard)}` : ''}: a --ulimit option or the daemon's default-ulimits.`,
      },
      contradictions: [],
      fix: steps(),
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
    fix: [...steps().slice(0, 1), ...(daemon ? systemdFix(daemon, p).map((s) => (s.kind === 'durable' ? { ...s, title: `Or for every container of this runtime: ${s.title}` } : s)) : [])],
    notes: outer?.notes ?? [],
  };
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
  void ctx;
  void root;
  const softToHard = node.limit.soft !== null && node.limit.soft === node.limit.hard && node.limit.hard === parent.limit.hard && parent.limit.soft !== null && parent.limit.hard !== null && parent.limit.soft < parent.limit.hard;
  if (softToHard) {
    return {
      ...relief,
      source: { layer: 'self', pid: node.pid, setting: 'setrlimit(RLIMIT_NOFILE) at start-up', value: sh, reason: `${who(node)} has ${sh} while its parent ${who(parent)} has ${psh}: it raised its soft limit to the hard limit at start-up, as Go ≥ 1.19 programs and Node.js do. Its hard limit ${node.limit.hard} is the ceiling, inherited from ${who(parent)}.` },
      fix: [{ kind: 'durable', title: `Raise the hard limit where ${who(parent)} gets it (see \`sockdoc limits ${parent.pid}\`), then restart the program.`, lines: [] }],
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

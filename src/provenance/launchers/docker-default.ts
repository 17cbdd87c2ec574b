/**
 * The default nofile limit dockerd gives a container created without --ulimit, from whichever
 * layer set it: daemon.json "default-ulimits", or `--default-ulimit` on dockerd's command line
 * (the unit's ExecStart=, a drop-in, or an environment file it expands). Only one can be set
 * (dockerd refuses to start when a directive is both a flag and in daemon.json), so the layer
 * named is the one that was set, and the fix edits that layer.
 */
import type { ProcNode } from '../chain.js';
import type { ExplainContext, Verdict } from '../context.js';
import type { FixStep, Pair } from '../fix.js';
import { shellCommand, shellQuote } from '../../safety/shell-quote.js';
import { daemonDefaultUlimit } from './docker-config.js';
import { flagDefaultUlimit, type Dockerd, type FlagUlimit } from './dockerd.js';

export type DaemonDefault =
  | { kind: 'json'; soft: number; hard: number; file: string }
  | ({ kind: 'flag'; daemonPid: number | null } & FlagUlimit & { stale?: FlagUlimit | null });

/**
 * What applies to a new container of `daemon` (or, with no dockerd seen, what the host's
 * docker.service and daemon.json would give). Throws on a malformed daemon.json or unit.
 */
export function dockerDefault(ctx: ExplainContext, root: string, daemon: Dockerd | null): DaemonDefault | null {
  const flag = flagDefaultUlimit(ctx, root, daemon);
  if (flag) return { kind: 'flag', daemonPid: daemon?.pid ?? null, ...flag };
  const json = daemonDefaultUlimit(ctx, root, daemon?.configFile);
  return json ? { kind: 'json', ...json } : null;
}

const who = (n: ProcNode) => `${n.name} (pid ${n.pid})`;

/** Where a flag was written, in words: "ExecStart= of docker.service (FILE:LINE)", "OPTIONS in FILE:LINE". */
function flagWhere(d: Extract<DaemonDefault, { kind: 'flag' }>): string {
  if (d.file === null) return `on dockerd's command line${d.daemonPid !== null ? ` (pid ${d.daemonPid})` : ''}, and no unit or environment file sockdoc read writes it`;
  const at = `${d.file}:${d.line}`;
  if (d.variable) return `in ${d.variable} of ${at}${d.unit ? `, which ${d.unit} reads (EnvironmentFile=) and expands in its ExecStart=` : ', which the init script passes to dockerd'}`;
  return `in ExecStart= of ${d.unit ?? 'the unit'} (${at})`;
}

/** The durable change at the layer that set it. */
function durableStep(d: DaemonDefault, p: Pair): FixStep {
  const value = `nofile=${p.soft}:${p.hard}`;
  if (d.kind === 'json') {
    return { kind: 'durable', title: 'Raise default-ulimits for every new container.', lines: [`# in ${shellQuote(d.file)}: "default-ulimits": { "nofile": { "Name": "nofile", "Soft": ${p.soft}, "Hard": ${p.hard} } }`] };
  }
  if (d.file === null) {
    return { kind: 'durable', title: 'Change --default-ulimit where dockerd is started.', lines: [`# dockerd ... --default-ulimit ${value}   # find what starts it: sockdoc limits ${d.daemonPid ?? 'DOCKERD_PID'}`] };
  }
  if (d.variable) {
    return { kind: 'durable', title: `Change --default-ulimit in ${d.variable}, where it is written.`, lines: [`# in ${shellQuote(d.file)}:${d.line}, ${d.variable}=: --default-ulimit ${value}`] };
  }
  // A packaged unit file is replaced on upgrade: a drop-in that clears and re-sets ExecStart= survives.
  const packaged = d.file.startsWith('/lib/') || d.file.startsWith('/usr/');
  return {
    kind: 'durable',
    title: `Change --default-ulimit in ExecStart= of ${d.unit ?? 'the unit'}.`,
    lines: packaged
      ? [`${shellCommand(['systemctl', 'edit', d.unit ?? 'docker.service'])}   # [Service], an empty ExecStart= line, then the same ExecStart= with --default-ulimit ${value}`]
      : [`# in ${shellQuote(d.file)}:${d.line}: the ExecStart= line, --default-ulimit ${value}`],
  };
}

/** A unit file edited by hand needs daemon-reload first; an environment file is read at each start. */
function restartLines(d: DaemonDefault, unit: string): string[] {
  if (d.kind === 'flag' && d.unit === null) return ['# restart dockerd the way it is started (no systemd unit runs it)'];
  const edited = d.kind === 'flag' && d.file !== null && !d.variable && !(d.file.startsWith('/lib/') || d.file.startsWith('/usr/'));
  return [`${edited ? `${shellCommand(['systemctl', 'daemon-reload'])} && ` : ''}${shellCommand(['systemctl', 'restart', unit])}`];
}

/** The verdict for a container that got its daemon's default (issue 22: the layer named is the one that was set). */
export function daemonDefaultVerdict(target: ProcNode, origin: ProcNode, name: string, sh: string, d: DaemonDefault, matches: boolean, p: Pair): Verdict {
  const value = `nofile ${d.soft}:${d.hard}`;
  const unit = d.kind === 'flag' && d.unit ? d.unit : 'docker.service';
  const contradictions: string[] = [];
  if (!matches) contradictions.push(`${d.kind === 'json' ? d.file : 'dockerd'} now gives ${value}, but the container runs with ${sh}: the daemon's default changed after the container was created; only new containers get it.`);
  if (d.kind === 'flag' && d.stale) contradictions.push(`${d.stale.unit} now starts dockerd with ${d.stale.setting} (${d.stale.file}:${d.stale.line}), not the ${d.setting} it runs with: restart dockerd to apply it.`);
  const how = d.kind === 'json' ? `the default-ulimits of ${d.file} (${value})` : `its ${d.setting}`;
  const written = d.kind === 'flag' ? ` That flag is written ${flagWhere(d)}.` : '';
  return {
    source: {
      layer: 'container',
      launcher: 'dockerd',
      pid: origin.pid,
      ...(d.kind === 'flag' && d.unit ? { unit: d.unit } : {}),
      ...(d.file ? { file: d.file } : {}),
      setting: d.kind === 'json' ? `default-ulimits nofile ${d.soft}:${d.hard}` : d.setting,
      value: sh,
      reason: `${who(target)} runs in the ${name}, created without --ulimit, so dockerd applied ${how} to its first process ${who(origin)}.${written}`,
    },
    contradictions,
    fix: [
      durableStep(d, p),
      {
        kind: 'restart',
        title: `Restart dockerd so it reads ${d.kind === 'json' ? 'daemon.json' : 'its new command line'}, then recreate the container.`,
        lines: restartLines(d, unit),
        blastRadius: 'stops every container on this host unless daemon.json has "live-restore": true; the container is then recreated',
      },
    ],
    notes: [],
  };
}


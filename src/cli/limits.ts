/** `sockdoc limits [PID|NAME ...]`: where each process's open-files limit came from, and the fix. */
import { terminalSafe } from '../safety/terminal.js';
import { buildSnapshot } from '../snapshot/build.js';
import { listPids } from '../probe/pids.js';
import { readPidStat } from '../probe/pid-stat.js';
import { describeError, outcomeOf } from '../probe/read-file.js';
import { explainLimits } from '../provenance/explain.js';
import type { LimitOrigin } from '../provenance/types.js';
import { limitOriginToJson, renderLimitOrigins } from '../render/limits.js';
import { fdComposition, leakFixLines } from '../rules/support/fd-kinds.js';
import type { Snapshot } from '../snapshot/types.js';
import { parse, processId } from './args.js';
import { checkRoot, NETNS_OPTIONS, netnsQuery, scopedSnapshot } from './scope.js';
import { hasNetnsQuery, type NetnsQuery } from '../snapshot/select-netns.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import { EXIT, UsageError, useColor, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc limits [PID|NAME ...] [--container NAME | --pod NS/NAME | --netns NAME] [--json] [--root DIR]

Explain where a process's open-files limit (RLIMIT_NOFILE) came from: the chain of parents up to
pid 1, the layer that set it (systemd unit, supervisord minfds, pam_limits, a shell's ulimit, a
container runtime, the program itself), what contradicts it, and the fix at that layer.

With no PID or NAME: every process listening on TCP, and every process using at least half of its
soft limit. NAME matches the process name (comm, as ps -o comm shows it). A process in a container
or pod is named by it ("runs in the docker container web (4dacd5c37193)").

Options:
  --container NAME, --pod NS/NAME, --netns NAME|INODE|PID
                only the processes of that container, pod or network namespace (NAME and the
                default selection are matched there; a PID elsewhere is refused)
  --json        an array: {pid, name, soft, hard, chain, source, contradictions, fix, notes}
  --root DIR    read DIR/proc and DIR/etc (a captured host or fixture) instead of /
  --no-color    no colour (also NO_COLOR=1, or when stdout is not a terminal)
  -h, --help    this help
`;

/** The probes of the process scan (probe/processes.ts), whose problems limits reports. */
const PROCESS_PROBES = new Set(['pids', 'passwd', 'pid-stat', 'pid-limits', 'pid-fd']);

/** Share of the soft limit in use above which a process is worth explaining unasked. */
const BUSY_RATIO = 0.5;

/**
 * The pids to explain: the given pids and names, or (none given) listeners and busy processes.
 * Names that match nothing, and pids that do not exist, are usage errors: the user asked for them.
 */
export async function selectPids(root: string, targets: string[], query: NetnsQuery = {}): Promise<{ pids: number[]; notes: string[]; snapshot: Snapshot | null }> {
  const wanted = targets.filter((t) => !/^\d+$/.test(t));
  const pids = new Set(targets.filter((t) => /^\d+$/.test(t)).map(Number));
  const notes: string[] = [];
  // --container/--pod/--netns: that namespace alone is read, and only its processes are candidates.
  const scoped = hasNetnsQuery(query) ? await scopedSnapshot({ root, intervalMs: 0 }, query) : null;
  let snapshot: Snapshot | null = scoped; // read again below only when no process is named
  if (scoped) {
    const inside = new Set(scoped.processes.map((p) => p.pid));
    const where = netnsLabel(scoped.namespaces[0]);
    for (const pid of pids) if (!inside.has(pid)) throw new UsageError(`process ${pid} is not in ${where}`);
  }
  if (wanted.length) {
    const names = scoped ? new Map(scoped.processes.map((p) => [p.pid, p.name])) : commByPid(root, notes);
    for (const name of wanted) {
      const hits = [...names].filter(([, comm]) => comm === name);
      if (!hits.length) throw new UsageError(`no process named '${name}'${scoped ? ` in ${netnsLabel(scoped.namespaces[0])}` : ''} (names are matched against comm, e.g. 'supervisord', 'nginx')`);
      for (const [pid] of hits) pids.add(pid);
    }
  }
  if (!targets.length) {
    // The same read a diagnosis makes: listeners of every network namespace (a container's too),
    // with their owners, and every process's fd use.
    snapshot = scoped ?? (await buildSnapshot({ root, intervalMs: 0 }));
    // Only what the process scan could not see matters here (the diagnosis' other notes do not).
    for (const r of snapshot.probes) if (PROCESS_PROBES.has(r.probe) && r.status !== 'ok' && r.status !== 'absent' && r.detail) notes.push(`${r.detail[0].toUpperCase()}${r.detail.slice(1)}.`);
    for (const l of snapshot.listeners) for (const pid of l.pids) pids.add(pid);
    for (const p of snapshot.processes) if (p.fds.open !== null && p.fds.soft && p.fds.open / p.fds.soft >= BUSY_RATIO) pids.add(p.pid);
  }
  // sockdoc itself (a node process, often busy with fds while it scans) is never a suspect.
  if (root === '/') {
    pids.delete(process.pid);
    if (wanted.length && pids.size === 0) throw new UsageError(`no process named '${wanted.join("', '")}' other than sockdoc itself`);
  }
  return { pids: [...pids].sort((a, b) => a - b), notes, snapshot };
}

/** What each explained process's fds are now: a leak, load, or unclear (rules/support/fd-kinds.ts). */
function withUsage(list: LimitOrigin[], snapshot: Snapshot): void {
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  for (const o of list) {
    const p = byPid.get(o.pid);
    const c = p ? fdComposition(p) : null;
    if (!p || !c) continue;
    o.usage = { open: p.fds.open, kinds: c.top.map((k) => [k.kind, k.count]), verdict: c.verdict, sentence: c.culprits.length ? c.sentence : '', leakFix: c.verdict === 'leak' ? leakFixLines(p, c) : [] };
  }
}

/** pid -> comm of every process. One that exits meanwhile is skipped; an unreadable one is told once. */
function commByPid(root: string, notes: string[]): Map<number, string> {
  const out = new Map<number, string>();
  let failed = 0;
  let first = '';
  for (const pid of listPids(root)) {
    try {
      out.set(pid, readPidStat(root, pid).name);
    } catch (err) {
      if (outcomeOf(err) === 'absent') continue;
      if (failed++ === 0) first = describeError(err);
    }
  }
  if (failed) notes.push(`${failed} process${failed === 1 ? '' : 'es'} could not be matched by name (first: ${first}).`);
  return out;
}

export const run: Command = async (args: string[], io: Io) => {
  const { values, positionals: rawPositionals } = parse(
    args,
    {
      json: { type: 'boolean' },
      root: { type: 'string' },
      ...NETNS_OPTIONS,
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  const positionals = rawPositionals as string[];
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  for (const p of positionals) {
    if (/^\d+$/.test(p) && Number(p) < 1) throw new UsageError(`'${p}' is not a process id`);
    if (p === '') throw new UsageError('an empty process name');
  }
  const root = checkRoot(values.root);
  // Thread ids (top -H) name their process, as in every other command.
  const targets = positionals.map((p) => (/^\d+$/.test(p) ? String(processId(root, Number(p), io, null)) : p));
  const { pids, notes, snapshot } = await selectPids(root, targets, netnsQuery(values));
  const found = explainLimits(root, pids);
  for (const pid of pids) if (!found.has(pid) && targets.includes(String(pid))) throw new UsageError(`no process ${pid}`);
  const list: LimitOrigin[] = pids.flatMap((p) => found.get(p) ?? []);
  // What the fds are: the same read as a diagnosis, of these processes only.
  if (list.length) withUsage(list, snapshot ?? (await buildSnapshot({ root, intervalMs: 0, pids: list.map((o) => o.pid) })));
  if (values.json) io.stdout(JSON.stringify(list.map((o) => ({ ...limitOriginToJson(o), ...(o.usage ? { fds: o.usage } : {}) })), null, 2) + '\n');
  else io.stdout(renderLimitOrigins(list, { color: useColor(io) && !values['no-color'], columns: io.columns }));
  for (const n of notes) io.stderr(`sockdoc: note: ${terminalSafe(n)}\n`);
  return EXIT.ok;
};

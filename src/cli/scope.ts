/**
 * What every command that reads the host shares before it judges anything: --root checked,
 * --netns/--container/--pod parsed and resolved, the snapshot read narrowed to them. Apart from
 * diagnose.ts so a command that runs no rule (`sockets`, `limits`) loads the snapshot's modules
 * only, not the rules, provenance and renderers (half of `sockets`' module graph).
 */
import { existsSync, statSync } from 'node:fs';
import { buildSnapshot, type SnapshotOptions } from '../snapshot/build.js';
import { NetnsScopeError, type NetnsScope } from '../snapshot/netns-plan.js';
import type { Snapshot } from '../snapshot/types.js';
import { hasNetnsQuery, matchNetns, restrictToNetns, type NetnsQuery } from '../snapshot/select-netns.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import { socketCount } from '../snapshot/socket-table.js';
import { UsageError } from './io.js';

/** --netns/--container/--pod, on every command that narrows to one network namespace (selectNetns). */
export const NETNS_OPTIONS = {
  netns: { type: 'string' },
  container: { type: 'string' },
  pod: { type: 'string' },
} as const;

/** Checks --root names a directory; one-line error otherwise. */
export function checkRoot(root: string | undefined): string {
  if (root === undefined) return '/';
  if (!existsSync(root)) throw new UsageError(`--root ${root}: no such directory`);
  if (!statSync(root).isDirectory()) throw new UsageError(`--root ${root}: not a directory`);
  return root;
}

/**
 * --netns/--container/--pod as given, checked before anything is read: an empty value, or a --pod
 * that is not NAMESPACE/NAME (kubectl's form: a pod's name is unique only in its namespace), is a
 * usage error naming the expected form, never a silent "no such pod".
 */
export function netnsQuery(values: { netns?: unknown; container?: unknown; pod?: unknown }): NetnsQuery {
  const q: NetnsQuery = { netns: values.netns as string | undefined, container: values.container as string | undefined, pod: values.pod as string | undefined };
  for (const [flag, v] of [['--netns', q.netns], ['--container', q.container], ['--pod', q.pod]] as const) {
    if (v !== undefined && v.trim() === '') throw new UsageError(`${flag} needs a value`);
  }
  if (q.pod !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(q.pod)) {
    throw new UsageError(`--pod ${JSON.stringify(q.pod)}: give NAMESPACE/NAME, as kubectl names a pod (--pod default/web-6b8d0f2a4-k3m5p; --netns NAME takes a pod's name alone)`);
  }
  return q;
}

/**
 * The snapshot narrowed to --netns/--container/--pod, for every command that takes them. A miss or
 * an ambiguous name is a one-line usage error naming what exists. A namespace whose sockets could
 * not be read at all (not root: no setns, none of its processes visible) is refused too: a
 * diagnosis of it would say "no problems" about what sockdoc did not see.
 */
export function selectNetns(snapshot: Snapshot, query: NetnsQuery): Snapshot {
  if (!hasNetnsQuery(query)) return snapshot;
  let hits;
  try {
    hits = matchNetns(snapshot, query);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const unread = hits.filter((n) => n.socketSource === null);
  if (unread.length === hits.length) {
    const why = snapshot.host.asRoot
      ? 'it could not be entered'
      : 'not root: entering a network namespace needs CAP_SYS_ADMIN, and none of its processes are visible to this user';
    throw new UsageError(`${netnsLabel(unread[0])}: its sockets could not be read (${why}); nothing to judge`, false);
  }
  return restrictToNetns(snapshot, hits);
}

/**
 * buildSnapshot narrowed to --netns/--container/--pod (or --pid's namespace) from the start: the
 * namespace is resolved by name before any socket is read, then only it, its processes and the
 * host-wide facts are read (snapshot/netns-plan.ts), so the cost follows what is asked, not the
 * host. A miss or an ambiguous name is a one-line usage error, as selectNetns gives.
 */
export async function scopedSnapshot(opts: SnapshotOptions, query: NetnsQuery, pid?: number): Promise<Snapshot> {
  const scope: NetnsScope | undefined = hasNetnsQuery(query) ? { ...query } : pid !== undefined ? { pid } : undefined;
  let snapshot: Snapshot;
  try {
    snapshot = await buildSnapshot({ ...opts, ...(scope ? { scope } : {}) });
  } catch (err) {
    if (err instanceof NetnsScopeError) throw new UsageError(err.message);
    throw err;
  }
  return selectNetns(snapshot, query);
}

/**
 * Whether any namespace's sockets were read (none: nothing to judge, a usage error). A scoped read
 * without sockdoc's own namespace has no net-tcp report of its own: its namespaces' sources say.
 */
export function socketsRead(snapshot: Snapshot): boolean {
  if (socketCount(snapshot) > 0 || snapshot.probes.some((p) => p.probe === 'net-tcp' && p.status === 'ok')) return true;
  return snapshot.scope !== undefined && snapshot.namespaces.some((n) => n.socketSource !== null);
}

/**
 * What the processes a diagnosis names run: their executable and systemd unit
 * (probe/pid-identity.ts), read after the rules for those processes only, so that grouping
 * (render/groups.ts) tells two services of one interpreter apart. Cost follows the findings, not
 * the host: two or three small reads per named process.
 */
import { readProcessIdentity, type IdentityCache } from '../probe/pid-identity.js';
import type { Finding } from '../rules/types.js';
import type { ProcessIdentity, Snapshot } from './types.js';

/**
 * By pid, every process a finding names, read under the snapshot's root (a live host or a captured
 * tree); with a cache (one per `watch` run), a process read at an earlier sample is not read again.
 */
export function readIdentities(snapshot: Pick<Snapshot, 'host'> & Partial<Pick<Snapshot, 'processes'>>, findings: readonly Finding[], cache?: IdentityCache): Map<number, ProcessIdentity> {
  const out = new Map<number, ProcessIdentity>();
  const byPid = new Map((snapshot.processes ?? []).map((p) => [p.pid, p]));
  for (const f of findings) {
    const { pid, name } = f.subject;
    if (pid === undefined || name === undefined || out.has(pid)) continue;
    const p = byPid.get(pid);
    out.set(pid, { ...readProcessIdentity(snapshot.host.root, pid, name, cache), uid: p?.uid ?? null, user: p?.user ?? null });
  }
  return out;
}

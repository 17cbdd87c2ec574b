/**
 * What the processes a diagnosis names run: their executable and systemd unit
 * (probe/pid-identity.ts), read after the rules for those processes only, so that grouping
 * (render/groups.ts) tells two services of one interpreter apart. Cost follows the findings, not
 * the host: two or three small reads per named process.
 */
import { readProcessIdentity } from '../probe/pid-identity.js';
import type { Finding } from '../rules/types.js';
import type { ProcessIdentity, Snapshot } from './types.js';

/** By pid, every process a finding names, read under the snapshot's root (a live host or a captured tree). */
export function readIdentities(snapshot: Pick<Snapshot, 'host'>, findings: readonly Finding[]): Map<number, ProcessIdentity> {
  const out = new Map<number, ProcessIdentity>();
  for (const f of findings) {
    const { pid, name } = f.subject;
    if (pid === undefined || name === undefined || out.has(pid)) continue;
    out.set(pid, readProcessIdentity(snapshot.host.root, pid, name));
  }
  return out;
}

/**
 * Whether a fix may tell a person to bind a listener to every address. A program that answers
 * whoever reaches its port without authentication (the program catalogue says which, and why:
 * Redis without requirepass or an ACL, memcached without SASL, PHP-FPM's FastCGI) is never offered
 * "bind 0.0.0.0": that hands its data, or code execution, to every host that can route to this one.
 * The fix says why instead, and how to reach it safely. Any other program gets the bind advice with
 * the condition in front of it: first make sure it asks who connects.
 */
import type { Snapshot } from '../snapshot/types.js';
import { terminalSafe } from '../safety/terminal.js';

export interface Exposure {
  /** The instances (label and pid) that answer anyone, with why. */
  open: Array<{ label: string; pid: number; why: string }>;
}

/** The catalogue instances among `pids` that answer without authentication. */
export function exposureOf(snapshot: Snapshot, pids: readonly number[]): Exposure {
  const open: Exposure['open'] = [];
  for (const inst of snapshot.programs ?? []) {
    if (!inst.unauthenticated || !inst.pids.some((p) => pids.includes(p))) continue;
    open.push({ label: inst.label, pid: inst.pid, why: inst.unauthenticated });
  }
  return { open };
}

/**
 * The fix lines that replace "bind it to every address" for an open program: not offered, why, and
 * what to do instead. `where`: "on this host", "in docker container web" (escaped here).
 */
export function notOfferedBind(e: Exposure, bind: string, where: string): string[] {
  const first = e.open[0];
  return [
    `# not offered: binding ${first.label} (pid ${first.pid}) ${terminalSafe(where)} to ${bind}: ${terminalSafe(first.why)}.`,
    `# keep it on loopback and reach it through an SSH tunnel or a proxy that authenticates (TLS + password); or first turn its authentication on, then bind it to one private address, never to all, with a firewall rule for the hosts that need it`,
  ];
}

/** The line in front of a bind advice for a program sockdoc does not know to be open or closed. */
export const BIND_CAUTION = '# first make sure the service asks who connects (a password, TLS client certificates): bound to every address, anyone who can route to this host reaches it';

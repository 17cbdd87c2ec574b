/**
 * The launcher catalogue: every entry is one module. Order matters only when two could match one
 * process; none do today.
 */
import { containerdShim } from './containerd-shim.js';
import { daemontools } from './daemontools.js';
import { forever } from './forever.js';
import { initWrappers } from './init-wrappers.js';
import { jvm } from './jvm.js';
import { nginx } from './nginx.js';
import { pm2 } from './pm2.js';
import { runit } from './runit.js';
import { s6 } from './s6.js';
import { terminalMultiplexer } from './terminal-multiplexer.js';
import type { Launcher, LauncherCase } from './types.js';
import type { Verdict } from '../context.js';
import { checkIdentity } from '../launcher-identity.js';

export const LAUNCHERS: readonly Launcher[] = [pm2, forever, runit, s6, daemontools, initWrappers, terminalMultiplexer, containerdShim, nginx, jvm];

/**
 * The first entry that explains the case, or null. An entry whose name matches the origin or its
 * parent, where that process is not the real launcher (launcher-identity.ts: its executable, its
 * owner, its uid), is skipped, and why goes into `doubts`: a user's script named `runsv` is not runit.
 */
export function launcherVerdict(c: LauncherCase, doubts: string[] = []): Verdict | null {
  for (const l of LAUNCHERS) {
    const named = [c.origin, c.parent].filter((n): n is NonNullable<typeof n> => n !== null && l.is(n));
    const fake = named.map((n) => checkIdentity(c.ctx, c.root, n, l.identity)).find((r) => !r.genuine);
    if (fake && !fake.genuine) {
      doubts.push(`${fake.why}: it is not taken as ${l.identity.what}.`);
      continue;
    }
    const v = l.explain(c);
    if (v) return v;
  }
  return null;
}

/** Pass-through launchers between the process and the origin, for one sentence ("tini (pid 7) passes it on unchanged"). */
export function passThroughs(links: readonly { pid: number; name: string; argv: string[] }[], oi: number): string[] {
  const out: string[] = [];
  for (let i = 1; i < oi; i++) {
    const l = links[i] as Parameters<Launcher['is']>[0];
    if (LAUNCHERS.some((e) => e.passThrough && e.is(l))) out.push(`${l.name} (pid ${l.pid})`);
  }
  return out;
}

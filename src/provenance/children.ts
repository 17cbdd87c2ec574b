/**
 * The direct children of a process, for the blast radius of a restart ("stops every program
 * supervisord runs: worker, web"). One scan of ROOT/proc per explanation; processes that exit
 * meanwhile are skipped.
 */
import { listPids } from '../probe/pids.js';
import { readPidStat } from '../probe/pid-stat.js';
import { memoRead, type ExplainContext } from './context.js';

export interface Child {
  pid: number;
  name: string;
}

function scan(root: string): Map<number, Child[]> {
  const byParent = new Map<number, Child[]>();
  for (const pid of listPids(root)) {
    let st;
    try {
      st = readPidStat(root, pid);
    } catch {
      // Gone or unreadable: it is not counted, and the sentence says "seen".
      continue;
    }
    const list = byParent.get(st.ppid) ?? [];
    list.push({ pid, name: st.name });
    byParent.set(st.ppid, list);
  }
  return byParent;
}

/** Children of `pid` seen under root, sorted by pid; [] when the scan failed. */
export function childrenOf(ctx: ExplainContext, root: string, pid: number): Child[] {
  const r = memoRead(ctx, 'children', () => scan(root));
  return r.ok ? [...(r.value.get(pid) ?? [])].sort((a, b) => a.pid - b.pid) : [];
}

/** Every process whose comm passes `test` (the same scan), sorted by pid; [] when the scan failed. */
export function processesNamed(ctx: ExplainContext, root: string, test: (name: string) => boolean): Child[] {
  const r = memoRead(ctx, 'children', () => scan(root));
  if (!r.ok) return [];
  const out: Child[] = [];
  for (const list of r.value.values()) for (const c of list) if (test(c.name)) out.push(c);
  return out.sort((a, b) => a.pid - b.pid);
}

/** "3 seen: worker (pid 12), web (pid 13), web (pid 14)"; at most 6 named. */
export function childrenText(children: readonly Child[]): string {
  if (!children.length) return 'none seen';
  const named = children.slice(0, 6).map((c) => `${c.name} (pid ${c.pid})`);
  return `${children.length} seen: ${named.join(', ')}${children.length > 6 ? ', …' : ''}`;
}

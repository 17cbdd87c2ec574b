/** Sentences and steps shared by catalogue entries. */
import type { ProcNode } from '../chain.js';
import { childrenOf, childrenText } from '../children.js';
import type { ExplainContext } from '../context.js';
import { formatSH } from '../rlimit.js';

export const who = (n: ProcNode) => `${n.name} (pid ${n.pid})`;
export const limitOf = (n: ProcNode) => formatSH(n.limit.soft, n.limit.hard);

/** "2 seen: web (pid 10), api (pid 11)" for the processes a launcher runs. */
export function runs(ctx: ExplainContext, root: string, n: ProcNode): string {
  return childrenText(childrenOf(ctx, root, n.pid));
}

/** The value after a flag in argv ("-c FILE", "--config=FILE"), or null. */
export function flagValue(argv: readonly string[], ...names: string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    for (const n of names) {
      if (argv[i] === n && argv[i + 1] !== undefined) return argv[i + 1];
      if (argv[i].startsWith(`${n}=`)) return argv[i].slice(n.length + 1);
    }
  }
  return null;
}

/** Assertions about fix lines shared by the trust tests. */
import assert from 'node:assert/strict';

/** The command part of a line (before `   #`). */
const command = (l: string) => l.replace(/ {3}#.*$/, '');

/**
 * The one rule (fix-runner.ts refusedLines): no line runs `cmd` (every line matching it is a
 * comment), a `# not offered:` comment shows it, and the comment after it says why, owner named.
 */
export function assertRefused(fix: readonly string[], cmd: RegExp, why: RegExp): void {
  const all = fix.join('\n');
  for (const l of fix) if (!l.startsWith('#')) assert.doesNotMatch(command(l), cmd, `a pasteable line runs it:\n${all}`);
  const i = fix.findIndex((l) => l.startsWith('# not offered: ') && cmd.test(l));
  assert.ok(i >= 0, `no "# not offered:" line for ${cmd}:\n${all}`);
  assert.match(fix[i + 1] ?? '', why, all);
}

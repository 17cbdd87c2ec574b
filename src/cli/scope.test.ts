/**
 * `sockets` and `limits` judge nothing: their module graphs hold no rule (helpers of rules/support
 * aside) and no renderer of the diagnosis (loading them was ~100 ms of `sockets`' time at 100k sockets, half its modules).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module a file loads (static imports and re-exports, type-only ones left out), relative to dist/src. */
function moduleGraph(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [resolve(here, entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^(import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) todo.push(resolve(dirname(file), m[2]));
  }
  return [...seen].map((f) => relative(resolve(here, '..'), f));
}

test('sockets and limits load no rule and no diagnosis renderer', () => {
  for (const entry of ['sockets.js', 'limits.js']) {
    const graph = moduleGraph(entry);
    assert.ok(graph.includes('snapshot/build.js'), `${entry} reads the snapshot`);
    assert.deepEqual(graph.filter((m) => (m.startsWith('rules/') && !m.startsWith('rules/support/')) || m === 'cli/diagnose.js' || m === 'render/terminal.js' || m === 'render/json.js'), [], entry);
  }
  // The program catalogue (provenance/programs/*) loads only when a read judges programs' caps.
  assert.ok(!moduleGraph('sockets.js').includes('snapshot/programs.js'), 'sockets never loads the program catalogue');
  assert.ok(moduleGraph('diagnose.js').some((m) => m.startsWith('rules/') && !m.startsWith('rules/support/')), 'the walk finds the rules where they are');
});

/** Paths for tests: the repository root and its fixture trees, wherever the compiled file runs from. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`sockdoc repository root not found above ${start}`);
    dir = up;
  }
}

/** The repository root (holds package.json and test/fixtures). */
export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** test/fixtures/<parts...> */
export function fixture(...parts: string[]): string {
  return join(repoRoot, 'test', 'fixtures', ...parts);
}

/** The built CLI entry point. */
export const cliPath = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/**
 * Golden files for renderer tests: expected output lives under test/fixtures/render/, and
 * `UPDATE_GOLDEN=1 npm test` rewrites it (review the diff before committing).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import assert from 'node:assert/strict';
import { fixture } from '../testing/paths.js';

export function assertGolden(name: string, actual: string): void {
  const path = fixture('render', name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden file ${path} is missing: run UPDATE_GOLDEN=1 npm test`);
  assert.equal(actual, readFileSync(path, 'utf8'), `output differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`);
}

/** Golden files for renderer tests, under test/fixtures/render/ (see src/testing/golden.ts). */
import { assertGoldenFile } from '../testing/golden.js';
import { fixture } from '../testing/paths.js';

export function assertGolden(name: string, actual: string): void {
  assertGoldenFile(fixture('render', name), actual);
}

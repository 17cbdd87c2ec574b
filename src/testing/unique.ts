/**
 * Names for what a live test creates (network namespaces, containers, directories), unique per run:
 * this test process's pid and a random part. The pid alone is not enough: a pid is reused, the same
 * pid runs in two pid namespaces, and two helpers' suites run the same test file at the same time.
 * Tests assert only about what carries such a name (BRIEF: tests judge only what they made).
 */
import { randomBytes } from 'node:crypto';

/** A random lower-case hex part (6 characters): fits `ip netns`, docker and lab-id names. */
export function runSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** `PREFIX-PID-RANDOM`, e.g. `sockdoc-i8a-4242-9f3a1c`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${runSuffix()}`;
}

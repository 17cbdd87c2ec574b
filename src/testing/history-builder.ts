/**
 * Histories for tests: a process whose open-fd count follows `values`, one sample every `stepMs`,
 * recorded through the real History so the rule reads what watch and serve would give it.
 *
 * @example
 * const h = fdHistory({ pid: 7, name: 'app', soft: 1024 }, [100, 110, 120, 130, 140, 150], 2000);
 */
import { History } from '../history/history.js';
import { proc, snapshot } from './snapshot-builder.js';
import type { FdKindCounts } from '../snapshot/types.js';

export const HISTORY_T0 = Date.parse('2026-11-30T03:00:00Z');

export function fdHistory(p: { pid: number; name: string; soft: number }, values: number[], stepMs: number, kinds?: (open: number, i: number) => FdKindCounts): History {
  const h = new History({ capacity: Math.max(2, values.length) });
  values.forEach((open, i) => {
    const s = snapshot({ processes: [proc({ pid: p.pid, name: p.name, open, soft: p.soft, ...(kinds ? { fdKinds: kinds(open, i) } : {}) })] });
    h.record(s, HISTORY_T0 + i * stepMs);
  });
  return h;
}

/** `n` samples of a steady climb from `from`, `perStep` per sample. */
export function climb(from: number, perStep: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(from + i * perStep));
}

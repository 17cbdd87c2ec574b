import test from 'node:test';
import assert from 'node:assert/strict';
import { limitCHeap } from './memory.js';
import { loadNativeAddon } from '../probe/native.js';

function addonLimits(): ((a: number, m: number) => boolean) | null {
  try {
    const addon = loadNativeAddon();
    return typeof addon.mallocLimits === 'function' ? addon.mallocLimits.bind(addon) : null;
  } catch {
    return null;
  }
}

test("the exporter's malloc limits are taken by glibc, and what the environment sets is left to it", { skip: addonLimits() ? false : 'native module not built' }, () => {
  assert.equal(limitCHeap({}), true, 'M_ARENA_MAX and M_MMAP_THRESHOLD set');
  assert.equal(limitCHeap({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '65536' }), true, 'nothing to set: the operator chose');
  assert.throws(() => addonLimits()!('2' as unknown as number, 0), /mallocLimits/, 'a bad argument is a type error, not a silent no-op');
});

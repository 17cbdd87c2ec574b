/** countReserved counts by range; it must agree with asking port by port, for overlapping and outlying ranges. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { countReserved } from './ephemeral.js';
import type { Tunables } from '../../snapshot/types.js';

const range = fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 })).map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]));

test('countReserved equals the port-by-port count of [lo, hi] in any of the ranges', () => {
  fc.assert(
    fc.property(fc.array(range, { maxLength: 8 }), range, (reserved, [lo, hi]) => {
      const tunables = { 'net.ipv4.ip_local_reserved_ports': reserved } as unknown as Tunables;
      let expected = 0;
      for (let p = lo; p <= hi; p++) if (reserved.some(([a, b]) => p >= a && p <= b)) expected++;
      assert.equal(countReserved(tunables, lo, hi), expected);
    }),
    { numRuns: 500 },
  );
});

test('countReserved: no reserved ports (absent or unreadable) counts 0', () => {
  assert.equal(countReserved({ 'net.ipv4.ip_local_reserved_ports': null } as unknown as Tunables, 32768, 60999), 0);
  assert.equal(countReserved({} as unknown as Tunables, 32768, 60999), 0);
});

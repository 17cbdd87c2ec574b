/** --summary reads what it prints: its CLOSE_WAIT count comes from the socket columns, no socket object is made. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSummary } from './summary.js';
import { seedDiagnosis } from './test-data.js';
import { SocketTable, withSocketTable } from '../snapshot/socket-table.js';
import type { Snapshot } from '../snapshot/types.js';

test('--summary counts CLOSE_WAIT on the columns of a live read: the sockets are never made into objects', () => {
  const d = seedDiagnosis();
  const expected = renderSummary(d);
  assert.match(expected, / close_wait=126;;;0;/);
  const table = SocketTable.fromSockets(d.snapshot.sockets);
  const copy = { ...d.snapshot } as Partial<Snapshot>;
  delete copy.sockets;
  const columns = withSocketTable(copy, table) as Snapshot;
  assert.equal(renderSummary({ ...d, snapshot: columns }), expected);
  assert.ok(Object.getOwnPropertyDescriptor(columns, 'sockets')?.get, 'sockets still unmade');
});

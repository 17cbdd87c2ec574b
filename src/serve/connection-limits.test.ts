import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionTable } from './connection-limits.js';

test('a peer at its bound: its least recently used keep-alive connection makes room; only never-used or busy ones: the newcomer is refused', () => {
  const t = new ConnectionTable<number>({ total: 100, perPeer: 3 });
  for (const h of [1, 2, 3]) assert.deepEqual(t.admit(h, 'uid:1000'), { admitted: true, evict: [] });
  assert.deepEqual(t.admit(4, 'uid:1000'), { admitted: false, evict: [], why: 'peer-full' }, 'a hoarder: its newest attempt is refused');
  t.started(1);
  t.ended(1); // 1 served a request and waits (keep-alive)
  t.started(2);
  t.ended(2);
  t.started(2); // 2 serves another one now
  assert.deepEqual(t.admit(5, 'uid:1000'), { admitted: true, evict: [1] }, 'the idle keep-alive one goes');
  t.started(5);
  assert.deepEqual(t.admit(6, 'uid:1000'), { admitted: false, evict: [], why: 'peer-full' }, 'busy and never-used: refused');
  assert.equal(t.held('uid:1000'), 3);
  assert.deepEqual(t.admit(7, 'uid:65534'), { admitted: true, evict: [] }, 'another peer is not affected');
});

test('with every slot taken, a never-used idle connection goes before every used one, then the least recently used', () => {
  const t = new ConnectionTable<string>({ total: 3, perPeer: 10 });
  t.admit('a', 'p');
  t.started('a');
  t.ended('a'); // a keep-alive connection that served a request
  t.admit('b', 'p'); // never used, newer than a
  t.admit('c', 'p');
  t.started('c');
  t.ended('c');
  assert.deepEqual(t.admit('d', 'q').evict, ['b'], 'the never-used one first, though newer');
  t.started('d');
  t.ended('d');
  assert.deepEqual(t.admit('e', 'q').evict, ['a'], 'then the least recently used of the peer holding the most');
});

test('all slots taken: the peer holding the most loses an idle connection; a scraper with one always gets in', () => {
  const t = new ConnectionTable<string>({ total: 10, perPeer: 8 });
  for (let i = 0; i < 8; i++) t.admit(`hoard${i}`, 'uid:1000');
  t.admit('prom1', 'uid:998');
  t.started('prom1');
  t.admit('other', 'ip:10.0.0.9');
  assert.equal(t.size, 10);
  assert.deepEqual(t.admit('prom2', 'uid:998'), { admitted: true, evict: ['hoard0'] });
  assert.equal(t.held('uid:1000'), 7);
  assert.equal(t.size, 10, 'never more than total');
  // Every connection busy: a newcomer is refused rather than cutting a request short.
  const busy = new ConnectionTable<number>({ total: 2, perPeer: 2 });
  busy.admit(1, 'a');
  busy.admit(2, 'b');
  busy.started(1);
  busy.started(2);
  assert.deepEqual(busy.admit(3, 'c'), { admitted: false, evict: [], why: 'all-busy' });
});

test('the hoarder with the most is chosen even when its connections are the newest', () => {
  const t = new ConnectionTable<string>({ total: 5, perPeer: 5 });
  t.admit('old-browser', 'ip:10.0.0.2');
  for (let i = 0; i < 4; i++) t.admit(`h${i}`, 'uid:1000');
  assert.deepEqual(t.admit('x', 'ip:10.0.0.3').evict, ['h0']);
});

test('closing, ending twice and unknown handles keep the counts right', () => {
  const t = new ConnectionTable<number>({ total: 4, perPeer: 4 });
  t.admit(1, 'p');
  t.started(1);
  t.ended(1);
  t.ended(1);
  t.ended(99);
  t.started(99);
  t.remove(1);
  t.remove(1);
  assert.equal(t.size, 0);
  assert.equal(t.held('p'), 0);
});

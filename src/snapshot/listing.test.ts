/**
 * `sockdoc sockets` reads only what its listing shows (SnapshotOptions.listing): the same sockets,
 * owners, names, listeners and namespaces as a full read; not the user namespaces, programs'
 * configurations or thread states. (Each socket fd's family is still told apart: a socket in no
 * table read is how a namespace no process is in is found, snapshot/orphan-netns.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from './build.js';
import { fixture } from '../testing/paths.js';

for (const host of ['unix-queue-full', 'eventpoll-leak', 'seed-queue-full']) {
  test(`listing read of ${host}: what the listing shows equals a full read's, the rest is not read`, async () => {
    const root = fixture('hosts', host);
    const full = await buildSnapshot({ root, intervalMs: 0 });
    const listing = await buildSnapshot({ root, intervalMs: 0, listing: true });
    assert.deepEqual(listing.sockets, full.sockets);
    assert.deepEqual([...listing.owners], [...full.owners]);
    assert.deepEqual(listing.listeners, full.listeners);
    assert.deepEqual(listing.unixSockets, full.unixSockets);
    assert.deepEqual(listing.processes.map((p) => [p.pid, p.name, p.netns]), full.processes.map((p) => [p.pid, p.name, p.netns]));
    assert.deepEqual(listing.namespaces.map((n) => [n.inode, n.name, n.socketSource, n.unixSource]), full.namespaces.map((n) => [n.inode, n.name, n.socketSource, n.unixSource]));
    // Socket fds are split by family as in a full read (the orphan-namespace lookup needs the ones in no table).
    assert.deepEqual(listing.processes.map((p) => p.fdKinds ?? null), full.processes.map((p) => p.fdKinds ?? null));
    assert.deepEqual(listing.userNamespaces, []);
    assert.deepEqual(listing.programs, []);
    if (host === 'unix-queue-full') assert.ok(full.processes.some((p) => p.fdKinds?.unix) && (full.userNamespaces ?? []).length > 0, 'the full read has them: the difference is real');
  });
}

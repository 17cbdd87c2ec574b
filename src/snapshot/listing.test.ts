/**
 * `sockdoc sockets` reads only what its listing shows (SnapshotOptions.listing): the same sockets,
 * owners, names, listeners and namespaces as a full read; not the family of each socket fd, the
 * TCP sockets per process, the user namespaces, programs' configurations or thread states.
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
    // Socket fds are not split by family (left "socket", as an fd found in no table is), nor counted per state.
    assert.ok(listing.processes.every((p) => !p.fdKinds || (p.fdKinds.tcp === undefined && p.fdKinds.unix === undefined)), 'socket fds not split by family');
    assert.ok(listing.processes.every((p) => Object.keys(p.sockets).length === 0), 'TCP sockets per process not counted');
    assert.deepEqual(listing.userNamespaces, []);
    assert.deepEqual(listing.programs, []);
    if (host === 'unix-queue-full') assert.ok(full.processes.some((p) => p.fdKinds?.unix) && (full.userNamespaces ?? []).length > 0, 'the full read has them: the difference is real');
  });
}

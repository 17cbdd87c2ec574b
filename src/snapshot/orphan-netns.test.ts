/**
 * The discovery step for sockets no table names (orphan-netns.ts): nothing is asked when every
 * socket is named; a capture and a missing addon say what was not looked up; the bound holds and
 * the rest is counted; a socket's family comes from the socket itself. The live namespace cases
 * are in orphan-netns-live.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { fstatSync, readlinkSync, statSync } from 'node:fs';
import { SocketKindCounter } from './socket-kinds.js';
import { findOrphanNetns, orphanName, type OrphanOptions } from './orphan-netns.js';
import { parseSocketNetns, socketFamily } from '../probe/socket-netns.js';
import type { Owner, ProcessInfo } from './types.js';
import { SocketTable } from './socket-table.js';

const NO_ADDON = '/nonexistent/sockdoc_native.node';

/** A counter over processes holding `sockets` (pid -> [fd, inode] pairs) that no table names. */
function counter(sockets: Record<number, Array<[fd: number, inode: number]>>): { kinds: SocketKindCounter; processes: ProcessInfo[] } {
  const owners = new Map<number, Owner[]>();
  const processes = Object.entries(sockets).map(([pid, fds]) => {
    for (const [fd, inode] of fds) owners.set(inode, [...(owners.get(inode) ?? []), { pid: Number(pid), fd }]);
    return { pid: Number(pid), name: 'holder', netns: 1, sockets: {}, fdKinds: { socket: fds.length } } as unknown as ProcessInfo;
  });
  const kinds = new SocketKindCounter(processes, owners);
  kinds.markUnix([]);
  kinds.nameRest(() => new Map());
  return { kinds, processes };
}

function options(over: Partial<OrphanOptions> = {}): OrphanOptions {
  return {
    live: true,
    planned: new Set([1]),
    read: () => Promise.reject(new Error('nothing is to be read')),
    nameOf: () => 'holder',
    addonPath: NO_ADDON,
    ...over,
  };
}

test('every socket named: nothing is asked, nothing said', async () => {
  const owners = new Map<number, Owner[]>([[501, [{ pid: 10, fd: 3 }]]]);
  const processes = [{ pid: 10, name: 'p', netns: 1, sockets: {}, fdKinds: { socket: 1 } } as unknown as ProcessInfo];
  const kinds = new SocketKindCounter(processes, owners);
  kinds.markUnix([[501]]);
  let lookups = 0;
  kinds.nameRest(() => (lookups++, new Map()));
  assert.equal(lookups, 0, 'no /proc/net lookup either');
  const r = await findOrphanNetns(kinds, options());
  assert.deepEqual(r, { found: [], notes: [], asked: 0, ms: 0, unseen: false });
  kinds.fold();
  assert.deepEqual(processes[0].fdKinds, { unix: 1 });
});

test('a capture asks no socket: those sockets\' namespaces are said to be unknown', async () => {
  const { kinds, processes } = counter({ 10: [[3, 501], [4, 502]] });
  const r = await findOrphanNetns(kinds, options({ live: false }));
  assert.equal(r.asked, 0);
  assert.deepEqual(r.notes, [
    'Not read, so not judged: 2 sockets that processes hold and no table read names (their family and network namespace: a replay cannot ask a socket).',
  ]);
  kinds.fold();
  assert.deepEqual(processes[0].fdKinds, { socket: 2 });
});

test('without the addon the sockets are counted as not looked up', async () => {
  const { kinds } = counter({ 10: [[3, 501]], 11: [[5, 601]] });
  const r = await findOrphanNetns(kinds, options());
  assert.equal(r.found.length, 0);
  assert.equal(r.notes.length, 1);
  assert.match(r.notes[0], /^2 sockets' namespaces were not looked up \(the native module is not available \(.*\)\): a namespace no process is in and no name holds is not read\.$/);
});

test('a namespace found through a socket is named after it', () => {
  assert.equal(orphanName(4026532249, { pid: 812, fd: 3, inode: 77 }, 'python3'), 'netns 4026532249 (no process inside; socket of pid 812 python3)');
  assert.equal(orphanName(4026532249, { pid: 812, fd: 3, inode: 77 }, undefined), 'netns 4026532249 (no process inside; socket of pid 812)');
});

test('families from SO_DOMAIN, SO_TYPE, SO_PROTOCOL', () => {
  assert.equal(socketFamily(2, 1, 6), 'tcp');
  assert.equal(socketFamily(10, 1, 6), 'tcp');
  assert.equal(socketFamily(10, 1, 262), 'socket', 'MPTCP is not in the TCP table');
  assert.equal(socketFamily(2, 2, 17), 'udp');
  assert.equal(socketFamily(2, 3, 1), 'raw');
  assert.equal(socketFamily(1, 5, 0), 'unix');
  assert.equal(socketFamily(16, 3, 0), 'netlink');
  assert.equal(socketFamily(17, 3, 768), 'packet');
  assert.equal(socketFamily(40, 1, 0), 'socket', 'vsock');
});

test('the addon\'s answer: found, gone (exited, fd closed or reused) and refused', () => {
  const leads = [
    { pid: 10, fd: 3, inode: 501 },
    { pid: 11, fd: 4, inode: 502 },
    { pid: 12, fd: 5, inode: 503 },
    { pid: 13, fd: 6, inode: 504 },
  ];
  // errno, step, domain, type, protocol, netns
  const words = [0, 0, 2, 1, 6, 4026532249, 9, 2, 0, 0, 0, 0, 116, 4, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0];
  const r = parseSocketNetns(leads, Float64Array.from(words), Int32Array.from([20, -1, -1, -1]));
  assert.deepEqual(r[0], { ...leads[0], netns: 4026532249, family: 'tcp', nsFd: 20, unkept: false, error: null, gone: false });
  const over = parseSocketNetns(leads.slice(0, 1), Float64Array.from(words.slice(0, 6)), Int32Array.from([-2]));
  assert.deepEqual([over[0].nsFd, over[0].unkept, over[0].netns], [null, true, 4026532249], 'a new namespace over the bound: found, not kept');
  assert.equal(r[1].gone, true, 'EBADF at pidfd_getfd: the fd was closed');
  assert.equal(r[1].error, 'pidfd_getfd: EBADF');
  assert.equal(r[2].gone, true, 'the fd now holds another file');
  assert.deepEqual([r[3].gone, r[3].error, r[3].netns, r[3].family], [false, 'pidfd_getfd: EPERM', null, null]);
});

const asRoot = process.getuid?.() === 0;

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

test('the bound holds: one socket per process first, then the rest up to the bound; what is left is counted', { skip: !asRoot && 'SIOCGSKNS needs CAP_NET_ADMIN' }, async (t) => {
  const servers = await Promise.all([listen(), listen(), listen()]);
  t.after(() => servers.forEach((s) => s.close()));
  const fds = servers.map((s) => (s as unknown as { _handle: { fd: number } })._handle.fd);
  const own = statSync('/proc/self/ns/net').ino;
  for (const fd of fds) assert.match(readlinkSync(`/proc/self/fd/${fd}`), /^socket:/);
  const { kinds, processes } = counter({ [process.pid]: fds.map((fd) => [fd, fstatSync(fd).ino] as [number, number]) });
  processes[0].netns = own;
  const r = await findOrphanNetns(kinds, options({ planned: new Set([own]), addonPath: undefined, max: 2 }));
  assert.equal(r.asked, 2);
  assert.equal(r.found.length, 0, 'its own namespace is planned: nothing to read');
  assert.deepEqual(r.notes, ["1 socket's namespace was not looked up (at most 2 sockets are asked per run): a namespace no process is in and no name holds may hold it unread."]);
  kinds.fold();
  assert.deepEqual(processes[0].fdKinds, { tcp: 2, socket: 1 }, 'the two asked are TCP, told by the sockets themselves');
  // Nothing stays open: no fd of a namespace is left in this process.
  const { readdirSync } = await import('node:fs');
  const nsFds = readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('net:');
    } catch {
      return false;
    }
  });
  assert.deepEqual(nsFds, []);
});

test('a namespace not planned is read through the fd the lookup kept, and that fd is closed after', { skip: !asRoot && 'SIOCGSKNS needs CAP_NET_ADMIN' }, async (t) => {
  const server = await listen();
  t.after(() => server.close());
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const own = statSync('/proc/self/ns/net').ino;
  const { kinds, processes } = counter({ [process.pid]: [[fd, fstatSync(fd).ino]] });
  let path = '';
  const r = await findOrphanNetns(
    kinds,
    options({
      planned: new Set(),
      addonPath: undefined,
      read: async (targets) => {
        path = targets[0].namedPath ?? '';
        assert.equal(statSync(path).ino, own, 'the kept fd names the socket\'s namespace');
        return [{ inode: own, table: SocketTable.empty(), backlogs: null, socketSource: 'sock_diag', unix: { inodes: new Float64Array(0) }, tunables: {}, counters: null, reports: [], notes: [], partial: false } as never];
      },
    }),
  );
  assert.equal(r.found.length, 1);
  assert.equal(r.found[0].target.inode, own);
  assert.deepEqual(r.found[0].through, { pid: process.pid, fd, inode: fstatSync(fd).ino });
  assert.match(path, /^\/proc\/self\/fd\/\d+$/);
  assert.throws(() => statSync(path), 'closed after the read');
  kinds.fold();
  assert.deepEqual(processes[0].fdKinds, { tcp: 1 });

  // Over the bound of namespaces read: found, not kept, not read, and said.
  const again = counter({ [process.pid]: [[fd, fstatSync(fd).ino]] });
  const capped = await findOrphanNetns(again.kinds, options({ planned: new Set(), addonPath: undefined, maxFound: 0 }));
  assert.equal(capped.found.length, 0);
  assert.deepEqual(capped.notes, ['1 network namespace that no process is in, found through a socket, was not read (at most 0 such namespaces are read per run).']);

  // Asked for by inode (--netns INODE), it is read past the bound.
  const asked = counter({ [process.pid]: [[fd, fstatSync(fd).ino]] });
  let reads = 0;
  const got = await findOrphanNetns(asked.kinds, options({ planned: new Set(), addonPath: undefined, maxFound: 0, wanted: own, read: async (t) => (reads++, [{ inode: t[0].inode, table: SocketTable.empty(), backlogs: null, socketSource: 'sock_diag', unix: { inodes: new Float64Array(0) }, tunables: {}, counters: null, reports: [], notes: [], partial: false } as never]) }));
  assert.equal(reads, 1);
  assert.deepEqual(got.found.map((f) => f.data.inode), [own]);
  assert.deepEqual(got.notes, []);
});

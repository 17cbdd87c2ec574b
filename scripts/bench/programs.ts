/**
 * What the program catalogue adds to a snapshot (src/snapshot/programs.ts): recognition over every
 * process, and, when a catalogued program holds listeners, one pass over the sockets to count what it
 * accepted. Synthetic columns, no I/O but the configuration lookups of one instance under an empty
 * root: `node dist/scripts/bench/programs.js [SOCKETS]` prints medians of 15 runs each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPrograms } from '../../src/snapshot/programs.js';
import { SocketTable } from '../../src/snapshot/socket-table.js';
import { OwnerMap, forEachHolderPid } from '../../src/probe/owner-map.js';
import type { Listener, ProcessInfo, TcpSocket } from '../../src/snapshot/types.js';

const n = Number(process.argv[2] ?? 100_000);
const sockets: TcpSocket[] = [];
const owners = new OwnerMap(n);
for (let i = 0; i < n; i++) {
  const inode = 1000 + i;
  sockets.push({ family: 4, state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: i % 2 ? 6379 : 40000 + (i % 20000), remoteAddress: '127.0.0.1', remotePort: 1 + (i % 60000), txQueue: 0, rxQueue: 0, uid: 0, inode, netns: 0 });
  owners.set(inode, [{ pid: i % 2 ? 10 : 20 + (i % 50), fd: i }]);
}
const table = SocketTable.fromSockets(sockets);
const proc = (pid: number, name: string, cmdline: string): ProcessInfo => ({ pid, ppid: 1, name, cmdline, uid: 0, user: 'root', fds: { open: 10, soft: 100000, hard: 100000 }, sockets: {}, netns: 0 });
const clients = Array.from({ length: 50 }, (_, i) => proc(20 + i, 'python3', 'python3 client.py'));
const listeners: Listener[] = [{ netns: 0, family: 4, address: '127.0.0.1', port: 6379, inode: 999, owners: [{ pid: 10, fd: 3 }], pids: [10], acceptQueue: 0, backlog: 511, backlogSource: 'sock_diag', synRecv: 0, establishedUnaccepted: 0, closeWaitUnaccepted: 0 }];
const root = mkdtempSync(join(tmpdir(), 'sockdoc-bench-programs-'));
const median = (fn: () => void): number => {
  const runs: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return runs.sort((a, b) => a - b)[7];
};
try {
  const none = median(() => readPrograms(root, clients, listeners, table, owners));
  const redis = [proc(10, 'redis-server', 'redis-server 127.0.0.1:6379'), ...clients];
  // The peer: one pass over every socket's holders, as the snapshot already makes to count sockets per process.
  let seen = 0;
  const count = () => {
    seen++;
  };
  const peer = () => {
    for (let i = 0; i < table.length; i++) if (table.inode[i] !== 0) forEachHolderPid(owners, table.inode[i], count);
  };
  // Alternate the two, so a burst of load elsewhere falls on both.
  let one = 0;
  let base = 0;
  for (let round = 0; round < 3; round++) {
    one += median(() => readPrograms(root, redis, listeners, table, owners));
    base += median(peer);
  }
  console.log(`${n} sockets, ${clients.length + 1} processes: no catalogued program ${none.toFixed(2)} ms; one Redis holding ${n / 2} connections ${(one / 3).toFixed(2)} ms, ${(one / base).toFixed(2)}x one pass over the sockets' holders (${(base / 3).toFixed(2)} ms) (medians of 15, 3 rounds)`);
  void seen;
} finally {
  rmSync(root, { recursive: true, force: true });
}

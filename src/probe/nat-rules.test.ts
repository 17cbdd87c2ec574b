import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../testing/paths.js';
import { dnatTarget, natTargets, parseIptablesSave, parseNftRuleset } from './nat-rules.js';

const nat = (f: string) => readFileSync(fixture('nat', f), 'utf8');
const brief = (ts: ReturnType<typeof natTargets>) => ts.map((t) => `${t.address}:${t.port} ${t.via} ${t.path.map((c) => c.slice(c.lastIndexOf('/') + 1)).join('>')}`);

test('docker (real iptables-save of a dockerd with two published ports): each port reaches its container, through PREROUTING and OUTPUT', () => {
  const t = parseIptablesSave(nat('docker-iptables-save.txt'));
  assert.deepEqual(brief(natTargets(t, 9000)), ['172.17.0.2:9000 docker PREROUTING>DOCKER']);
  assert.deepEqual(brief(natTargets(t, 9001)), ['172.17.0.3:9000 docker PREROUTING>DOCKER']);
  assert.deepEqual(natTargets(t, 9002), [], 'an unpublished port goes nowhere');
});

test('kube-proxy NodePort: KUBE-SERVICES -> KUBE-NODEPORTS -> KUBE-EXT -> KUBE-SVC -> each KUBE-SEP endpoint; a CNI hostPort', () => {
  const t = parseIptablesSave(nat('kube-iptables-save.txt'));
  const node = natTargets(t, 30080);
  assert.deepEqual(brief(node), [
    '10.244.1.5:8080 kube-proxy PREROUTING>KUBE-SERVICES>KUBE-NODEPORTS>KUBE-EXT-7YXJ3RTMSF2RVX4B>KUBE-SVC-7YXJ3RTMSF2RVX4B>KUBE-SEP-AAAAAAAAAAAAAAAA',
    '10.244.2.9:8080 kube-proxy PREROUTING>KUBE-SERVICES>KUBE-NODEPORTS>KUBE-EXT-7YXJ3RTMSF2RVX4B>KUBE-SVC-7YXJ3RTMSF2RVX4B>KUBE-SEP-BBBBBBBBBBBBBBBB',
  ]);
  assert.equal(node[0].comment, 'shop/web:http');
  assert.deepEqual(brief(natTargets(t, 8443)), ['10.244.1.7:443 hostport PREROUTING>CNI-HOSTPORT-DNAT>CNI-DN-1f2e3d4c5b6a79880a1b2']);
  // Port 80 is the ClusterIP's (a destination match sockdoc keeps as "may match"), also reached from the host.
  assert.ok(natTargets(t, 80).some((x) => x.address === '10.244.1.5'));
});

test('nft (real `nft list ruleset`): native chains hooked at prerouting, a set of ports, a DNAT without a port; the iptables-nft tables too', () => {
  const t = parseNftRuleset(nat('nft-ruleset.txt'));
  assert.deepEqual(brief(natTargets(t, 7443)), ['192.168.50.2:443 dnat prerouting>published']);
  assert.deepEqual(brief(natTargets(t, 7081)), ['192.168.50.3:7081 dnat prerouting>published']);
  assert.equal(natTargets(t, 7443)[0].comment, 'web tls');
  assert.deepEqual(natTargets(t, 30080).map((x) => `${x.address}:${x.port} ${x.via}`), ['10.244.1.5:8080 kube-proxy', '10.244.2.9:8080 kube-proxy']);
});

test('DNAT targets: address forms', () => {
  assert.deepEqual(dnatTarget('172.17.0.2:9000', 1), { address: '172.17.0.2', port: 9000 });
  assert.deepEqual(dnatTarget('10.0.0.5', 80), { address: '10.0.0.5', port: 80 });
  assert.deepEqual(dnatTarget('[fd00::2]:8080', 1), { address: 'fd00::2', port: 8080 });
  assert.deepEqual(dnatTarget('10.0.0.5-10.0.0.9:8000-8010', 1), { address: '10.0.0.5', port: 8000 });
  assert.equal(dnatTarget('', 1), null);
});

test('a hostile ruleset: a jump loop and a long chain of jumps are bounded', () => {
  const loop = ['*nat', ':PREROUTING ACCEPT [0:0]', ':A - [0:0]', ':B - [0:0]', '-A PREROUTING -j A', '-A A -j B', '-A B -j A', '-A B -p tcp --dport 5 -j DNAT --to-destination 10.0.0.1:5', 'COMMIT'].join('\n');
  assert.deepEqual(brief(natTargets(parseIptablesSave(loop), 5)), ['10.0.0.1:5 dnat PREROUTING>A>B']);
  const deep = ['*nat', ':PREROUTING ACCEPT [0:0]', ...Array.from({ length: 200 }, (_, i) => `-A ${i === 0 ? 'PREROUTING' : `C${i}`} -j C${i + 1}`), '-A C200 -j DNAT --to-destination 10.0.0.2:1', 'COMMIT'].join('\n');
  assert.deepEqual(natTargets(parseIptablesSave(deep), 1), [], 'deeper than the bound: not followed');
});

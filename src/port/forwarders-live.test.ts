/**
 * `sockdoc port` through a real published port: a private dockerd inside a network namespace this
 * test makes (its bridge, docker-proxy and iptables DNAT rules exist there only), two containers
 * published with -p: one whose server binds 127.0.0.1 inside (docker-proxy's connection to the
 * container's address is refused: the failing hop is named), one bound to 0.0.0.0 (reachable). And
 * socat forwarding to a port nothing listens on. Everything is removed afterwards, also on failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerMissing, startPrivateDocker } from '../lab/private-docker.js';
import { scene } from '../testing/netns-peers.js';
import { cliPath } from '../testing/paths.js';
import { findOnPath } from '../../scripts/bench/netns.js';
import { sleep } from '../testing/live.js';

const run = (args: string[]) => spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });

/** A server that binds `host`:9000 and never answers (it only has to listen). */
const server = (host: string) => ['/usr/bin/python3', '-c', `import socket,time\ns=socket.socket()\ns.bind(('${host}',9000))\ns.listen(16)\ntime.sleep(120)`];

test('a published port whose server binds 127.0.0.1 inside the container: sockdoc port names the failing hop; bound to 0.0.0.0: reachable', { skip: dockerMissing() ?? (findOnPath('iptables-save', '/usr/sbin:/sbin:/usr/bin') ? false : 'needs iptables'), timeout: 180_000 }, async (t) => {
  const sc = scene();
  const id = `${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const ns = `sockdoc-h22fw-${id}`;
  let docker: ReturnType<typeof startPrivateDocker> | null = null;
  // The containers first, through their daemon; then the namespace, which kills the daemon itself
  // (removing the namespace first would leave the containers, in namespaces of their own, running).
  t.after(() => {
    docker?.close();
    sc.close();
  });
  sc.netns(ns);
  docker = startPrivateDocker(`sockdoc-h22fw-${id}`, { netns: ns });
  const lo = `web-lo-${id}`;
  const any = `web-any-${id}`;
  const loPid = docker.run(lo, { publish: ['9000:9000'] }, server('127.0.0.1'));
  docker.run(any, { publish: ['9001:9000'] }, server('0.0.0.0'));
  await sleep(500); // docker-proxy and the servers listen

  const bad = run(['port', '9000', '--netns', ns, '--interval', '0', '--json']);
  assert.equal(bad.status, 2, bad.stderr);
  const j = JSON.parse(bad.stdout) as { verdict: string; headline: string; forwarders: Array<{ via: string; pids: number[]; status: string; targetName: string; target: { address: string; port: number } }> };
  assert.equal(j.verdict, 'forwarded-unreachable');
  assert.match(j.headline, new RegExp(`^Port 9000 is published by docker-proxy \\(pid \\d+(, pid \\d+)?\\) to 172\\.\\d+\\.\\d+\\.\\d+:9000, but the server in docker container ${lo} \\([0-9a-f]{12}\\) listens on 127\\.0\\.0\\.1:9000 only: bind 0\\.0\\.0\\.0$`));
  const vias = new Set(j.forwarders.map((h) => h.via));
  assert.ok(vias.has('docker-proxy') && vias.has('docker'), `docker-proxy and the DOCKER chain's DNAT rule both lead there: ${[...vias].join(', ')}`);
  assert.ok(j.forwarders.every((h) => h.status === 'loopback-only' && h.targetName.includes(lo)));

  const good = run(['port', '9001', '--netns', ns, '--interval', '0']);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.match(good.stdout.split('\n')[0], new RegExp(`Port 9001 is published by docker-proxy \\(pid \\d+(, pid \\d+)?\\) to 172\\.\\d+\\.\\d+\\.\\d+:9000 in docker container ${any} \\([0-9a-f]{12}\\), which listens on 0\\.0\\.0\\.0:9000: reachable`));

  // A program in a container is read in the container's own filesystem (/proc/PID/root): nginx with
  // its configuration at /peer/nginx.conf inside, published on 9002.
  const conf = ['user root;', 'worker_processes 1;', 'pid /tmp/nginx.pid;', 'error_log /tmp/error.log;', 'events { worker_connections 64; }', 'http { access_log off; client_body_temp_path /tmp/b; proxy_temp_path /tmp/p; fastcgi_temp_path /tmp/f; uwsgi_temp_path /tmp/u; scgi_temp_path /tmp/s; server { listen 80; location / { return 200 "ok"; } } }', ''].join('\n');
  const peer = mkdtempSync(join(tmpdir(), 'sockdoc-h22fw-peer-'));
  t.after(() => rmSync(peer, { recursive: true, force: true }));
  writeFileSync(join(peer, 'nginx.conf'), conf);
  const web = `nginx-${id}`;
  const nginxPid = docker.run(web, { publish: ['9002:80'], mounts: { [peer]: '/peer' } }, ['/usr/sbin/nginx', '-c', '/peer/nginx.conf', '-g', 'daemon off;']);
  await sleep(500);
  const d = run(['--container', web, '--interval', '0', '--json']);
  assert.ok(d.stdout.startsWith('{'), d.stderr);
  const programs = (JSON.parse(d.stdout) as { programs: Array<{ pid: number; files: string[]; caps: Array<{ value: number; file: string; line: number }> }> }).programs;
  const mine = programs.find((p) => p.pid === nginxPid);
  assert.ok(mine, `nginx (pid ${nginxPid}) is read: ${d.stderr}`);
  assert.deepEqual([mine.caps[0]?.value, mine.caps[0]?.file, mine.caps[0]?.line], [64, '/peer/nginx.conf', 5], JSON.stringify(mine));
  const published = run(['port', '9002', '--netns', ns, '--interval', '0']);
  assert.match(published.stdout.split('\n')[0], new RegExp(`Port 9002 is published by docker-proxy .* in docker container ${web} \\([0-9a-f]{12}\\), which listens on 0\\.0\\.0\\.0:80: reachable`));

  // The same from a capture of that namespace: the NAT rules and the containers' addresses travel with it.
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-h22fw-capture-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'c');
  // Only what this test made (the docker-proxy, the containers): their namespaces come with them.
  const proxies = j.forwarders.flatMap((h) => h.pids);
  const cap = run(['capture', out, '--pid', [...proxies, loPid, nginxPid].join(',')]);
  assert.ok(cap.status === 0 || cap.status === 1, cap.stderr);
  const again = run(['port', '9000', '--root', out, '--netns', ns, '--interval', '0', '--json']);
  assert.equal(again.status, 2, again.stderr);
  assert.equal((JSON.parse(again.stdout) as { headline: string }).headline, j.headline);
  // The container's nginx.conf was copied from its own filesystem, and is read there again.
  const fromCapture = run(['--root', out, '--container', web, '--interval', '0', '--json']);
  const inCapture = (JSON.parse(fromCapture.stdout) as { programs: Array<{ pid: number; caps: Array<{ value: number; file: string }> }> }).programs.find((p) => p.pid === nginxPid);
  assert.deepEqual([inCapture?.caps[0]?.value, inCapture?.caps[0]?.file], [64, '/peer/nginx.conf'], fromCapture.stderr);
});

test('socat forwarding to a port nothing listens on: the hop is refused', { skip: process.getuid?.() !== 0 ? 'needs root' : findOnPath('socat') ? false : 'needs socat', timeout: 60_000 }, async (t) => {
  const sc = scene();
  const ns = `sockdoc-h22socat-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  t.after(() => sc.close());
  sc.netns(ns);
  const child = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', 'socat TCP-LISTEN:7000,fork,reuseaddr TCP:127.0.0.1:7001 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  for (let i = 0; i < 50; i++) {
    if (spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Hltn', 'sport = :7000'], { encoding: 'utf8' }).stdout.includes('7000')) break;
    await sleep(100);
  }
  const r = run(['port', '7000', '--netns', ns, '--interval', '0']);
  assert.equal(r.status, 2, r.stdout);
  assert.match(r.stdout.split('\n')[0], /Port 7000 is forwarded by socat \(pid \d+\) to 127\.0\.0\.1:7001, but nothing listens on port 7001 .*: the forwarded connections are refused/);
});

/**
 * `sockdoc port P` against real listeners in a network namespace of our own (loopback only):
 * nothing listening, 127.0.0.1 only, IPv6 only ([::]:P, IPV6_V6ONLY) and dual-stack (*:P). The
 * listener spelling is checked against `ss -ltnH` run in the same namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../testing/paths.js';
import { createNetns, destroyNetns, inNetns } from '../../scripts/bench/netns.js';
import { LISTENERS, startPeer } from '../testing/pressure-peers.js';
import { uniqueName } from '../testing/unique.js';

const isRoot = process.getuid?.() === 0;

function runIn(ns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const [c, a] = inNetns(ns, cmd, args);
  const r = spawnSync(c, a, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface PortDoc {
  verdict: string;
  severity: string;
  exitCode: number;
  headline: string;
  listeners: Array<{ ssLocal: string; v6only: boolean | null; ipv4: boolean | null; owners: Array<{ pid: number; softLimit: number | null }> }>;
}

test('sockdoc port: nothing listening, loopback only, IPv6 only, dual-stack; spelled as ss spells them', { skip: !isRoot && 'needs root (ip netns)' }, async () => {
  const ns = uniqueName('sockdoc-i10-port');
  createNetns(ns);
  try {
    const peer = startPeer(ns, LISTENERS, ['127.0.0.1|7202', '::|7201|v6only', '::|7203|dual', '127.0.0.1|7205', '::|7205|v6only']);
    await peer.line('listening');
    const ss = runIn(ns, 'ss', ['-ltnH']).stdout;
    // Every verdict is about this namespace (--netns): sockdoc reads every namespace of the host, and
    // a listener on one of these ports elsewhere (another test, a host in trouble) is not ours to judge.
    const port = (p: number, env: NodeJS.ProcessEnv = {}) => {
      const r = runIn(ns, process.execPath, [cliPath, 'port', String(p), '--netns', ns, '--json', '--interval', '0'], env);
      const doc = JSON.parse(r.stdout) as PortDoc;
      assert.equal(doc.exitCode, r.code, 'exit status = exitCode');
      return doc;
    };

    const none = port(7204);
    assert.equal(none.verdict, 'not-listening');
    assert.equal(none.exitCode, 2);
    assert.deepEqual(none.listeners, []);

    const loop = port(7202);
    assert.equal(loop.verdict, 'loopback-only');
    assert.equal(loop.exitCode, 1);
    assert.equal(loop.listeners[0].ssLocal, '127.0.0.1:7202');
    assert.equal(loop.listeners[0].owners[0].pid, peer.child.pid, 'ip netns exec execs node: the peer owns the listener');
    assert.ok(loop.listeners[0].owners[0].softLimit !== null, "the owner's fd limit is shown");

    const v6 = port(7201);
    assert.equal(v6.verdict, 'ipv6-only');
    assert.equal(v6.exitCode, 1);
    assert.equal(v6.listeners[0].v6only, true);
    assert.equal(v6.listeners[0].ssLocal, '[::]:7201');

    // [::]:P IPv6-only beside 127.0.0.1:P: IPv4 clients from other hosts still find nothing.
    const mixed = port(7205);
    assert.equal(mixed.verdict, 'ipv6-only');
    assert.equal(mixed.exitCode, 1);
    assert.match(mixed.headline, /^Port 7205 listens for IPv6, and for IPv4 on loopback only \(.*\): IPv4 clients from other hosts are refused$/);

    const dual = port(7203);
    assert.equal(dual.verdict, 'listening');
    assert.equal(dual.exitCode, 0);
    assert.equal(dual.listeners[0].v6only, false);
    assert.equal(dual.listeners[0].ipv4, true);
    assert.equal(dual.listeners[0].ssLocal, '*:7203');

    for (const spelled of ['127.0.0.1:7202', '[::]:7201', '*:7203']) {
      assert.ok(ss.split('\n').some((l) => l.split(/\s+/).includes(spelled)), `ss -ltnH prints ${spelled}:\n${ss}`);
    }

    // /proc/net/tcp6 as the socket source: v6only still comes from the listeners' sock_diag dump.
    assert.equal(port(7201, { SOCKDOC_NET_SOURCE: 'proc' }).verdict, 'ipv6-only');

    // diagnose --port on a port nobody listens on is not "no problems".
    const diag = runIn(ns, process.execPath, [cliPath, '--port', '7204', '--netns', ns, '--interval', '0', '--no-color']);
    assert.equal(diag.code, 2);
    assert.match(diag.stdout, /CRITICAL {2}Nothing listens on port 7204/);
    assert.doesNotMatch(diag.stdout, /No problems found/);
    const diagJson = JSON.parse(runIn(ns, process.execPath, [cliPath, '--port', '7204', '--netns', ns, '--interval', '0', '--json']).stdout) as { exitCode: number; portCheck?: { verdict: string } };
    assert.equal(diagJson.exitCode, 2);
    assert.equal(diagJson.portCheck?.verdict, 'not-listening');
    const listening = JSON.parse(runIn(ns, process.execPath, [cliPath, '--port', '7203', '--netns', ns, '--interval', '0', '--json']).stdout) as { portCheck?: unknown };
    assert.equal(listening.portCheck, undefined, 'a healthy port adds nothing');
  } finally {
    assert.deepEqual(destroyNetns(ns), []);
  }
});

test('sockdoc port: bad arguments exit 3 with one line', () => {
  for (const [args, re] of [
    [['port'], /port needs exactly one port number/],
    [['port', '0'], /^sockdoc: the port must be between 1 and 65535, got '0'$/],
    [['port', '99999999999999999999'], /got '99999999999999999999'$/],
    [['port', 'no-such-service'], /^sockdoc: 'no-such-service' is not a port number \(1\.\.65535\), nor a TCP service in \/etc\/services$/],
    [['port', '80', '--interval', '-1'], /^sockdoc: --interval -1: a value cannot start with '-'/],
    [['port', '80', '81'], /port needs exactly one port number/],
    [['port', '80', '--root', '/nonexistent/x'], /--root \/nonexistent\/x: no such directory/],
  ] as const) {
    const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0], re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('sockdoc port NAME: a service name of /etc/services is its port, said on stderr', () => {
  const r = spawnSync(process.execPath, [cliPath, 'port', 'ssh', '--json', '--interval', '0'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.stderr.split('\n')[0], 'sockdoc: ssh is TCP port 22 (/etc/services)');
  assert.equal((JSON.parse(r.stdout) as { port: number }).port, 22);
});

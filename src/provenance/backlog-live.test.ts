/**
 * Live (root): a Node.js server with the default backlog (511) that stops accepting, filled by real
 * loopback clients until its accept queue is full; `sockdoc --json --port P` must name Node's own
 * knob, `server.listen({ backlog })`, since the queue is capped by the program, not by somaxconn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cliPath } from '../testing/paths.js';
import { alive, sleep } from '../testing/live.js';

const isRoot = process.getuid?.() === 0;

// Listens on 127.0.0.1 with Node's default backlog, prints the port, then blocks its event loop so
// nothing is accepted (a blocked program, the story). Bounded: exits after 40 s.
const SERVER = `
const s = require('net').createServer();
s.listen(0, '127.0.0.1', () => {
  process.stdout.write(s.address().port + '\\n');
  setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 40000), 50);
});`;

// Opens N connections to the port and keeps them; errors (a full queue drops SYNs) are ignored. Bounded: 40 s.
const CLIENTS = `
const net = require('net');
const port = Number(process.argv[1]);
for (let i = 0; i < 700; i++) net.connect(port, '127.0.0.1').on('error', () => {});
setTimeout(() => process.exit(0), 40000);`;

interface Finding {
  id: string;
  explain: string;
  fix: string[];
  evidence: Record<string, unknown>;
}

test('a Node server with the default backlog at full queue gets the Node knob in its fix', { skip: !isRoot ? 'needs root: reads the server\'s sockets' : false, timeout: 60_000 }, async () => {
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  assert.ok(somaxconn > 511, `this test needs net.core.somaxconn above Node's 511 (Linux ≥ 5.4 has 4096), found ${somaxconn}`);
  let server: ChildProcess | null = null;
  let clients: ChildProcess | null = null;
  try {
    server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'ignore'] });
    const port = await new Promise<number>((resolve, reject) => {
      server?.stdout?.once('data', (d) => resolve(Number(String(d).trim())));
      setTimeout(() => reject(new Error('the server did not report its port')), 10_000);
    });
    clients = spawn(process.execPath, ['-e', CLIENTS, String(port)], { stdio: 'ignore' });
    let finding: Finding | undefined;
    for (let i = 0; i < 30 && !finding; i++) {
      await sleep(300);
      const r = spawnSync(process.execPath, [cliPath, '--json', '--interval', '0', '--port', String(port)], { encoding: 'utf8', timeout: 20_000 });
      const doc = JSON.parse(r.stdout) as { findings: Finding[] };
      finding = doc.findings.find((f) => f.id === 'accept-queue-full');
    }
    assert.ok(finding, 'the accept queue never showed as full');
    assert.equal(finding.evidence.backlog, 511);
    assert.equal(finding.evidence.limitBasis, 'backlog');
    assert.match(finding.explain, /the backlog the program itself passed to listen\(\), below net\.core\.somaxconn/);
    assert.ok(finding.fix.includes(`server.listen({ port: ${port}, backlog: 2044 })   # in the program: Node's net/http listen() asks for 511 unless told`), finding.fix.join('\n'));
    assert.ok(finding.fix.some((l) => /own listen\(\) backlog 511, below net\.core\.somaxconn/.test(l)));
  } finally {
    for (const c of [clients, server]) if (c?.pid && alive(c.pid)) c.kill('SIGKILL');
  }
});

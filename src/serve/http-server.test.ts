/**
 * The exporter's connection bound, on real loopback sockets: idle connections beyond it are closed
 * at once and that is logged; an idle connection is closed after headersTimeout (10 s), not the
 * 25-30 s Node's default checking interval gave; a client is served again once they are gone.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { parseListen } from './listen.js';
import { startHttpServer } from './http-server.js';
import { httpGet } from './testing/processes.js';

const ok = [{ method: 'GET' as const, path: '/ok', handle: (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void res.end('ok') }];

/** An idle connection (half a request line), resolved once connected; `closed` when the server closes it. */
function idle(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n');
      resolve({ socket, closed: new Promise((done) => socket.on('close', () => done(Date.now() - t0))) });
    });
    socket.resume(); // read what the server sends (its 408), so that its close is seen
    socket.on('error', () => undefined); // a reset by the server is the point
    socket.once('error', reject);
  });
}

test('beyond maxConnections new connections are closed at once and it is logged; idle ones end after ~10 s; then it serves again', async () => {
  const lines: string[] = [];
  const server = await startHttpServer(parseListen('127.0.0.1:0'), ok, () => undefined, { maxConnections: 3, log: (l) => lines.push(l) });
  const held: Array<{ socket: Socket; closed: Promise<number> }> = [];
  try {
    for (let i = 0; i < 5; i++) held.push(await idle(server.address.port));
    const extra = await Promise.race([held[4].closed, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
    assert.ok(extra >= 0, 'the fifth connection was closed at once');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^3 connections are open, the most it holds: new ones are closed until some end/);
    // The held ones are closed by headersTimeout (10 s) within the 1 s checking interval.
    const lived = await Promise.race([held[0].closed, new Promise<number>((r) => setTimeout(() => r(-1), 20_000))]);
    assert.ok(lived >= 9_000 && lived <= 15_000, `an idle connection lived ${lived} ms`);
    await Promise.all(held.slice(0, 3).map((h) => h.closed));
    assert.equal((await httpGet({ host: '127.0.0.1', port: server.address.port }, '/ok')).body, 'ok');
  } finally {
    for (const h of held) h.socket.destroy();
    await server.close();
  }
});

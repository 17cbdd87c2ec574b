/**
 * The exporter's HTTP side on real loopback sockets: connections bounded per peer (a peer's own
 * idle connections make room for its new ones; with every slot taken the peer holding the most
 * loses one, so a newcomer with one connection gets in), an idle connection closed after
 * headersTimeout (10 s) rather than Node's 25-30 s, and the Host check in front of every route.
 * Peers here are told apart by an injected uid lookup (the real one, by the kernel's socket
 * table, is exercised in web-hardening-live.test.ts with a real second user).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { parseListen } from './listen.js';
import { startHttpServer } from './http-server.js';
import { httpGet, rawHttp } from './testing/processes.js';

const ok = [{ method: 'GET' as const, path: '/ok', handle: (_req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void res.end('ok') }];

interface Held {
  socket: Socket;
  closed: Promise<number>;
  port: number;
}

/** An idle connection (half a request line), resolved once connected; `closed` when the server closes it. */
function idle(port: number, localAddress?: string): Promise<Held> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => {
      socket.write('GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      resolve({ socket, closed: new Promise((done) => socket.on('close', () => done(Date.now() - t0))), port: socket.localPort! });
    });
    socket.resume(); // read what the server sends (its 408), so that its close is seen
    socket.on('error', () => undefined); // a reset by the server is the point
    socket.once('error', reject);
  });
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

/** A connection that made one request and keeps its connection open (keep-alive), resolved after the answer. */
function keptAlive(port: number): Promise<Held> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - t0)));
    socket.on('data', (d: Buffer) => {
      if (d.toString().endsWith('ok')) resolve({ socket, closed, port: socket.localPort! });
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

test('a peer at its bound: a hoarder\'s newest attempts are refused, a browser\'s least recently used keep-alive connection makes room; each said once', async () => {
  const lines: string[] = [];
  const server = await startHttpServer(parseListen('127.0.0.1:0'), ok, () => undefined, { connections: { total: 50, perPeer: 3 }, uidLookup: null, log: (l) => lines.push(l) });
  const held: Held[] = [];
  try {
    for (let i = 0; i < 5; i++) held.push(await idle(server.address.port));
    assert.notEqual(await within(held[3].closed, 3000), 'timeout', 'the fourth was refused');
    assert.notEqual(await within(held[4].closed, 3000), 'timeout', 'the fifth too');
    assert.equal(await within(held[0].closed, 300), 'timeout', 'the first three stay');
    assert.deepEqual(lines, ['refused connections of 127.0.0.1: it holds 3, the most one peer may, none of them idle after a request']);
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    held.length = 0;
    // Keep-alive connections that served a request: the least recently used one makes room.
    for (let i = 0; i < 3; i++) held.push(await keptAlive(server.address.port));
    const fourth = await keptAlive(server.address.port);
    held.push(fourth);
    assert.notEqual(await within(held[0].closed, 3000), 'timeout', 'the least recently used went');
    assert.equal(await within(held[1].closed, 300), 'timeout');
    assert.ok(lines.some((l) => /^closed an idle connection of 127\.0\.0\.1 to make room for one of 127\.0\.0\.1 \(at most 3 per peer, 50 in all\)$/.test(l)), lines.join('\n'));
  } finally {
    for (const h of held) h.socket.destroy();
    await server.close();
  }
});

test('every slot taken by one peer: a scraper with one connection is served every time; the hoarder loses its oldest idle ones', async () => {
  // Peers by address here (no uid lookup): the hoarder connects from 127.0.0.2, the scraper from 127.0.0.1.
  const server = await startHttpServer(parseListen('127.0.0.1:0'), ok, () => undefined, { connections: { total: 6, perPeer: 6 }, uidLookup: null });
  const held: Held[] = [];
  try {
    for (let i = 0; i < 6; i++) held.push(await idle(server.address.port, '127.0.0.2'));
    for (let i = 0; i < 20; i++) {
      const r = await httpGet({ host: '127.0.0.1', port: server.address.port }, '/ok');
      assert.equal(r.body, 'ok', `scrape ${i}`);
    }
    assert.notEqual(await within(held[0].closed, 3000), 'timeout', "the hoarder's oldest went");
    assert.equal(await within(held[5].closed, 300), 'timeout', 'its newest stays (one scrape at a time needs one slot)');
  } finally {
    for (const h of held) h.socket.destroy();
    await server.close();
  }
});

test('all of a peer\'s connections busy: its next one is refused at once, and that is said', async () => {
  const lines: string[] = [];
  const hang = [{ method: 'GET' as const, path: '/hang', handle: () => undefined }];
  const server = await startHttpServer(parseListen('127.0.0.1:0'), hang, () => undefined, { connections: { total: 50, perPeer: 2 }, uidLookup: null, log: (l) => lines.push(l) });
  const reqs: Array<ReturnType<typeof request>> = [];
  try {
    for (let i = 0; i < 2; i++) {
      const r = request({ host: '127.0.0.1', port: server.address.port, path: '/hang', agent: false });
      r.on('error', () => undefined);
      r.end();
      reqs.push(r);
    }
    await new Promise((r) => setTimeout(r, 300));
    const third = await idle(server.address.port);
    assert.notEqual(await within(third.closed, 3000), 'timeout', 'refused');
    assert.ok(lines.some((l) => /^refused connections of 127\.0\.0\.1: it holds 2, the most one peer may, none of them idle after a request/.test(l)), lines.join('\n'));
  } finally {
    for (const r of reqs) r.destroy();
    await server.close();
  }
});

test('an idle connection ends after ~10 s (headersTimeout, checked every second)', async () => {
  const server = await startHttpServer(parseListen('127.0.0.1:0'), ok, () => undefined);
  const held = await idle(server.address.port);
  try {
    const lived = await within(held.closed, 20_000);
    assert.ok(lived !== 'timeout' && lived >= 9_000 && lived <= 15_000, `an idle connection lived ${lived} ms`);
  } finally {
    held.socket.destroy();
    await server.close();
  }
});

const raw = (port: number, lines: string[]) => rawHttp(port, lines);

test('the Host check answers before any route: 421 and the connection closed for a foreign name, 400 for a malformed request; logged once', async () => {
  const lines: string[] = [];
  const server = await startHttpServer(parseListen('127.0.0.1:0'), ok, () => undefined, { allowHosts: [{ host: 'metrics.example', port: null }], log: (l) => lines.push(l) });
  const port = server.address.port;
  try {
    const foreign = await raw(port, ['GET /ok HTTP/1.1', 'Host: evil.example']);
    assert.match(foreign, /^HTTP\/1\.1 421 Misdirected Request\r\n/);
    assert.match(foreign, /\r\nConnection: close\r\n/i);
    assert.doesNotMatch(foreign, /\r\n\r\nok/, 'no route ran');
    assert.match(await raw(port, ['GET /nope HTTP/1.1', 'Host: evil.example']), /^HTTP\/1\.1 421 /, 'a 404 is not told either');
    assert.match(await raw(port, ['GET /ok HTTP/1.1', 'Host: 127.0.0.1', 'Host: evil.example']), /^HTTP\/1\.1 400 /);
    assert.match(await raw(port, ['GET http://evil.example/ok HTTP/1.1', 'Host: 127.0.0.1']), /^HTTP\/1\.1 400 /);
    assert.match(await raw(port, ['GET /ok HTTP/1.1']), /^HTTP\/1\.1 400 /, 'HTTP/1.1 without Host');
    assert.match(await raw(port, ['GET /ok HTTP/1.0']), /^HTTP\/1\.1 200 [^]*\r\n\r\nok$/, 'HTTP/1.0 without Host');
    for (const h of [`127.0.0.1:${port}`, 'localhost', `METRICS.example.:${port}`]) assert.match(await raw(port, ['GET /ok HTTP/1.1', `Host: ${h}`, 'Connection: close']), /^HTTP\/1\.1 200 [^]*ok$/, h);
    const refusals = lines.filter((l) => l.startsWith('refused a request'));
    assert.equal(refusals.length, 1, lines.join('\n'));
    assert.match(refusals[0], /^refused a request from uid \d+: a name this exporter does not answer to \('evil\.example'\); this exporter answers to 127\.0\.0\.1, localhost, metrics\.example, --allow-host adds a name$/);
  } finally {
    await server.close();
  }
});

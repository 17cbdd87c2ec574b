import test from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { DEFAULT_LISTEN, formatListen, isLoopback, ListenError, parseListen } from './listen.js';
import { startHttpServer } from './http-server.js';

/** Connects to host:port and resolves with the address the server saw it come from. */
function connectFrom(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect({ host, port, timeout: 5000 }, () => {
      c.write('GET /who HTTP/1.0\r\n\r\n');
    });
    let body = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (body += d));
    c.on('end', () => resolve(body.split('\r\n\r\n')[1] ?? ''));
    c.on('timeout', () => c.destroy(new Error(`no answer from ${host}:${port}`)));
    c.on('error', reject);
  });
}

test('--listen takes IPv4, bracketed IPv6, localhost and ":PORT"', () => {
  assert.deepEqual(parseListen(DEFAULT_LISTEN), { host: '127.0.0.1', port: 9659 });
  assert.deepEqual(parseListen('[::1]:9659'), { host: '::1', port: 9659 });
  assert.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 });
  assert.deepEqual(parseListen(':9659'), { host: '::', port: 9659, anyFamily: true });
  assert.deepEqual(parseListen('0.0.0.0:9659'), { host: '0.0.0.0', port: 9659 });
  assert.deepEqual(parseListen('[::]:0'), { host: '::', port: 0 });
});

test('a bad --listen is refused with the value quoted', () => {
  for (const bad of ['9659', 'nope', '127.0.0.1', '127.0.0.1:', '127.0.0.1:70000', '::1:9659', '[127.0.0.1]:9659', '300.1.1.1:80', 'example.com:80', '[::1]9659', '127.0.0.1:80 ', '127.0.0.1:-1']) {
    assert.throws(() => parseListen(bad), (err: unknown) => err instanceof ListenError && err.message.includes(`'${bad}'`), bad);
  }
});

test('loopback addresses are told apart from the rest', () => {
  assert.equal(isLoopback(parseListen('127.0.0.1:1')), true);
  assert.equal(isLoopback(parseListen('127.8.0.1:1')), true);
  assert.equal(isLoopback(parseListen('[::1]:1')), true);
  assert.equal(isLoopback(parseListen(':1')), false);
  assert.equal(isLoopback(parseListen('[::]:1')), false);
  assert.equal(formatListen({ host: '::1', port: 5 }), '[::1]:5');
  assert.equal(formatListen({ host: '10.0.0.1', port: 5 }), '10.0.0.1:5');
});

test('":PORT" binds every address of both families: an IPv4 and an IPv6 loopback client both connect; "0.0.0.0:PORT" stays IPv4', async () => {
  const who = [{ method: 'GET' as const, path: '/who', handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void res.end(req.socket.remoteAddress) }];
  const any = await startHttpServer(parseListen(':0'), who, () => undefined);
  try {
    assert.equal(any.address.host, '::');
    assert.equal(any.address.anyFamily, true);
    assert.equal(await connectFrom('127.0.0.1', any.address.port), '::ffff:127.0.0.1');
    assert.equal(await connectFrom('::1', any.address.port), '::1');
  } finally {
    await any.close();
  }
  const v4 = await startHttpServer(parseListen('0.0.0.0:0'), who, () => undefined);
  try {
    assert.equal(v4.address.host, '0.0.0.0');
    assert.equal(await connectFrom('127.0.0.1', v4.address.port), '127.0.0.1');
    await assert.rejects(connectFrom('::1', v4.address.port), /ECONNREFUSED/);
  } finally {
    await v4.close();
  }
});

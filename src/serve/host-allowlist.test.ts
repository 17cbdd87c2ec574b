import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, HostAllowlist, parseAllowHost, parseHostHeader, type HostRequest } from './host-allowlist.js';

const req = (host: string | string[] | null, extra: Partial<HostRequest> = {}): HostRequest => ({
  hosts: host === null ? [] : Array.isArray(host) ? host : [host],
  httpVersion: '1.1',
  url: '/metrics',
  localAddress: '127.0.0.1',
  localPort: 9659,
  ...extra,
});

const loopback = new HostAllowlist({ listenHost: '127.0.0.1', allow: [], interfaceAddresses: () => ['127.0.0.1', '[::1]', '10.0.0.5'] });

test('the listen address and localhost, without a port or with the serving port, in any case and with one trailing dot', () => {
  for (const h of ['127.0.0.1', '127.0.0.1:9659', '127.0.0.1.', 'localhost', 'localhost:9659', 'LOCALHOST', 'LocalHost.:9659', 'localhost:']) {
    assert.deepEqual(loopback.check(req(h)), { ok: true }, h);
  }
});

test('DNS rebinding: any other name is 421, whatever it resolves to; so are other addresses and ports', () => {
  for (const h of ['evil.example', 'evil.example:9659', 'EVIL.example.', '127.0.0.1.nip.io', 'localhost.evil.example', 'evil.localhost', 'localhost..', '10.0.0.5', '[::1]', '127.0.0.2', '127.0.0.1:9660', 'localhost:80']) {
    const v = loopback.check(req(h));
    assert.equal(v.ok, false, h);
    assert.equal(!v.ok && v.status, 421, h);
  }
});

test('a Host that is no host, two of them, none under HTTP/1.1, an absolute-form target: 400', () => {
  for (const [r, why] of [
    [req('evil.example@127.0.0.1'), /not a host/],
    [req('127.0.0.1:99999'), /not a host/],
    [req('127.0.0.1:0'), /not a host/],
    [req('1.2.3.4.5'), /not a host/],
    [req('[::1'), /not a host/],
    [req('127.0.0.1 evil'), /not a host/],
    [req('127%2e0.0.1'), /not a host/],
    [req('[fe80::1%25lo]'), /not a host/],
    [req(''), /not a host/],
    [req(['127.0.0.1', 'evil.example']), /more than one/],
    [req(null), /no Host/],
    [req('127.0.0.1', { url: 'http://evil.example/metrics' }), /absolute-form/],
  ] as const) {
    const v = loopback.check(r);
    assert.equal(v.ok, false, JSON.stringify(r));
    assert.equal(!v.ok && v.status, 400, JSON.stringify(r));
    assert.match(!v.ok ? v.why : '', why);
  }
});

test('HTTP/1.0 without Host is served (no browser sends that: no rebinding rides on it)', () => {
  assert.deepEqual(loopback.check(req(null, { httpVersion: '1.0' })), { ok: true });
  assert.equal(loopback.check(req('evil.example', { httpVersion: '1.0' })).ok, false, 'a Host it does send is checked');
});

test('IP literals compare canonically: IPv6 compressed, IPv4-mapped as IPv4', () => {
  assert.equal(canonicalIp('[0:0:0:0:0:0:0:1]'), '[::1]');
  assert.equal(canonicalIp('::FFFF:127.0.0.1'), '127.0.0.1');
  assert.equal(canonicalIp('[::ffff:7f00:1]'), '127.0.0.1');
  assert.equal(canonicalIp('example.com'), null);
  const v6 = new HostAllowlist({ listenHost: '::1', allow: [] });
  for (const h of ['[::1]', '[::1]:9659', '[0:0:0:0:0:0:0:1]:9659', 'localhost']) assert.deepEqual(v6.check(req(h, { localAddress: '::1' })), { ok: true }, h);
  assert.equal(v6.check(req('127.0.0.1', { localAddress: '::1' })).ok, false, 'not the listen address');
  assert.deepEqual(loopback.check(req('[::ffff:127.0.0.1]:9659')), { ok: true }, 'the IPv4-mapped form of the listen address');
});

test('wildcard listen (0.0.0.0, ::): the address the client reached or any interface address; still no foreign name', () => {
  for (const listenHost of ['0.0.0.0', '::']) {
    const any = new HostAllowlist({ listenHost, allow: [], interfaceAddresses: () => ['127.0.0.1', '[::1]', '10.0.0.5', '[fd00::5]'] });
    for (const h of ['10.0.0.5:9659', '[fd00::5]:9659', '127.0.0.1', 'localhost:9659']) assert.deepEqual(any.check(req(h, { localAddress: '::ffff:10.0.0.5' })), { ok: true }, `${listenHost} ${h}`);
    assert.deepEqual(any.check(req('192.0.2.7:9659', { localAddress: '::ffff:192.0.2.7' })), { ok: true }, 'the address reached (a DNAT or an address added since)');
    for (const h of ['192.0.2.8', 'evil.example:9659', 'node1.example', '10.0.0.5:80']) assert.equal(any.check(req(h, { localAddress: '10.0.0.5' })).ok, false, `${listenHost} ${h}`);
  }
});

test('--allow-host NAME (with the serving port or none), NAME:PORT (that port only: a tunnel), IP literals too', () => {
  const a = new HostAllowlist({ listenHost: '127.0.0.1', allow: ['Metrics.Example.com.', 'localhost:8080', '[fd00::5]'].map(parseAllowHost) });
  for (const h of ['metrics.example.com', 'metrics.example.com:9659', 'METRICS.example.com.', 'localhost:8080', '[fd00:0::5]:9659']) assert.deepEqual(a.check(req(h)), { ok: true }, h);
  for (const h of ['metrics.example.com:8080', 'other.example.com', 'sub.metrics.example.com', 'localhost:8081']) assert.equal(a.check(req(h)).ok, false, h);
  assert.match(a.describe(), /^127\.0\.0\.1, localhost, metrics\.example\.com, localhost:8080, \[fd00::5\]$/);
  for (const bad of ['', 'a b', 'http://x', 'x:70000', 'user@host', '*']) assert.throws(() => parseAllowHost(bad), /--allow-host/, bad);
});

test('parseHostHeader splits and canonicalises', () => {
  assert.deepEqual(parseHostHeader('Example.COM.:8080'), { host: 'example.com', port: 8080 });
  assert.deepEqual(parseHostHeader('[::1]'), { host: '[::1]', port: null });
  assert.deepEqual(parseHostHeader('127.0.0.1.'), { host: '127.0.0.1', port: null });
  assert.equal(parseHostHeader('.'), null);
});

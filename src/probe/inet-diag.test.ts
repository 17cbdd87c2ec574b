import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { parseInetDiag, waitFromTcpInfo } from './inet-diag.js';
import { parseNetTcp } from './net-tcp.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

const busy = fixture('net', 'busy');
const LE = endianness() === 'LE';

test('the captured dump holds the five listeners of the busy namespace with their limits', () => {
  const msgs = parseInetDiag(readFileSync(join(busy, 'sock_diag/tcp-listen.bin')));
  assert.deepEqual(
    msgs.map((m) => [m.family, m.localAddress, m.localPort, m.rqueue, m.wqueue, m.inode]),
    [
      [4, '0.0.0.0', 8084, 0, 32, 344027],
      [4, '127.0.0.1', 8080, 129, 128, 344023], // listen(511) clamped to somaxconn 128; queue 128 + 1
      [6, '::', 8082, 0, 64, 344025],
      [6, '::', 8083, 0, 10, 344026],
      [6, '::1', 8081, 0, 128, 344024],
    ],
  );
  assert.ok(msgs.every((m) => m.state === 'LISTEN' && m.remotePort === 0 && m.uid === 0 && m.cookie > 0n));
});

test('sock_diag and /proc/net/tcp describe the same listener: rxQueue 129 there, backlog 128 here', () => {
  const proc = parseNetTcp(readFileSync(join(busy, 'proc/net/tcp'), 'latin1'), 4).find((s) => s.state === 'LISTEN' && s.localPort === 8080);
  const diag = parseInetDiag(readFileSync(join(busy, 'sock_diag/tcp-listen.bin'))).find((m) => m.inode === proc?.inode);
  assert.equal(proc?.rxQueue, 129);
  assert.equal(diag?.rqueue, 129);
  assert.equal(diag?.wqueue, 128);
  assert.equal(diag?.localAddress, proc?.localAddress);
});

test('a dump cut in the middle of a message is a ParseError naming the message', () => {
  const file = join(fixture('net', 'broken'), 'sock_diag/tcp-listen.bin');
  assert.throws(
    () => parseInetDiag(readFileSync(file), file),
    (e: unknown) => e instanceof ParseError && e.file === file && e.line === 2 && /runs past the 164 bytes/.test(e.reason),
  );
});

/** One netlink message: header (host order) + body. */
function nlmsg(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  const len = 16 + body.length;
  if (LE) {
    h.writeUInt32LE(len, 0);
    h.writeUInt16LE(type, 4);
  } else {
    h.writeUInt32BE(len, 0);
    h.writeUInt16BE(type, 4);
  }
  return Buffer.concat([h, body, Buffer.alloc((4 - (len % 4)) % 4)]);
}
const int32 = (v: number) => {
  const b = Buffer.alloc(4);
  if (LE) b.writeInt32LE(v);
  else b.writeInt32BE(v);
  return b;
};

test('truncation, kernel errors and strange messages are ParseErrors, each with its reason', () => {
  const reason = (buf: Buffer) => {
    try {
      parseInetDiag(buf);
    } catch (e) {
      assert.ok(e instanceof ParseError);
      return e.reason;
    }
    assert.fail('no ParseError');
  };
  const done = nlmsg(3, int32(0));
  assert.deepEqual(parseInetDiag(done), []);
  assert.match(reason(Buffer.alloc(0)), /no NLMSG_DONE/);
  assert.match(reason(nlmsg(2, Buffer.concat([int32(-1), Buffer.alloc(16)]))), /NLMSG_ERROR errno 1/);
  assert.match(reason(nlmsg(3, int32(-16))), /dump ended with errno 16/);
  assert.match(reason(Buffer.concat([nlmsg(99, Buffer.alloc(4)), done])), /unexpected netlink message type 99/);
  assert.match(reason(Buffer.concat([nlmsg(20, Buffer.alloc(40)), done])), /inet_diag_msg of 40 bytes, expected 72/);
  const msg = Buffer.alloc(72);
  msg[0] = 7; // AF_LOCAL
  msg[1] = 10;
  assert.match(reason(Buffer.concat([nlmsg(20, msg), done])), /address family 7/);
  msg[0] = 2;
  msg[1] = 12; // TCP_NEW_SYN_RECV is never reported (inet_req_diag_fill says SYN_RECV)
  assert.match(reason(Buffer.concat([nlmsg(20, msg), done])), /unknown TCP state 12/);
  // a second dump without its NLMSG_DONE
  msg[1] = 10;
  assert.match(reason(Buffer.concat([done, nlmsg(20, msg)])), /no NLMSG_DONE/);
  assert.equal(parseInetDiag(Buffer.concat([nlmsg(20, msg), done]))[0].state, 'LISTEN');
});

test('INET_DIAG_SKV6ONLY of captured IPv6 listeners is decoded; IPv4 listeners have none', () => {
  const msgs = parseInetDiag(readFileSync(join(busy, 'sock_diag/tcp-listen.bin')));
  for (const m of msgs) {
    if (m.family === 4) assert.equal(m.v6only, null, `${m.localAddress}:${m.localPort}`);
    else assert.equal(typeof m.v6only, 'boolean', `${m.localAddress}:${m.localPort} carries the attribute`);
  }
  // The seed's server listened on [::]:8889 dual-stack (python's default): v6only false, as ss prints *:8889.
  const seed = parseInetDiag(readFileSync(fixture('hosts', 'seed-queue-full', 'sock_diag', 'tcp-listen.bin')));
  assert.deepEqual(seed.filter((m) => m.localPort === 8889).map((m) => [m.localAddress, m.v6only]), [['::', false]]);
});

/** One attribute: struct rtattr (host order) + payload, padded to 4 bytes. */
function rtattr(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  if (LE) {
    h.writeUInt16LE(4 + payload.length, 0);
    h.writeUInt16LE(type, 2);
  } else {
    h.writeUInt16BE(4 + payload.length, 0);
    h.writeUInt16BE(type, 2);
  }
  return Buffer.concat([h, payload, Buffer.alloc((4 - (payload.length % 4)) % 4)]);
}
const u32s = (values: number[]) => Buffer.concat(values.map((v) => int32(v | 0)));

test('INET_DIAG_SKMEMINFO gives a listener its drops (the 9th value); INET_DIAG_INFO a connection its tcp_info times', () => {
  const listen = Buffer.alloc(72);
  listen[0] = 10;
  listen[1] = 10;
  const meminfo = rtattr(7, u32s([0, 131072, 0, 16384, 0, 0, 0, 0, 108]));
  const estab = Buffer.alloc(72);
  estab[0] = 2;
  estab[1] = 1;
  const info = Buffer.alloc(232);
  info.set(int32(4016), 44); // tcpi_last_data_sent
  info.set(int32(1868), 52); // tcpi_last_data_recv
  info.set(int32(1860), 56); // tcpi_last_ack_recv
  const old = rtattr(7, u32s([0, 131072, 0, 16384, 0, 0, 0, 0])); // a kernel before 4.7: 8 values, no drops
  const shortInfo = rtattr(2, Buffer.alloc(40)); // cut before the times: ignored
  const msgs = parseInetDiag(
    Buffer.concat([nlmsg(20, Buffer.concat([listen, meminfo])), nlmsg(20, Buffer.concat([estab, rtattr(2, info)])), nlmsg(20, Buffer.concat([listen, old])), nlmsg(20, Buffer.concat([estab, shortInfo])), nlmsg(3, int32(0))]),
  );
  assert.deepEqual(msgs.map((m) => [m.state, m.drops, m.tcpInfo]), [
    ['LISTEN', 108, null],
    ['ESTABLISHED', null, { lastDataSent: 4016, lastDataRecv: 1868, lastAckRecv: 1860 }],
    ['LISTEN', null, null],
    ['ESTABLISHED', null, null],
  ]);
});

test('waitFromTcpInfo: since the handshake (last_data_sent), never below the client\'s last word', () => {
  assert.equal(waitFromTcpInfo(4016, 1868, 1860), 4016);
  assert.equal(waitFromTcpInfo(10, 900, 700), 700);
});

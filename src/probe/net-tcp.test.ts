import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseNetTcp, readNetTcp } from './net-tcp.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';
import type { TcpSocket, TcpState } from '../snapshot/types.js';

const busy = fixture('net', 'busy');
const gone = fixture('net', 'clients-gone');
const broken = fixture('net', 'broken');

function count(sockets: TcpSocket[], pred: (s: TcpSocket) => boolean): number {
  return sockets.filter(pred).length;
}
const on8080 = (state: TcpState, inode0: boolean) => (s: TcpSocket) =>
  s.state === state && s.localAddress === '127.0.0.1' && s.localPort === 8080 && (s.inode === 0) === inode0;

test('busy namespace, tcp: the flooded listener holds limit + 1 = 129 and 70 handshakes wait in SYN_RECV', () => {
  const sockets = parseNetTcp(readFileSync(join(busy, 'proc/net/tcp'), 'latin1'), 4);
  assert.equal(sockets.length, 404);
  const listen = sockets.find((s) => s.state === 'LISTEN' && s.localPort === 8080);
  assert.deepEqual(listen, {
    family: 4,
    state: 'LISTEN',
    localAddress: '127.0.0.1',
    localPort: 8080,
    remoteAddress: '0.0.0.0',
    remotePort: 0,
    txQueue: 0,
    rxQueue: 129,
    uid: 0,
    inode: 344023,
    netns: 0,
  });
  // request sockets (get_openreq4) and connections nobody accepted have no inode
  assert.equal(count(sockets, on8080('SYN_RECV', true)), 70);
  assert.equal(count(sockets, on8080('ESTABLISHED', true)), 129);
  assert.equal(count(sockets, on8080('ESTABLISHED', false)), 1); // the one accept()ed connection
  const tw = sockets.filter((s) => s.state === 'TIME_WAIT');
  assert.equal(tw.length, 1);
  assert.equal(tw[0].remotePort, 8084);
  assert.equal(tw[0].inode, 0);
  // the IPv4 client of the dual-stack listener: plain IPv4 on its own side
  assert.equal(count(sockets, (s) => s.state === 'ESTABLISHED' && s.remotePort === 8082), 1);
});

test('busy namespace, tcp6: ::1, ::, a v4-mapped peer, CLOSE_WAIT the server never closes', () => {
  const sockets = parseNetTcp(readFileSync(join(busy, 'proc/net/tcp6'), 'latin1'), 6);
  assert.equal(sockets.length, 8);
  const listeners = sockets.filter((s) => s.state === 'LISTEN').map((s) => `[${s.localAddress}]:${s.localPort}`);
  assert.deepEqual(listeners.sort(), ['[::1]:8081', '[::]:8082', '[::]:8083']);
  const mapped = sockets.find((s) => s.localPort === 8082 && s.state === 'ESTABLISHED');
  assert.equal(mapped?.localAddress, '::ffff:127.0.0.1');
  assert.equal(mapped?.remoteAddress, '::ffff:127.0.0.1');
  assert.equal(mapped?.family, 6);
  const cw = sockets.filter((s) => s.state === 'CLOSE_WAIT');
  assert.equal(cw.length, 1);
  assert.equal(cw[0].localAddress, '::1');
  assert.equal(cw[0].rxQueue, 1); // the FIN counts as one unread byte (rcv_nxt - copied_seq)
  assert.notEqual(cw[0].inode, 0);
  assert.equal(count(sockets, (s) => s.state === 'FIN_WAIT2' && s.inode === 0), 1);
});

test('after the clients died, the 129 queued connections sit in CLOSE_WAIT with inode 0', () => {
  const { table, reports } = readNetTcp(gone);
  const sockets = table.toArray();
  assert.deepEqual(reports.map((r) => r.status), ['ok', 'ok']);
  assert.equal(count(sockets, on8080('CLOSE_WAIT', true)), 129);
  assert.equal(count(sockets, on8080('CLOSE_WAIT', false)), 1);
  assert.equal(count(sockets, on8080('SYN_RECV', true)), 70);
  assert.equal(count(sockets, (s) => s.state === 'FIN_WAIT2' && s.remotePort === 8080), 130);
  assert.equal(sockets.find((s) => s.state === 'LISTEN' && s.localPort === 8080)?.rxQueue, 129);
});

test('a line cut short names the file and line 5', () => {
  const file = join(broken, 'proc/net/tcp');
  assert.throws(
    () => parseNetTcp(readFileSync(file, 'latin1'), 4, file),
    (e: unknown) => e instanceof ParseError && e.file === file && e.line === 5 && /truncated/.test(e.reason),
  );
});

test('a non-hex digit in an address names the file and line 3', () => {
  const file = join(broken, 'proc/net/tcp6');
  assert.throws(
    () => parseNetTcp(readFileSync(file, 'latin1'), 6, file),
    (e: unknown) => e instanceof ParseError && e.file === file && e.line === 3 && /bad hex in address/.test(e.reason),
  );
});

test('other malformed input: missing header, unknown state, a line ending at the inode', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const line = (st: string, tail = ' 1 0000000000000000 100 0 0 10 0') =>
    `   0: 0100007F:1F90 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000     0        0 4711${tail}\n`;
  const reasonOf = (text: string): string => {
    try {
      parseNetTcp(text, 4);
    } catch (e) {
      assert.ok(e instanceof ParseError);
      assert.equal(e.file, 'proc/net/tcp');
      return `${e.line}: ${e.reason}`;
    }
    assert.fail('no ParseError');
  };
  assert.equal(parseNetTcp(header + line('0A'), 4)[0].inode, 4711);
  assert.match(reasonOf(line('0A')), /^1: missing header/);
  assert.match(reasonOf(header + line('0C')), /^2: unknown state$/);
  assert.match(reasonOf(header + line('0A', '')), /^2: line truncated after the inode/);
  assert.deepEqual(parseNetTcp(header, 4), []);
});

test('missing tcp6 (IPv6 disabled) is reported absent, not an error; tcp still read', () => {
  const { table, reports } = readNetTcp(fixture('net', 'no-ipv6'));
  const sockets = table.toArray();
  assert.equal(sockets.length, 404);
  assert.equal(reports[0].status, 'ok');
  assert.equal(reports[1].status, 'absent');
  assert.match(reports[1].detail ?? '', /IPv6 is disabled/);
});

test('readNetTcp keeps the good lines of a damaged file: partial, with the first bad line named', () => {
  const { table, reports, notes } = readNetTcp(broken);
  const sockets = table.toArray();
  const good = (f: string) => parseNetTcp(readFileSync(f, 'latin1'), f.endsWith('6') ? 6 : 4, f, () => undefined).length;
  assert.equal(sockets.length, good(`${broken}/proc/net/tcp`) + good(`${broken}/proc/net/tcp6`));
  assert.ok(sockets.length > 400, 'the 400-odd good lines are kept');
  assert.deepEqual(reports.map((r) => r.status), ['partial', 'partial']);
  assert.equal(reports[0].detail, '1 malformed line skipped (first: line 5, line truncated (54 characters))');
  assert.equal(notes.length, 2);
  assert.match(notes[0], /proc\/net\/tcp: 1 malformed line skipped .* those sockets are missing from this report\.$/);
});

test('parseNetTcp with onBadLine skips exactly the bad lines; without it, the first one throws', () => {
  const text = readFileSync(`${broken}/proc/net/tcp`, 'latin1');
  const bad: ParseError[] = [];
  const kept = parseNetTcp(text, 4, 'tcp', (e) => bad.push(e));
  assert.deepEqual(bad.map((e) => e.line), [5]);
  assert.equal(kept.length, text.trimEnd().split('\n').length - 1 - bad.length);
  assert.throws(() => parseNetTcp(text, 4, 'tcp'), (e: unknown) => e instanceof ParseError && e.line === 5);
});

test('a damaged header still fails the whole file: nothing can be trusted without it', () => {
  assert.throws(() => parseNetTcp('garbage\n   0: 0100007F:1F90', 4, 'tcp', () => undefined), (e: unknown) => e instanceof ParseError && e.line === 1);
});

/** Lines in the kernel's own format (get_tcp4_sock / get_tcp6_sock). */
function generate(n: number, family: 4 | 6): string {
  const hex = (v: number, w: number) => v.toString(16).toUpperCase().padStart(w, '0');
  const out = [
    family === 4
      ? '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'.padEnd(149) + '\n'
      : '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n',
  ];
  for (let i = 0; i < n; i++) {
    const local4 = hex((0x0100000a + ((i % 4) << 24)) >>> 0, 8); // 10.0.0.1-4
    const remote4 = hex((0x0000000a + (((i >>> 8) & 0xff) << 16) + ((i & 0xff) << 24)) >>> 0, 8); // distinct peers
    const local = family === 4 ? local4 : '0000000000000000FFFF0000' + local4;
    const remote = family === 4 ? remote4 : 'B80D0120000000000000000000' + hex(i & 0xffffff, 6);
    const st = i % 100 === 0 ? '0A' : i % 10 === 0 ? '06' : '01';
    const line = `${String(i).padStart(4)}: ${local}:01BB ${remote}:${hex(1024 + (i % 60000), 4)} ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${st === '06' ? 0 : 100000 + i} 1 0000000000000000 20 4 30 10 -1`;
    out.push((family === 4 ? line.padEnd(149) : line) + '\n');
  }
  return out.join('');
}

test('100k lines parse correctly (fixed columns, no per-line regex; speed is measured by npm run bench, not here)', (t) => {
  for (const family of [4, 6] as const) {
    const text = generate(100_000, family);
    parseNetTcp(text, family); // warm up the JIT, as a long-running snapshot would
    const t0 = performance.now();
    const sockets = parseNetTcp(text, family);
    const ms = performance.now() - t0;
    t.diagnostic(`tcp${family === 6 ? '6' : ''}: 100000 lines in ${ms.toFixed(0)} ms`);
    assert.equal(sockets.length, 100_000);
    assert.equal(sockets[12345].localAddress, family === 4 ? '10.0.0.2' : '::ffff:10.0.0.2');
    assert.equal(sockets[12345].remoteAddress, family === 4 ? '10.0.48.57' : '2001:db8::3930:0');
    assert.equal(sockets[12345].inode, 112345);
    assert.equal(sockets[12345].uid, 1000);
    assert.equal(sockets[99900].state, 'LISTEN');
    assert.equal(sockets[99990].state, 'TIME_WAIT');
  }
});

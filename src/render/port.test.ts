import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { checkPort, portExitCode } from '../port/check.js';
import { portCheckToJson, renderPortCheck } from './port.js';

test('the answer first, then the listeners as ss spells them with their owners\' fd use', () => {
  const s = snapshot({
    processes: [proc({ pid: 77, name: 'nginx', open: 300, soft: 1024 })],
    listeners: [listener({ address: '::', port: 80, pids: [77], v6only: true, acceptQueue: 3, backlog: 511 })],
  });
  const check = checkPort(s, 80);
  const text = renderPortCheck(check, [], portExitCode(check, []), { color: false, columns: 100 });
  const lines = text.split('\n');
  assert.match(lines[0], /^WARNING {3}Port 80 listens for IPv6 only \(\[::\]:80\): IPv4 clients are refused$/);
  const row = lines.find((l) => l.startsWith('  host '));
  assert.deepEqual(row?.trim().split(/\s{2,}/), ['host', '[::]:80', 'yes', 'any (IPv6)', '3/511', '0', '77/nginx fds 300/1024'], text);
  assert.match(text, /\nexit 1\n$/);
  assert.doesNotMatch(text, /\x1b/, 'no colour asked, not one escape byte');
});

test('names from the host (a container, a process) are shown escaped, never raw', () => {
  const s = snapshot({
    processes: [proc({ pid: 5, name: 'evil\x1b]0;pwned\x07' })],
    listeners: [listener({ port: 8080, pids: [5], netns: 4026532999 })],
  });
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532999, kind: 'docker', name: 'web\x1b[2J\u202e', pids: [5] });
  const check = checkPort(s, 8080);
  assert.equal(check.verdict, 'other-namespace-only');
  const text = renderPortCheck(check, [], 1, { color: true, columns: 100 });
  assert.doesNotMatch(text.replace(/\x1b\[[0-9;]*m/g, ''), /[\x00-\x09\x0b-\x1f\u202e]/, 'only our own colours remain');
  assert.match(text, /web\\x1b\[2J\\u202e/);
  assert.match(text, /evil\\x1b\]0;pwned\\x07/);
  // JSON keeps the real strings (JSON.stringify escapes them itself).
  const json = JSON.stringify(portCheckToJson(check, [], 1, false, []));
  assert.ok(json.includes('web\\u001b[2J\u202e'));
});

test('a forwarded port: the hops table, and a container name from the host escaped in prose and in fix comments', () => {
  const s = snapshot({
    processes: [proc({ pid: 300, name: 'docker-proxy', cmdline: '/usr/sbin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 9000 -container-ip 172.17.0.2 -container-port 9000' }), proc({ pid: 500, name: 'python3', netns: 4026532501 })],
    listeners: [listener({ address: '0.0.0.0', port: 9000, pids: [300] }), listener({ address: '127.0.0.1', port: 9000, pids: [500], netns: 4026532501 })],
  });
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532501, kind: 'docker', name: 'web\nrm -rf /', container: { runtime: 'docker', id: 'a'.repeat(64), name: 'web\nrm -rf /' }, pids: [500] });
  const reads = { nat: () => ({ table: null, note: null }), addresses: (inode: number) => ({ v4: inode === 0 ? ['127.0.0.1'] : ['127.0.0.1', '172.17.0.2'], v6: [] }) };
  const check = checkPort(s, 9000, { forward: { whole: s, reads } });
  assert.equal(check.verdict, 'forwarded-unreachable');
  for (const line of check.fix) assert.ok(!line.includes('\n'), `one line: ${JSON.stringify(line)}`);
  const text = renderPortCheck(check, [], portExitCode(check, []), { color: false, columns: 120 });
  assert.match(text, /Forwarded: where port 9000 goes\n {2}by +listens +to +in +target listens +hop\n {2}docker-proxy \(pid 300\) +0\.0\.0\.0:9000 +172\.17\.0\.2:9000 +docker container web\\nrm -rf \/ \(aaaaaaaaaaaa\) +127\.0\.0\.1:9000 +LOOPBACK ONLY/);
  assert.doesNotMatch(text, /web\nrm/);
  assert.equal(portExitCode(check, []), 2);
});

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

/**
 * --verbose links findings that share text ("More in [n]", "as [n]", "and the fix of [n]") only
 * within one user for per-user findings: inotify limits are per uid and user namespace, so two
 * uids' findings are never linked; one uid's instances and watches still are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderFindings } from './terminal-findings.js';
import { painter } from './format.js';
import type { Finding } from '../rules/types.js';

const EXPLAIN = 'uid holds many inotify instances. fs.inotify.max_user_instances is a per-user limit of the user namespace. RLIMIT_NOFILE is not the lever.';
const finding = (id: string, uid: number, userns?: number): Finding => ({
  id,
  severity: 'critical',
  subject: { uid, ...(userns !== undefined ? { userns } : {}) },
  title: `uid ${uid} is out of inotify ${id.includes('watches') ? 'watches' : 'instances'}`,
  evidence: {},
  explain: EXPLAIN,
  fix: ['sysctl -w fs.inotify.max_user_instances=1024   # at once, every user'],
});

const render = (fs: Finding[]) => renderFindings(fs, 120, painter(false), true).join('\n');

test('two uids: no "More in", no "as [n]", each says its own why and fix', () => {
  const out = render([finding('inotify-instances-exhausted', 1000), finding('inotify-instances-exhausted', 1001)]);
  assert.doesNotMatch(out, /More in \[|as \[\d\]|the fix of \[/);
  assert.equal(out.match(/per-user limit of the user namespace/g)?.length, 2, out);
  assert.equal(out.match(/sysctl -w fs\.inotify\.max_user_instances=1024/g)?.length, 2, out);
});

test('the same uid in two user namespaces: not linked either', () => {
  assert.doesNotMatch(render([finding('inotify-instances-exhausted', 1000, 4026531837), finding('inotify-instances-exhausted', 1000, 4026532999)]), /More in \[|as \[\d\]/);
});

test('one uid, instances and watches: the shared text is said once and linked', () => {
  assert.match(render([finding('inotify-instances-exhausted', 1000), finding('inotify-watches-exhausted', 1000)]), /More in \[1\]|as \[1\]|the fix of \[1\]/);
});

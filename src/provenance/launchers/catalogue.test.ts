import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../testing/paths.js';
import { catalogueMarkdown } from './catalogue-doc.js';
import { pm2Home } from './pm2.js';
import { LAUNCHERS } from './index.js';

const DOC = join(repoRoot, 'docs', 'launchers.md');
const BEGIN = '<!-- catalogue: generated from src/provenance/launchers (UPDATE_GOLDEN=1 rewrites it) -->\n';
const END = '<!-- end of catalogue -->';

test('every catalogue entry says how it is recognised, where its setting lives, what children get, the durable fix and the relief', () => {
  const ids = new Set<string>();
  for (const l of LAUNCHERS) {
    assert.ok(!ids.has(l.id), `duplicate id ${l.id}`);
    ids.add(l.id);
    for (const k of ['recognisedBy', 'settingLives', 'childrenGet', 'durableFix', 'relief'] as const) assert.ok(l[k].length > 10, `${l.id}.${k} is empty`);
    assert.ok(l.identity.binaries.length > 0 && l.identity.what.length > 0, `${l.id}.identity is empty`);
  }
});

test('docs/launchers.md holds the catalogue as the code has it', () => {
  const text = readFileSync(DOC, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  assert.ok(a >= 0 && b > a, 'catalogue markers missing in docs/launchers.md');
  const table = catalogueMarkdown();
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(DOC, text.slice(0, a + BEGIN.length) + table + text.slice(b));
  assert.equal(readFileSync(DOC, 'utf8').slice(a + BEGIN.length, readFileSync(DOC, 'utf8').indexOf(END)), table);
});

test('recognition: each entry knows its own process and not the others\' ', () => {
  const node = (name: string, argv: string[]) => ({ pid: 10, ppid: 1, name, argv, limit: { soft: 1024, hard: 4096 }, uid: 0, creds: null, cgroup: null, cgroupPaths: [] });
  const samples: Record<string, ReturnType<typeof node>> = {
    pm2: node('PM2 v7.0.4: God', ['PM2 v7.0.4: God Daemon (/root/.pm2)']),
    forever: node('node', ['/usr/bin/node', '/usr/lib/node_modules/forever/bin/monitor', 'app.js']),
    runit: node('runsv', ['runsv', 'web']),
    s6: node('s6-supervise', ['s6-supervise', '/run/service/web']),
    daemontools: node('supervise', ['supervise', '/service/web']),
    'tini/dumb-init': node('tini', ['/sbin/tini', '--', 'app']),
    'tmux/screen': node('tmux: server', ['tmux']),
    'containerd-shim': node('containerd-shim', ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby']),
    nginx: node('nginx', ['nginx: worker process']),
    jvm: node('java', ['/usr/bin/java', '-jar', 'a.jar']),
  };
  for (const l of LAUNCHERS) {
    for (const [id, n] of Object.entries(samples)) assert.equal(l.is(n), id === l.id, `${l.id} on a ${id} process`);
  }
});

test('pm2: PM2_HOME from the title, or from the environment when a long one cut the title short', () => {
  const node = (title: string) => ({ pid: 10, ppid: 1, name: 'PM2 v7.0.4: God', argv: [title], limit: { soft: 1024, hard: 4096 }, uid: 0, creds: null, cgroup: null, cgroupPaths: [] });
  assert.equal(pm2Home(node('PM2 v7.0.4: God Daemon (/root/.pm2)')), '/root/.pm2');
  const cut = node('PM2 v7.0.4: God Daemon (/tmp/sockdoc-pm2-user-f8ucXX/.pm2');
  assert.equal(pm2Home(cut), null, 'a cut title alone says nothing whole');
  assert.equal(pm2Home(cut, 'HOME=/tmp/x\0PM2_HOME=/tmp/sockdoc-pm2-user-f8ucXX/.pm2\0SILENT=true\0'), '/tmp/sockdoc-pm2-user-f8ucXX/.pm2');
  assert.equal(pm2Home(cut, 'PM2_HOME=/elsewhere/.pm2\0'), null, 'an environment that disagrees with the title is not taken');
});

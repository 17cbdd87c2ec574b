/**
 * `--netns X` is partial only when part of X was not read: a process outside X that sockdoc cannot
 * read (here pid 1, a non-dumpable init; on other hosts maybe none) does not make a run of X that
 * read all of X "PARTIAL". The namespace, its listener and its owner are this test's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../testing/paths.js';
import { scene } from '../testing/netns-peers.js';
import { uniqueName } from '../testing/unique.js';

const isRoot = process.getuid?.() === 0;

test('live: --netns X read whole is not partial, whatever lies outside X', { skip: !isRoot && 'needs root (ip netns)', timeout: 60_000 }, async () => {
  const s = scene();
  const ns = uniqueName('sockdoc-part');
  try {
    s.netns(ns);
    await s.peer(ns, ['stuck', '7431']);
    const r = spawnSync(process.execPath, [cliPath, '--netns', ns, '--interval', '0', '--json'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
    const doc = JSON.parse(r.stdout) as { partial: boolean; namespaces: Array<{ name: string; partial: boolean }>; listeners: Array<{ port: number; owners: unknown[] }> };
    assert.deepEqual(doc.namespaces.map((n) => n.name), [ns]);
    assert.ok(doc.listeners.some((l) => l.port === 7431 && l.owners.length > 0), 'its listener and owner were read');
    assert.equal(doc.partial, false, r.stdout.slice(0, 2000));
    const t = spawnSync(process.execPath, [cliPath, '--netns', ns, '--interval', '0'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
    assert.doesNotMatch(t.stdout, /PARTIAL|partial: some things/);
  } finally {
    await s.close();
  }
});

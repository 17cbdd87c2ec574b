import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createNamespace, destroyNamespace, labId, listLabNamespaces, namespacePids, ownerOf, parseNetnsList } from './namespace.js';
import { runSuffix } from '../testing/unique.js';

const asRoot = process.getuid?.() === 0;

test('parseNetnsList reads `ip netns list` with and without ids', () => {
  // As iproute2 prints it here: a namespace that has an nsid (`ip netns set NAME 3`) gets " (id: 3)".
  const text = 'sockdoc-lab-4242-idtest (id: 3)\nlabexp\n\n';
  assert.deepEqual(parseNetnsList(text), ['sockdoc-lab-4242-idtest', 'labexp']);
});

test('ownerOf reads the owner pid of lab namespace names only', () => {
  assert.equal(ownerOf(labId(4242, 'mwv8y222')), 4242);
  assert.equal(ownerOf('sockdoc-lab-x-1'), null);
  assert.equal(ownerOf('labexp'), null);
});

test('destroyNamespace kills every process inside, then deletes the namespace', { skip: asRoot ? false : 'needs root: creates a network namespace' }, async () => {
  const name = labId(process.pid, `t${runSuffix()}`);
  createNamespace(name, { sysctls: { 'net.core.somaxconn': '128' }, shapeLoopback: true });
  try {
    assert.ok(listLabNamespaces().includes(name));
    const sleeper = spawn('ip', ['netns', 'exec', name, 'sleep', '30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => sleeper.on('exit', (_code, signal) => resolve(signal)));
    for (let i = 0; i < 50 && namespacePids(name).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(namespacePids(name).length, 1);
    assert.deepEqual(destroyNamespace(name), []);
    assert.equal(await exited, 'SIGKILL');
    assert.ok(!listLabNamespaces().includes(name));
  } finally {
    destroyNamespace(name);
  }
});

test('createNamespace removes the namespace again when a setup step fails', { skip: asRoot ? false : 'needs root: creates a network namespace' }, () => {
  const name = labId(process.pid, `f${runSuffix()}`);
  assert.throws(() => createNamespace(name, { sysctls: { 'net.core.no_such_sysctl': '1' }, shapeLoopback: false }), { name: 'LabError' });
  assert.ok(!listLabNamespaces().includes(name));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectContainer, isRuntimeProcess } from './container.js';

const ID = '5e0b6c8f1d2a'.padEnd(64, 'a');

test('detectContainer names the runtime from cgroup paths of each driver', () => {
  const cases: Array<[string, string]> = [
    [`/system.slice/docker-${ID}.scope`, 'docker'],
    [`/docker/${ID}`, 'docker'],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-${ID}.scope`, 'kubernetes'],
    [`/kubepods/besteffort/pod1234/${ID}`, 'kubernetes'],
    [`/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope`, 'cri-o'],
    [`/machine.slice/libpod-${ID}.scope/container`, 'podman'],
    [`/system.slice/nerdctl-${ID}.scope`, 'containerd'],
    ['/lxc.payload.web01', 'lxc'],
    ['/lxc/web01', 'lxc'],
  ];
  for (const [path, runtime] of cases) assert.equal(detectContainer(['/', path])?.runtime, runtime, path);
  assert.equal(detectContainer([`/system.slice/docker-${ID}.scope`])?.id, ID);
});

test('ordinary services, sessions and the root cgroup are not containers', () => {
  for (const p of ['/', '/system.slice/docker.service', '/system.slice/containerd.service', '/user.slice/user-1000.slice/session-3.scope', '/init.scope']) {
    assert.equal(detectContainer([p]), null, p);
  }
});

test('runtime shims and daemons are recognised by comm (cut at 15 bytes)', () => {
  for (const n of ['containerd-shim', 'containerd', 'dockerd', 'conmon', 'runc']) assert.ok(isRuntimeProcess(n), n);
  assert.ok(!isRuntimeProcess('node'));
});

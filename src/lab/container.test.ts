/**
 * `sockdoc lab container` for real: a private dockerd, a container whose server never accepts,
 * sockdoc in the host namespace naming it; nothing left behind (daemon, container, namespace).
 * Without docker (not on CI: .ci/run installs docker.io) the ip-netns stand-in runs and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerMissing } from './private-docker.js';
import { namespacesOf, processesOf, startLabProcess } from './testing.js';
import type { ScenarioResult } from './types.js';

const asRoot = process.getuid?.() === 0;

function startContainerLab(env: NodeJS.ProcessEnv = {}) {
  return startLabProcess(['container', '--json'], env);
}

test('lab container: the full queue in a docker container is named by sockdoc in the host namespace', { skip: asRoot ? false : 'needs root', timeout: 120_000 }, async () => {
  const lab = startContainerLab();
  const done = await lab.finished;
  const r = JSON.parse(done.stdout) as ScenarioResult;
  assert.deepEqual(r.differences, []);
  assert.equal(r.ok, true);
  assert.equal(done.code, 0);
  const [step] = r.steps;
  assert.ok(step.findings.some((f) => f.id === 'accept-queue-full'));
  assert.equal(step.observation.somaxconn, 16);
  const docker = dockerMissing() === null;
  assert.match(step.title, docker ? /in a docker container$/ : /in an ip netns namespace$/);
  assert.equal(r.notes.some((n) => n.startsWith('Docker is not available')), !docker);
  const pid = lab.child.pid!;
  // Its container's name is its own (beside a host's `web`, `--container web` would be refused as ambiguous).
  if (docker) assert.ok(step.findings.some((f) => f.id === 'accept-queue-full' && new RegExp(` in docker container web-${pid}[.-]`).test(f.title)), JSON.stringify(step.findings.map((f) => f.title)));
  assert.deepEqual(namespacesOf(pid), [], 'a lab namespace was left behind');
  assert.deepEqual(processesOf(pid), [], 'a lab process (or its dockerd) was left behind');
});

test('lab container without docker: the ip netns stand-in, said so, named as the netns', { skip: asRoot ? false : 'needs root', timeout: 120_000 }, async () => {
  const lab = startContainerLab({ SOCKDOC_LAB_DOCKER: '0' });
  const done = await lab.finished;
  const r = JSON.parse(done.stdout) as ScenarioResult;
  assert.deepEqual(r.differences, []);
  assert.equal(done.code, 0);
  assert.ok(r.notes.some((n) => n.startsWith('Docker is not available (SOCKDOC_LAB_DOCKER=0)')), r.notes.join('\n'));
  assert.match(r.steps[0].title, /in an ip netns namespace$/);
  assert.ok(r.steps[0].findings.some((f) => f.id === 'accept-queue-full' && f.title.includes(`in netns ${r.labId} `)), JSON.stringify(r.steps[0].findings));
  assert.deepEqual(namespacesOf(lab.child.pid!), []);
  assert.deepEqual(processesOf(lab.child.pid!), []);
});

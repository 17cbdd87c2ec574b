/**
 * `sockdoc lab container`: the failing server runs in a real docker container and sockdoc, run in
 * the HOST namespace, must find the container's full queue and name the container. Unlike the other
 * scenarios it is played from the host side: the point is that sockdoc looks into a namespace it
 * does not run in.
 *
 * A private dockerd (Debian's docker.io) is started with its own --data-root, --exec-root and
 * socket, `--iptables=false --bridge=none`; the container uses `--network none` and an image
 * imported from a tarball of an empty rootfs (nothing is pulled), with the host's /usr read-only
 * for python3 (src/testing/private-docker.ts). Without docker the server runs in a plain `ip netns`
 * namespace instead (also with SOCKDOC_LAB_DOCKER=0), and the run says so. Everything started is removed at the end, on failure,
 * on Ctrl-C and after 60 s.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { buildSnapshot } from '../snapshot/build.js';
import { matchNetns, restrictToNetns } from '../snapshot/select-netns.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import { runRules } from '../rules/index.js';
import { createNamespace, destroyNamespace, LAB_PREFIX, newLabId } from './namespace.js';
import { describeRemoved, removeLeftovers } from './leftovers.js';
import { dockerMissing, startPrivateDocker, type PrivateDocker } from './private-docker.js';
import { writeTcpPeer } from './peers/tcp-peer.js';
import { checkFindings, checkValue, scopeFindings } from './checks.js';
import { observe, socketLines } from './observe.js';
import type { Check, LabEvent, Scenario, ScenarioResult, StepReport } from './types.js';

const PORT = 8080;
const SOMAXCONN = 16;
const CLIENTS = 40;
export const CONTAINER_TIMEOUT_MS = 60_000;

export const scenario: Scenario = {
  name: 'container',
  summary: `A server that never accepts inside a docker container (--network none, somaxconn ${SOMAXCONN}); sockdoc on the host must name the container.`,
  proves: ['accept-queue-full', 'backlog-clamped', 'listen-overflows'],
  flags: [],
  namespace: () => ({ sysctls: {}, shapeLoopback: false }),
  run: () => Promise.reject(new Error('the container scenario is played from the host: runContainerLab')),
};

/** Where the server runs: a docker container, or the ip-netns stand-in. */
interface Stage {
  kind: 'docker' | 'netns';
  /** What --container / --netns selects it by. */
  name: string;
  serverPid: number;
  close(): string[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * `web-<pid>.<start>-<suffix>` for lab id `sockdoc-lab-<pid>.<start>-<suffix>` (namespace.ts labId). sockdoc reads every dockerd on the
 * host, so a plain `web` would be ambiguous beside any other container of that name (another
 * dockerd's, another lab run's): --container is then refused, rightly.
 */
export function containerName(id: string): string {
  return `web-${id.slice(LAB_PREFIX.length)}`;
}

function dockerStage(id: string, peerDir: string): Stage {
  const d: PrivateDocker = startPrivateDocker(id);
  try {
    const name = containerName(id);
    const serverPid = d.run(name, { sysctls: { 'net.core.somaxconn': String(SOMAXCONN) }, mounts: { [peerDir]: '/peer' } }, ['/usr/bin/python3', '/peer/tcp-peer.py', 'stuck', String(PORT)]);
    d.docker(['exec', '-d', name, '/usr/bin/python3', '/peer/tcp-peer.py', 'clients', String(PORT), String(CLIENTS)]);
    return { kind: 'docker', name, serverPid, close: () => d.close() };
  } catch (err) {
    d.close();
    throw err;
  }
}

async function netnsStage(id: string, peer: string): Promise<Stage> {
  createNamespace(id, { sysctls: { 'net.core.somaxconn': String(SOMAXCONN) }, shapeLoopback: false });
  const children: ChildProcess[] = [];
  const close = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    return destroyNamespace(id);
  };
  try {
    const start = (args: string[]) =>
      new Promise<number>((resolve, reject) => {
        const c = spawn('ip', ['netns', 'exec', id, 'python3', peer, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
        children.push(c);
        c.stdout!.on('data', (b: Buffer) => (b.toString().includes('ready') ? resolve(c.pid as number) : undefined));
        c.on('exit', (code) => reject(new Error(`peer ${args[0]} exited ${code}`)));
      });
    const serverPid = await start(['stuck', String(PORT)]);
    await start(['clients', String(PORT), String(CLIENTS)]);
    return { kind: 'netns', name: id, serverPid, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Plays the scenario; emits begin/step events; never throws for an expected failure. Root only. */
export async function runContainerLab(emit: (e: LabEvent) => void, signal?: AbortSignal): Promise<ScenarioResult> {
  const t0 = Date.now();
  const id = newLabId(process.pid, t0);
  const notes: string[] = [];
  // SOCKDOC_LAB_DOCKER=0 plays the ip-netns stand-in even where docker is installed (and tests it).
  const missing = process.env.SOCKDOC_LAB_DOCKER === '0' ? 'SOCKDOC_LAB_DOCKER=0' : dockerMissing();
  if (missing) notes.push(`Docker is not available (${missing}): the server runs in a plain \`ip netns\` namespace instead of a container.`);
  const result: ScenarioResult = { scenario: 'container', mode: 'netns', labId: id, options: { abortOnOverflow: false }, notes, steps: [], ok: false, differences: [], durationMs: 0, interrupted: false };
  // What earlier runs killed with SIGKILL left (a private dockerd still running from /tmp, its
  // container, a namespace) goes first; this run's own directories carry its id, so a later run
  // can do the same for it.
  const removed = describeRemoved(removeLeftovers());
  if (removed) notes.push(`${removed[0].toUpperCase()}${removed.slice(1)}.`);
  const peerDir = mkdtempSync(join(tmpdir(), `${id}-peer-`));
  chmodSync(peerDir, 0o755);
  mkdirSync(peerDir, { recursive: true });
  const peer = writeTcpPeer(peerDir);
  let stage: Stage | null = null;
  try {
    if (signal?.aborted) throw new Error(String(signal.reason));
    stage = missing ? await netnsStage(id, peer) : dockerStage(id, peerDir);
    emit({ type: 'begin', scenario: 'container', mode: 'netns', labId: id, notes: [...notes, stage.kind === 'docker' ? `Private dockerd under /tmp/${id}-*, container ${stage.name}.` : `Namespace ${stage.name}.`] });
    const query = stage.kind === 'docker' ? { container: stage.name } : { netns: stage.name };
    let step: StepReport | null = null;
    // The clients connect in the background: a few reads until the queue has filled.
    for (let attempt = 0; attempt < 5 && !signal?.aborted; attempt++) {
      await sleep(attempt === 0 ? 1000 : 700);
      const whole = await buildSnapshot({ root: '/', intervalMs: 1000 });
      let snapshot;
      try {
        snapshot = restrictToNetns(whole, matchNetns(whole, query));
      } catch (err) {
        result.differences = [`sockdoc did not see the ${stage.kind === 'docker' ? 'container' : 'namespace'}: ${(err as Error).message}`];
        continue;
      }
      const ns = snapshot.namespaces[0];
      const observation = observe(snapshot, PORT, [stage.serverPid]);
      const { inScope, outOfScope } = scopeFindings(runRules(snapshot), { pids: [stage.serverPid], port: PORT, mode: 'netns' });
      const expectedKind = stage.kind === 'docker' ? 'docker' : 'netns';
      const checks: Check[] = [
        { label: `sockdoc, run in the host namespace, names it: ${expectedKind} ${stage.name}`, ok: ns.kind === expectedKind && ns.name === stage.name, detail: netnsLabel(ns) },
        checkValue(`somaxconn is read from inside it: ${SOMAXCONN}`, ns.tunables['net.core.somaxconn'], (n) => n === SOMAXCONN),
        checkValue(`the listener's backlog (Send-Q) is ${SOMAXCONN}`, observation.backlog, (n) => n === SOMAXCONN),
        checkValue(`Recv-Q is the backlog + 1 = ${SOMAXCONN + 1}`, observation.acceptQueue, (n) => n === SOMAXCONN + 1),
        ...checkFindings(inScope, { present: [{ id: 'accept-queue-full', pid: stage.serverPid, port: PORT }, { id: 'backlog-clamped', port: PORT }, { id: 'listen-overflows' }] }, 'netns'),
      ];
      const full = runRules(snapshot).find((f) => f.id === 'accept-queue-full');
      checks.push({ label: `the finding's title names ${netnsLabel(ns)}`, ok: Boolean(full?.title.includes(` in ${netnsLabel(ns)} `)), detail: full?.title });
      step = {
        title: `${CLIENTS} clients connect to a server that never accepts, in ${stage.kind === 'docker' ? 'a docker container' : 'an ip netns namespace'}`,
        atMs: Date.now() - t0,
        story: [
          stage.kind === 'docker'
            ? `A private dockerd runs container ${stage.name} (--network none, --sysctl net.core.somaxconn=${SOMAXCONN}); its python3 server (pid ${stage.serverPid}) called listen(511) on 127.0.0.1:${PORT} and never accepts.`
            : `Namespace ${stage.name} (somaxconn ${SOMAXCONN}): a python3 server (pid ${stage.serverPid}) called listen(511) on 127.0.0.1:${PORT} and never accepts.`,
          `${CLIENTS} clients connected from inside; sockdoc ran in the host's namespace, the host's somaxconn untouched.`,
        ],
        sockets: socketLines(snapshot, PORT),
        observation,
        findings: inScope,
        outOfScope,
        checks,
        clients: null,
        logs: [],
      };
      if (checks.every((c) => c.ok)) break;
    }
    if (step) {
      result.steps.push(step);
      emit({ type: 'step', step });
      result.differences = step.checks.filter((c) => !c.ok).map((c) => `${step!.title}: ${c.label}${c.detail ? ` (${c.detail})` : ''}`);
    }
    if (signal?.aborted) {
      result.interrupted = true;
      result.differences.unshift(String(signal.reason));
    }
    result.ok = step !== null && result.differences.length === 0 && !result.interrupted;
  } catch (err) {
    result.differences.push((err as Error).message.split('\n')[0]);
  } finally {
    const problems = stage?.close() ?? [];
    rmSync(peerDir, { recursive: true, force: true });
    if (problems.length) {
      result.ok = false;
      result.differences.push(...problems.map((p) => `cleanup: ${p}`));
    }
    result.durationMs = Date.now() - t0;
  }
  emit({ type: 'end', result });
  return result;
}

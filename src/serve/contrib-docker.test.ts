/**
 * contrib/docker/Dockerfile, built for real: a private dockerd (its own --data-root, --exec-root and
 * socket; src/lab/private-docker.ts) builds the image from a copy of this checkout, FROM a base
 * imported from this machine's own packages (node, npm, gcc, make, python3: src/testing/base-image.ts)
 * with npm's cache of this machine for `npm ci --offline`: nothing is pulled, from a registry of
 * images or of packages. Then the image runs as contrib/kubernetes/daemonset.yaml runs it (root,
 * every capability dropped but the five it adds, no privilege escalation, read-only root, the host's
 * pids and network, the host's /etc, systemd directories and /run/netns mounted read-only):
 * `sockdoc --version`, the BPF iterator loads with those capabilities, a diagnosis of the host's /proc
 * names the full queue of a namespace this test made, and `serve` (the DaemonSet's command) answers.
 * Slow by nature (an image build): about two minutes, most of it tsc and node-gyp inside the build.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerMissing, startPrivateDocker } from '../lab/private-docker.js';
import { dpkgAvailable, writeBaseTarball } from '../testing/base-image.js';
import { portFreeEverywhere } from '../testing/free-port.js';
import { scene } from '../testing/netns-peers.js';
import { repoRoot } from '../testing/paths.js';
import { uniqueName } from '../testing/unique.js';
import { httpGet } from './testing/processes.js';
import type { DiagnosisJson } from '../render/json.js';

const skip = dockerMissing() ?? (!dpkgAvailable() ? 'needs dpkg (the base image is made from this machine\'s Debian packages)' : false);
const VERSION = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** What the build reads, copied from this checkout (its .dockerignore leaves out the rest anyway). */
const CONTEXT = ['package.json', 'package-lock.json', 'tsconfig.json', '.dockerignore', 'src', 'scripts', 'native', 'docs', 'contrib/docker'];

/**
 * The DaemonSet's securityContext, hostPID, hostNetwork and volumes, as `docker run` flags. Debian
 * 12's dockerd (20.10) does not know CAP_BPF and CAP_PERFMON ("unknown capability"): there the
 * image runs with the other three, and CAP_SYS_ADMIN is what lets it load the iterator (as on
 * kernels before 5.8).
 */
function daemonSetFlags(caps: readonly string[]): string[] {
  const flags = ['--user', '0', '--read-only', '--security-opt', 'no-new-privileges', '--cap-drop', 'ALL'];
  for (const cap of caps) flags.push('--cap-add', cap);
  flags.push('--pid', 'host', '--network', 'host');
  // Only what exists here: docker would create a missing source directory on this host.
  for (const dir of ['/etc', '/usr/lib/systemd', '/run/systemd', '/run/netns']) if (existsSync(dir)) flags.push('-v', `${dir}:${dir}:ro`);
  return flags;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test('contrib/docker/Dockerfile builds from this checkout with nothing pulled, and the image diagnoses the host as the DaemonSet runs it', { skip, timeout: 900_000 }, async () => {
  const d = startPrivateDocker('sockdoc-df');
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-dockerfile-'));
  const sock = `unix://${join(d.dir, 'docker.sock')}`;
  const s = scene();
  const container = uniqueName('sockdoc-serve');
  const times: string[] = [];
  const timed = <T>(what: string, fn: () => T): T => {
    const t0 = Date.now();
    try {
      return fn();
    } finally {
      times.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      process.stdout.write(`# ${times[times.length - 1]}\n`);
    }
  };
  const docker = (args: string[], timeoutMs = 60_000) => {
    const r = spawnSync('docker', ['-H', sock, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    assert.equal(r.error, undefined, `docker ${args[0]}: ${r.error?.message}`);
    return r;
  };
  try {
    // The base: this machine's node, npm, toolchain and python3, imported (nothing pulled).
    const base = `sockdoc-test-base:${process.pid}`;
    const made = timed('base tarball', () => writeBaseTarball(join(dir, 'base.tar'), dir));
    const imported = timed('import', () => docker(['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', join(dir, 'base.tar'), base], 300_000));
    assert.equal(imported.status, 0, imported.stderr);
    rmSync(join(dir, 'base.tar'));

    // The context: this checkout's sources, and npm's cache of this machine for `npm ci --offline`.
    const ctx = join(dir, 'ctx');
    for (const p of CONTEXT) cpSync(join(repoRoot, p), join(ctx, p), { recursive: true, filter: (src) => !src.startsWith(join(repoRoot, 'native', 'build')) && !src.includes('/offline/_cacache') });
    const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
    assert.ok(existsSync(join(npmCache, '_cacache')), `npm's cache ${npmCache}/_cacache holds the locked packages after npm ci`);
    mkdirSync(join(ctx, 'contrib', 'docker', 'offline'), { recursive: true });
    timed('npm cache copy', () => cpSync(join(npmCache, '_cacache'), join(ctx, 'contrib', 'docker', 'offline', '_cacache'), { recursive: true }));

    const image = `sockdoc-test:${process.pid}`;
    const build = timed('docker build', () => docker(['build', '--network', 'none', '--build-arg', `BASE=${base}`, '-f', join(ctx, 'contrib', 'docker', 'Dockerfile'), '-t', image, ctx], 800_000));
    assert.equal(build.status, 0, `docker build:\n${(build.stdout + build.stderr).split('\n').slice(-40).join('\n')}`);
    rmSync(ctx, { recursive: true, force: true });

    // What the image holds: dist, the native module, production dependencies only, no test files.
    const ls = docker(['run', '--rm', '--entrypoint', 'sh', image, '-c', 'ls /opt/sockdoc/native/build/Release; ls /opt/sockdoc/node_modules; find /opt/sockdoc/dist -name "*.test.js" | wc -l; ls /tmp/offline 2>&1 | head -1']);
    assert.equal(ls.status, 0, ls.stderr);
    const [addon, ...rest] = ls.stdout.trim().split('\n');
    assert.equal(addon, 'sockdoc_native.node');
    for (const dev of ['typescript', 'pm2', 'playwright-core', 'fast-check']) assert.ok(!rest.includes(dev), `dev dependency ${dev} in the image`);
    assert.ok(rest.includes('prom-client'), 'runtime dependencies are there');
    assert.match(rest.join('\n'), /\n0\n.*No such file/s, 'no test files; the npm cache stayed in the build stage');

    // --version through the entry point, with the DaemonSet's restrictions (its five capabilities,
    // or the three this dockerd knows).
    let caps = ['DAC_READ_SEARCH', 'SYS_PTRACE', 'SYS_ADMIN', 'BPF', 'PERFMON'];
    let version = docker(['run', '--rm', ...daemonSetFlags(caps), image, '--version']);
    if (version.status !== 0 && /unknown capability: "CAP_(BPF|PERFMON)"/.test(version.stderr)) {
      caps = caps.filter((c) => c !== 'BPF' && c !== 'PERFMON');
      times.push('dockerd knows no CAP_BPF/CAP_PERFMON: run with DAC_READ_SEARCH, SYS_PTRACE, SYS_ADMIN');
      version = docker(['run', '--rm', ...daemonSetFlags(caps), image, '--version']);
    }
    assert.equal(version.status, 0, version.stderr);
    assert.match(version.stdout, new RegExp(`\\b${VERSION.replace(/\./g, '\\.')}\\b`));

    // The capabilities the DaemonSet grants suffice for the read-only BPF fd iterator (docker's
    // default seccomp profile, as RuntimeDefault): it loads, not the /proc fallback.
    const bpf = docker(['run', '--rm', ...daemonSetFlags(caps), '--entrypoint', 'node', image, '--input-type=module', '-e', "const m = await import('/opt/sockdoc/dist/src/probe/bpf-fd-link.js'); const r = m.openBpfFdLink(); console.log(JSON.stringify({ may: m.mayLoadBpf(), error: r.error ?? null })); r.link?.close();"]);
    assert.equal(bpf.status, 0, bpf.stderr);
    assert.deepEqual(JSON.parse(bpf.stdout), { may: true, error: null });

    // A namespace of this test's own with a full queue: the container, in the host's pid and network
    // namespaces, reads the host's /proc, enters the namespace and names it.
    const ns = uniqueName('sockdoc-df');
    s.netns(ns, 16);
    const server = await s.peer(ns, ['stuck', '7001']);
    await s.peer(ns, ['clients', '7001', '40']);
    let j: DiagnosisJson | undefined;
    let full: DiagnosisJson['findings'][number] | undefined;
    for (let attempt = 0; attempt < 5 && !full; attempt++) {
      if (attempt) await sleep(500);
      const r = docker(['run', '--rm', ...daemonSetFlags(caps), image, '--json', '--interval', '0', '--netns', ns]);
      assert.ok(r.status === 2, `exit ${r.status}: ${r.stderr}`);
      j = JSON.parse(r.stdout) as DiagnosisJson;
      full = j.findings.find((f) => f.id === 'accept-queue-full');
    }
    assert.ok(full && j, 'accept-queue-full from inside the container');
    assert.equal(j.namespaces[0].name, ns);
    assert.equal(j.namespaces[0].socketSource, 'sock_diag', 'the native module dumps the namespace');
    assert.equal(j.namespaces[0].tunables['net.core.somaxconn'], 16, 'read from inside the namespace');
    assert.equal(full.subject.pid, server, "the host's pid: hostPID, the host's /proc");
    assert.equal(full.evidence.acceptQueue, 17);
    assert.equal(j.host.asRoot, true);

    // serve, the DaemonSet's command, on a loopback port of the host's network.
    const port = portFreeEverywhere();
    const run = docker(['run', '-d', '--name', container, ...daemonSetFlags(caps), image, 'serve', '--listen', `127.0.0.1:${port}`, '--timeout', '8s']);
    assert.equal(run.status, 0, run.stderr);
    let metrics = '';
    // Until an answer with host data: on a loaded host the first read (a 1 s window of its own
    // and the whole host) may outlast --timeout, and that answer is marked partial without data.
    for (let i = 0; i < 60 && !/^sockdoc_scrape_timed_out 0$/m.test(metrics); i++) {
      await sleep(250);
      const r = await httpGet({ host: '127.0.0.1', port }, '/metrics', 'GET', 20_000).catch(() => null);
      if (r?.status === 200) metrics = r.body;
    }
    assert.ok(metrics, `serve answered: ${docker(['logs', container]).stderr.slice(-500)}`);
    assert.ok(metrics.split('\n').some((l) => l.startsWith('sockdoc_listener_accept_queue{') && l.includes(`netns="${ns}"`) && l.includes('port="7001"') && l.endsWith(' 17')), 'the namespace\'s full queue in /metrics');
    const stop = docker(['stop', '-t', '10', container]);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(docker(['inspect', '-f', '{{.State.ExitCode}}', container]).stdout.trim(), '0', 'SIGTERM: serve exits 0');
    process.stdout.write(`# base image: ${made.packages.length} packages, ${made.files} files, ${(made.bytes / 1e6).toFixed(0)} MB; ${times.join(', ')}\n`);
  } finally {
    // Everything is removed before anything is judged: a failed cleanup step must not skip the next.
    docker(['rm', '-f', container]);
    const problems = [...s.close(), ...d.close()];
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(problems, []);
  }
});

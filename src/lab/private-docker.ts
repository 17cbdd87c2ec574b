/**
 * A private docker daemon for tests and the lab (Debian's docker.io): its own --data-root,
 * --exec-root, pidfile and unix socket under a temporary directory, no iptables and no bridge, so
 * it touches nothing of the host's networking. With `netns` it runs inside that network namespace
 * (which the caller made) with its bridge and iptables enabled there only: published ports
 * (docker-proxy, the DOCKER chain's DNAT rules) exist inside it and nowhere else. It is entered with
 * `nsenter --net` rather than `ip netns exec`, which would remount /sys and hide the cgroup
 * hierarchies dockerd needs ("Devices cgroup isn't mounted"). Containers run with `--network none` from an image
 * imported from a tarball of an empty rootfs built here (nothing is pulled); the host's /usr is
 * bind-mounted read-only for the interpreter (Debian's /bin and /lib are symlinks into /usr).
 * `close()` removes containers, image, daemon and directory; it never throws.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/** The image every private daemon imports (docs/namespaces.md, `sockdoc lab container`). */
export const IMAGE = 'sockdoc-lab:rootfs';

/** Why a private dockerd cannot run here, or null when the binaries are installed. */
export function dockerMissing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['dockerd', 'docker', 'containerd', 'runc']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status !== 0) return `${bin} is not installed (Debian package docker.io)`;
  }
  return null;
}

export interface PrivateDocker {
  dir: string;
  /** Runs the docker client against this daemon; throws with its stderr on failure. */
  docker(args: string[], timeoutMs?: number): string;
  /**
   * `docker run -d` of IMAGE with /usr and `mounts` read-only; returns the container's main pid.
   * `--network none` unless `publish` is given (`-p` specs; needs a daemon started with `netns`).
   */
  run(name: string, opts: { sysctls?: Record<string, string>; mounts?: Record<string, string>; publish?: string[] }, cmd: string[]): number;
  close(): string[];
}

/** Alive and not a zombie: this loop is synchronous, so Node has not reaped an exited child yet. */
function running(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

/** Mount points at or below `dir` (/proc/self/mountinfo, octal escapes undone), deepest first. */
export function mountsUnder(dir: string): string[] {
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * The processes this daemon left behind: every process whose command line names DIR (containerd and its
 * shims take `-address DIR/exec/containerd/…`), with all their descendants (the containers' processes,
 * children of the shims). A dockerd killed before it stopped its containers leaves the shims running,
 * re-parented to init; they are provably ours because DIR is a fresh mkdtemp of this process.
 */
function leftBehind(dir: string): number[] {
  const children = new Map<number, number[]>();
  const seeds: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(pid);
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(dir)) seeds.push(pid);
    } catch {
      /* gone meanwhile */
    }
  }
  const out = new Set<number>();
  const todo = [...seeds];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (pid === process.pid || out.has(pid)) continue;
    out.add(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return [...out];
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Starts the daemon and imports the image; throws (after cleaning up) when it cannot. */
export function startPrivateDocker(label = 'sockdoc-docker', opts: { netns?: string } = {}): PrivateDocker {
  const dir = mkdtempSync(`/tmp/${label}-`);
  const sock = `unix://${join(dir, 'docker.sock')}`;
  const log = openSync(join(dir, 'dockerd.log'), 'w');
  const args = ['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', sock, '--pidfile', join(dir, 'docker.pid')];
  const daemon: ChildProcess = opts.netns
    ? spawn('nsenter', [`--net=/run/netns/${opts.netns}`, 'dockerd', ...args], { stdio: ['ignore', log, log] })
    : spawn('dockerd', [...args, '--iptables=false', '--ip6tables=false', '--bridge=none'], { stdio: ['ignore', log, log] });
  closeSync(log);
  const names: string[] = [];
  const docker = (args: string[], timeoutMs = 30_000): string => {
    const r = spawnSync('docker', ['-H', sock, ...args], { encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
    return r.stdout;
  };
  const close = (): string[] => {
    const problems: string[] = [];
    // Every container of this daemon, also those a test made with docker(['run', …]) rather than run().
    const all = spawnSync('docker', ['-H', sock, 'ps', '-aq'], { encoding: 'utf8', timeout: 20_000 });
    const ids = new Set([...names, ...(all.status === 0 ? all.stdout.split('\n').filter(Boolean) : [])]);
    if (ids.size > 0) spawnSync('docker', ['-H', sock, 'rm', '-f', ...ids], { stdio: 'ignore', timeout: 30_000 });
    spawnSync('docker', ['-H', sock, 'rmi', '-f', IMAGE], { stdio: 'ignore', timeout: 20_000 });
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      for (let i = 0; i < 100 && running(daemon.pid); i++) sleepMs(100);
      if (running(daemon.pid)) {
        daemon.kill('SIGKILL');
        problems.push('dockerd did not stop on SIGTERM within 10 s: killed');
      }
    }
    // Whatever still runs from this directory (shims of containers the daemon did not stop in time).
    const left = leftBehind(dir);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (left.length > 0) {
      for (let i = 0; i < 50 && left.some((p) => running(p)); i++) sleepMs(100);
      problems.push(`killed ${left.length} process(es) left running from ${dir}`);
    }
    // Every mount the daemon left below its directory, deepest first: a container on the host's
    // network leaves exec/netns/default bind-mounted, and exec itself is no mount point, so
    // `umount -R exec` alone left it (and the directory could not be removed).
    for (const m of mountsUnder(dir)) {
      if (spawnSync('umount', [m], { stdio: 'ignore' }).status !== 0) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    }
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      problems.push(`rm ${dir}: ${(err as Error).message}`);
    }
    return problems;
  };
  try {
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = spawnSync('docker', ['-H', sock, 'info'], { stdio: 'ignore', timeout: 5000 }).status === 0;
      if (!up) sleepMs(200);
    }
    if (!up) throw new Error(`dockerd did not answer on ${sock} within 20 s (see ${join(dir, 'dockerd.log')})`);
    const rootfs = join(dir, 'rootfs');
    for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev', 'usr', 'peer']) mkdirSync(join(rootfs, d), { recursive: true });
    for (const [l, t] of [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['sbin', 'usr/sbin']]) symlinkSync(t, join(rootfs, l));
    writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
    // Servers that switch user look the group up too (nginx: getgrnam).
    writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    const tar = spawnSync('tar', ['-C', rootfs, '-cf', join(dir, 'rootfs.tar'), '.'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
    docker(['import', join(dir, 'rootfs.tar'), IMAGE]);
  } catch (err) {
    close();
    throw err;
  }
  return {
    dir,
    docker,
    run(name, opts, cmd) {
      const args = ['run', '-d', '--name', name, ...(opts.publish?.length ? opts.publish.flatMap((p) => ['-p', p]) : ['--network', 'none']), '-v', '/usr:/usr:ro'];
      for (const [k, v] of Object.entries(opts.sysctls ?? {})) args.push('--sysctl', `${k}=${v}`);
      for (const [host, inside] of Object.entries(opts.mounts ?? {})) args.push('-v', `${host}:${inside}:ro`);
      names.push(name);
      docker([...args, IMAGE, ...cmd]);
      return Number(docker(['inspect', '-f', '{{.State.Pid}}', name]).trim());
    },
    close,
  };
}

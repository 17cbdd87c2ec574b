/**
 * Container detection from /proc/PID/cgroup paths. Runtimes name the cgroup after the container:
 * docker `/docker/<id>` (cgroupfs driver) or `docker-<id>.scope` (systemd driver); containerd's CRI
 * `cri-containerd-<id>.scope`; CRI-O `crio-<id>.scope`; kubelet's `kubepods` slices; podman
 * `libpod-<id>.scope` / `/libpod_parent/`; LXC `/lxc/<name>` and `lxc.payload.<name>`.
 * The runtime applies `--ulimit` to the container's first process (runc: config.json
 * process.rlimits); without it the container inherits the limit of the runtime that spawned it.
 */

export type Runtime = 'docker' | 'containerd' | 'kubernetes' | 'cri-o' | 'podman' | 'lxc';

export interface ContainerInfo {
  runtime: Runtime;
  /** Container id or name as the cgroup path shows it (short ids kept whole). */
  id: string;
  /** The cgroup path that matched. */
  path: string;
}

const PATTERNS: Array<{ re: RegExp; runtime: Runtime }> = [
  { re: /\/docker-([0-9a-f]{12,64})\.scope(\/|$)/, runtime: 'docker' },
  { re: /\/docker\/([0-9a-f]{12,64})(\/|$)/, runtime: 'docker' },
  { re: /\/cri-containerd-([0-9a-f]{12,64})\.scope(\/|$)/, runtime: 'kubernetes' },
  { re: /\/crio-([0-9a-f]{12,64})\.scope(\/|$)/, runtime: 'cri-o' },
  { re: /\/kubepods[^/]*\/(?:.*\/)?([0-9a-f]{64})(\/|$)/, runtime: 'kubernetes' },
  { re: /\/kubepods[./-]/, runtime: 'kubernetes' },
  { re: /\/libpod-([0-9a-f]{12,64})\.scope(\/|$)/, runtime: 'podman' },
  { re: /\/libpod_parent\/libpod-([0-9a-f]{12,64})(\/|$)/, runtime: 'podman' },
  { re: /\/nerdctl-([0-9a-f]{12,64})\.scope(\/|$)/, runtime: 'containerd' },
  { re: /\/lxc\.payload[./]([^/]+)/, runtime: 'lxc' },
  { re: /\/lxc\/([^/]+)/, runtime: 'lxc' },
];

/**
 * The container a process runs in, from its cgroup paths (every line of /proc/PID/cgroup), or null.
 * @example detectContainer(['/system.slice/docker-4f1c...e2.scope'])?.runtime // 'docker'
 */
export function detectContainer(paths: readonly string[]): ContainerInfo | null {
  for (const { re, runtime } of PATTERNS) {
    for (const path of paths) {
      const m = re.exec(path);
      if (m) return { runtime, id: m[1] && !m[1].startsWith('/') ? m[1] : '', path };
    }
  }
  return null;
}

/** Process names of runtime shims and daemons: the container's init is their child (comm is cut at 15 bytes). */
export function isRuntimeProcess(name: string): boolean {
  return /^(containerd-shim|containerd|dockerd|conmon|runc|crun|lxc-start|crio)/.test(name);
}

/** How to set the limit for this runtime, one line per way. */
export function ulimitFlag(runtime: Runtime, soft: number, hard: number): string[] {
  const sh = `${soft}:${hard}`;
  switch (runtime) {
    case 'docker':
      return [`docker run --ulimit nofile=${sh} ...   # or compose: ulimits: { nofile: { soft: ${soft}, hard: ${hard} } }`];
    case 'podman':
      return [`podman run --ulimit nofile=${sh} ...`];
    case 'containerd':
      return [`nerdctl run --ulimit nofile=${sh} ...`];
    case 'lxc':
      return [`lxc.prlimit.nofile = ${sh}   # in the container's LXC config, then restart the container`];
    case 'kubernetes':
    case 'cri-o':
      return [`# Kubernetes has no per-pod nofile setting: raise LimitNOFILE of the runtime's unit (containerd.service / crio.service) or its default ulimits, then recreate the pod`];
  }
}

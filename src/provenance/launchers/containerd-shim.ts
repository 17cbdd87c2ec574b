/**
 * containerd's shim (containerd-shim-runc-v2, a Go program) runs a container's first process
 * through runc. Go ≥ 1.19 raises its own soft RLIMIT_NOFILE to the hard limit at start-up and
 * restores the original soft limit in every child it starts (os/rlimit.go, syscall
 * origRlimitNofile), so a container without --ulimit or default-ulimits starts with what
 * containerd.service's systemd configuration gave containerd — not with the shim's raised soft.
 */
import type { Launcher } from './types.js';

export const containerdShim: Launcher = {
  id: 'containerd-shim',
  recognisedBy: 'comm "containerd-shim" (containerd-shim-runc-v2), in the runtime unit\'s cgroup',
  settingLives: "LimitNOFILE= of the unit the shim runs in (containerd.service, docker.service), unless the container has --ulimit or docker's default-ulimits",
  childrenGet: "the unit's soft:hard as systemd applied it to containerd (the shim restores the soft limit it started with)",
  durableFix: 'LimitNOFILE= in containerd.service (every new container), or --ulimit nofile=S:H per container; then recreate the container',
  relief: 'prlimit on the container process (from the host)',
  identity: { what: 'containerd-shim', binaries: ['containerd-shim', 'containerd-shim-runc-v1', 'containerd-shim-runc-v2'], runsAs: 'root' },
  is: (n) => /^containerd-shim/.test(n.name),
  // Explained by the container layer, which knows whether the container had a limit of its own.
  explain: () => null,
};

/**
 * Fix lines that run in the right network namespace. A sysctl such as net.core.somaxconn is per
 * namespace (it is read from the namespace of the process calling listen(), net/socket.c
 * __sys_listen -> sock_net(sock->sk)->core.sysctl_somaxconn): `sysctl -w` on the host does not
 * change a container's. Commands run inside with `ip netns exec NAME` (an `ip netns` name) or
 * `nsenter -n -t PID` (util-linux: enter the network namespace of PID); a container's lasting
 * setting belongs in its runtime's configuration.
 */
import { namespaceOf } from '../../snapshot/namespaces.js';
import { netnsLabel } from '../../snapshot/netns-names.js';
import type { NetnsInode, Snapshot } from '../../snapshot/types.js';
import { shellQuote } from '../../safety/shell-quote.js';
import { terminalSafe } from '../../safety/terminal.js';

/** A namespace's label inside a `# comment` of a fix line: a newline in a name must not end the comment. */
function commentLabel(ns: Parameters<typeof netnsLabel>[0]): string {
  return terminalSafe(netnsLabel(ns));
}

/** `cmd` prefixed to run inside namespace `inode`; unchanged for the host namespace. */
export function nsCommand(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null, cmd: string): string {
  const ns = namespaceOf(snapshot, inode);
  if (!ns || ns.kind === 'host') return cmd;
  if (ns.kind === 'netns') return `ip netns exec ${shellQuote(ns.name)} ${cmd}`;
  if (ns.pids.length) return `nsenter -n -t ${ns.pids[0]} ${cmd}`;
  return `${cmd}   # inside ${commentLabel(ns)}`;
}

/** How to raise net.core.somaxconn to `value` where this listener lives, lasting setting first. */
export function somaxconnFix(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null, value: number): string[] {
  const ns = namespaceOf(snapshot, inode);
  const now = nsCommand(snapshot, inode, `sysctl -w net.core.somaxconn=${value}`);
  if (!ns || ns.kind === 'host') {
    return [now, `echo 'net.core.somaxconn = ${value}' > /etc/sysctl.d/90-somaxconn.conf   # keeps it after reboot`];
  }
  switch (ns.kind) {
    case 'docker':
      return [
        `docker run --sysctl net.core.somaxconn=${value} ...   # recreate ${commentLabel(ns)} with it (compose: sysctls: [net.core.somaxconn=${value}])`,
        `${now}   # now, until the container is recreated`,
      ];
    case 'podman':
      return [`podman run --sysctl net.core.somaxconn=${value} ...   # recreate ${commentLabel(ns)} with it`, `${now}   # now, until it is recreated`];
    case 'kubernetes':
      return [
        `# pod spec: securityContext: { sysctls: [{ name: net.core.somaxconn, value: "${value}" }] }   (a namespaced sysctl; older kubelets need --allowed-unsafe-sysctls)`,
        `${now}   # now, until the pod is recreated`,
      ];
    case 'lxc':
      return [`lxc.sysctl.net.core.somaxconn = ${value}   # in the container's LXC config, then restart it`, `${now}   # now`];
    default:
      return [`${now}   # lasts as long as ${commentLabel(ns)}; set it again wherever the namespace is created`];
  }
}

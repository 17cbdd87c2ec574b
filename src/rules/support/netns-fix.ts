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
import type { Listener, NetnsInode, ProcessInfo, Snapshot } from '../../snapshot/types.js';
import { shellQuote } from '../../safety/shell-quote.js';
import { terminalSafe } from '../../safety/terminal.js';

/** A namespace's label inside a `# comment` of a fix line: a newline in a name must not end the comment. */
function commentLabel(ns: Parameters<typeof netnsLabel>[0]): string {
  return terminalSafe(netnsLabel(ns));
}

/** `cmd` prefixed to run inside namespace `inode`; unchanged for the host namespace; commented out where nothing enters. */
export function nsCommand(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null, cmd: string): string {
  const ns = namespaceOf(snapshot, inode);
  if (!ns || ns.kind === 'host') return cmd;
  if (ns.kind === 'netns') return `ip netns exec ${shellQuote(ns.name)} ${cmd}`;
  if (ns.pids.length) return `nsenter -n -t ${ns.pids[0]} ${cmd}`;
  // No process in it and no name (one found through a socket: snapshot/orphan-netns.ts): nothing
  // enters it from a shell, and run here the command would answer for another namespace (or change
  // it: sysctl -w). The whole line is a comment, whatever a caller appends.
  return `# inside ${commentLabel(ns)}, which no command here can enter: ${cmd}`;
}

/**
 * The namespace where a process's TCP sockets are, for commands about them: its own, or the one other
 * namespace holding all of them (a process that changed namespace after making them, or was passed
 * them: snapshot/orphan-netns.ts), where `nsenter -t PID` would show none.
 */
export function socketsNetns(p: Pick<ProcessInfo, 'netns' | 'tcpNetns'>): NetnsInode | null {
  return p.tcpNetns?.length === 1 ? p.tcpNetns[0] : p.netns;
}

/** Who listens (for "restart X so that it calls listen() again") and which listener to check. */
export interface Relisten {
  /** "python3 (pid 812)", already plain text; escaped here for the comment. */
  who: string;
  /** The listener: its `ss` line (TCP port, or a unix socket's path or @name) checks the new backlog. */
  listener: Pick<Listener, 'family' | 'address' | 'port' | 'netns'>;
}

/** The bare `ss` command that shows one listener's Recv-Q and Send-Q (no namespace prefix). */
function ssListenerBare(l: Pick<Listener, 'family' | 'address' | 'port'>): string {
  return l.family === 'unix' ? `ss -xlp src ${shellQuote(l.address)}` : `ss -ltn 'sport = :${l.port}'`;
}

/**
 * The `ss` line that shows one listener's queue (Recv-Q) and backlog (Send-Q), inside its namespace:
 * `ss -ltn 'sport = :P'` for TCP, `ss -xlp src PATH` for a unix-domain one (ss matches unix names
 * with `src`, an abstract one by its "@name").
 */
export function ssListenerCommand(snapshot: Pick<Snapshot, 'namespaces'>, l: Pick<Listener, 'family' | 'address' | 'port' | 'netns'>): string {
  return nsCommand(snapshot, l.netns, ssListenerBare(l));
}

/**
 * How to raise net.core.somaxconn to `value` where this listener lives, lasting setting first,
 * then what makes the listener use it. Two kernel facts decide the lines: a listener keeps the
 * backlog it got at listen() (net/socket.c __sys_listen clamps to the namespace's somaxconn at that
 * moment; unix-domain listeners too), so the program must listen again; and a container's value
 * comes from its runtime at creation (`--sysctl`, compose `sysctls:`, a pod's
 * securityContext.sysctls): `docker restart` gives the container a new network namespace with its
 * own --sysctl again, so only a recreate with the new value lasts. `nsenter … sysctl -w` is offered
 * as relief only with what it needs said: a program that listens again inside that same namespace
 * (for a pod, a restarted container does: the pause container holds the namespace).
 */
export function somaxconnFix(snapshot: Pick<Snapshot, 'namespaces'>, inode: NetnsInode | null, value: number, relisten: Relisten): string[] {
  const ns = namespaceOf(snapshot, inode);
  const now = nsCommand(snapshot, inode, `sysctl -w net.core.somaxconn=${value}`);
  const who = terminalSafe(relisten.who);
  // One comment line: a shared `ss` line would be folded into another finding's fix and leave "and check:" dangling.
  const check = nsCommand(snapshot, inode, ssListenerBare(relisten.listener)).replace(/ {3}#.*$/, '');
  const relistenLine = `# then restart ${who} so that it calls listen() again (a listener keeps the backlog it got), and check: ${check} (Send-Q)`;
  if (!ns || ns.kind === 'host') {
    return [
      now,
      `echo 'net.core.somaxconn = ${value}' > /etc/sysctl.d/90-somaxconn.conf   # keeps it after reboot`,
      relistenLine,
    ];
  }
  const label = commentLabel(ns);
  const inside = `helps only if ${who} calls listen() again inside this same namespace (its own reload, or a supervisor in it restarting it): a listener keeps the backlog it got`;
  switch (ns.kind) {
    case 'docker':
    case 'podman': {
      const tool = ns.kind;
      return [
        `${tool} run --sysctl net.core.somaxconn=${value} ...   # recreate ${label} with it${tool === 'docker' ? ` (compose: sysctls: [net.core.somaxconn=${value}])` : ''}: its program then listens anew with it; \`${tool} restart\` would re-apply the container's own --sysctl`,
        `${now}   # now, until the container restarts or is recreated: ${inside}`,
        `# after the recreate, check the new listener (Send-Q = its backlog): ${ssListenerBare(relisten.listener)} inside the new container (nsenter -n -t ITS_PID)`,
      ];
    }
    case 'kubernetes':
      return [
        `# pod spec: securityContext: { sysctls: [{ name: net.core.somaxconn, value: "${value}" }] }   (a namespaced sysctl; older kubelets need --allowed-unsafe-sysctls), then recreate the pod: its containers listen anew with it`,
        `${now}   # now, until the pod is recreated: the pod keeps its namespace (its pause container holds it), so restarting the container (crictl stop ID; the kubelet starts it again in the same pod) makes ${who} listen again with it`,
        `# then check: ${check} (Send-Q)`,
      ];
    case 'lxc':
      return [
        `lxc.sysctl.net.core.somaxconn = ${value}   # in the container's LXC config, then restart the container: its program listens anew with it`,
        `${now}   # now, until the container restarts: ${inside}`,
        `# then check: ${check} (Send-Q)`,
      ];
    default:
      return [
        `${now}   # lasts as long as ${label}; set it again wherever the namespace is created`,
        relistenLine,
      ];
  }
}

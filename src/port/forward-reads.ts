/**
 * The reads `sockdoc port` makes for forwarders, each at most once per namespace and only when asked
 * (forwardHops asks for a namespace's NAT rules and addresses only when a hop needs them).
 */
import { readNatRules, type NatRead } from '../probe/nat-read.js';
import { readNetnsAddresses, type NetnsAddresses } from '../probe/netns-addresses.js';
import { readPidNetns } from '../probe/netns.js';
import type { NetnsInode, Snapshot } from '../snapshot/types.js';
import { checkPort, type PortCheck } from './check.js';
import type { ForwardReads } from './forwarders.js';

/** `whole`: the namespaces the hops may lead to (sockdoc's own is told by ROOT/proc/self/ns/net, not by its place in the list). */
export function forwardReads(root: string, whole: Snapshot): ForwardReads {
  const nat = new Map<NetnsInode, NatRead>();
  const addresses = new Map<NetnsInode, NetnsAddresses | null>();
  const own = readPidNetns(root, 'self').inode;
  const find = (inode: NetnsInode) => whole.namespaces.find((n) => n.inode === inode);
  return {
    nat(inode) {
      let r = nat.get(inode);
      if (!r) {
        const ns = find(inode);
        r = readNatRules(root, { inode, pid: ns?.pids[0] ?? null, namedPath: ns?.kind === 'netns' ? `/run/netns/${ns.name}` : null, own: inode === own });
        nat.set(inode, r);
      }
      return { table: r.table, note: r.note };
    },
    addresses(inode) {
      if (!addresses.has(inode)) {
        const ns = find(inode);
        addresses.set(inode, ns ? readNetnsAddresses(root, { inode, pids: ns.pids, own: inode === own }) : null);
      }
      return addresses.get(inode) ?? null;
    },
  };
}

/**
 * checkPort with the port's forwarders followed. A scoped read (--netns/--container/--pod, --pid)
 * holds only the namespaces asked for: when a hop leads to an address none of them owns (docker-proxy
 * in the asked namespace, its container in another), the whole host is read once more, without a
 * sampling window, and the hops are judged there. A read of the whole host is judged as it is.
 */
export async function checkPortForwarded(root: string, snapshot: Snapshot, port: number, narrowed: boolean, readWhole: () => Promise<Snapshot>): Promise<PortCheck> {
  const check = checkPort(snapshot, port, { narrowed, forward: { whole: snapshot, reads: forwardReads(root, snapshot) } });
  if (!snapshot.scope || !check.forwarders.some((h) => h.status === 'elsewhere')) return check;
  const whole = await readWhole();
  return checkPort(snapshot, port, { narrowed, forward: { whole, reads: forwardReads(root, whole) } });
}

/**
 * Runtime names are trusted only from the runtime (docs/safety.md §7). A container is recognised
 * by its cgroup's name (container.ts), and named from the runtime's state files; both can be made
 * by a user:
 * - a cgroup subtree delegated to a user (systemd's user@UID.service, any directory chowned to
 *   them) lets the user create `docker-<ID of a real container>.scope` or `/docker/<ID>` and put a
 *   process of its own in it;
 * - a user's own program named `dockerd --data-root ~/d` makes ~/d/containers/ID/config.v2.json
 *   name anything ("kube-apiserver").
 * So a cgroup names a container only when every directory from its hierarchy's root to it was made
 * by root and could only be changed by root (owner uid 0, no group or world write), and it lies in
 * no user@UID.service of a user other than root; a runtime's state is read only from a daemon whose
 * real uid is 0 and whose own cgroup passes the same check. What fails is named by inode, and the
 * doubt is said.
 */
import { cgroupAncestors, cgroupOwnerReader, type CgroupOwnerReader } from '../probe/cgroup-owners.js';
import type { CgroupEntry } from '../probe/pid-cgroup.js';
import { detectContainer, type ContainerInfo } from './container.js';

/** Why a cgroup is not trusted to name a container; null when it is. */
export type Doubt = string | null;

/** A user other than root to whom systemd delegated this subtree (user@UID.service), or null. */
export function delegatedUid(path: string): number | null {
  const m = /\/user@(\d+)\.service(\/|$)/.exec(path);
  if (!m) return null;
  const uid = Number(m[1]);
  return uid === 0 ? null : uid;
}

/**
 * Could anyone but root have made this cgroup (or a directory on its way)? The position
 * (user@UID.service) first; then, where ownership can be read, each directory from the root down.
 * A live directory whose owner cannot be read is a doubt too; a capture that recorded no ownership
 * (older, or a fixture) is judged by position alone — its author could have written any record.
 */
export function cgroupDoubt(reader: CgroupOwnerReader, e: Pick<CgroupEntry, 'hierarchy' | 'controllers' | 'path'>): Doubt {
  const uid = delegatedUid(e.path);
  if (uid !== null) return `it lies in user@${uid}.service, a subtree systemd delegates to uid ${uid}, who can create any cgroup name there`;
  if (!reader.recorded) return null;
  for (const dir of cgroupAncestors(e.path)) {
    const o = reader.owner(e, dir);
    if (o === null) return `the owner of the cgroup directory ${dir} could not be read, so who made it is unknown`;
    if (o.uid !== 0) return `the cgroup directory ${dir} belongs to uid ${o.uid}, who can create any cgroup name below it`;
    if ((o.mode & 0o022) !== 0) return `the cgroup directory ${dir} is writable by ${o.mode & 0o002 ? 'everyone' : 'its group'}, who can create any cgroup name below it`;
  }
  return null;
}

/** A container recognised from cgroup entries, and the doubts about entries that looked like one but are not trusted. */
export interface TrustedContainer {
  container: ContainerInfo | null;
  /** One sentence per untrusted entry that looked like a container: "… looks like docker container ID, but …". */
  doubts: string[];
}

/** detectContainer over the entries that are trusted; the others are said. */
export function trustedContainer(reader: CgroupOwnerReader, entries: ReadonlyArray<Pick<CgroupEntry, 'hierarchy' | 'controllers' | 'path'>>): TrustedContainer {
  const doubts: string[] = [];
  const trusted: string[] = [];
  for (const e of entries) {
    const c = detectContainer([e.path]);
    if (!c) continue;
    const d = cgroupDoubt(reader, e);
    if (d === null) trusted.push(e.path);
    else doubts.push(`its cgroup ${e.path} looks like ${c.runtime} container ${c.id ? c.id.slice(0, 12) : '(no id)'}, but ${d}: not taken as that container`);
  }
  return { container: detectContainer(trusted), doubts: [...new Set(doubts)] };
}

/** The owner reader for a root, memoised per root in a cache the caller owns. */
export function ownersFor(cache: Map<string, unknown>, root: string): CgroupOwnerReader {
  const key = `cgroup-owners:${root}`;
  let r = cache.get(key) as CgroupOwnerReader | undefined;
  if (!r) {
    r = cgroupOwnerReader(root);
    cache.set(key, r);
  }
  return r;
}

/** A process that claims to be a runtime daemon (dockerd, containerd, podman, crio, lxc): is it the system's? */
export function daemonDoubt(reader: CgroupOwnerReader, p: { pid: number; uid: number | null; name: string; cgroup: ReadonlyArray<Pick<CgroupEntry, 'hierarchy' | 'controllers' | 'path'>> | null }): Doubt {
  if (p.uid !== 0) return `${p.name} (pid ${p.pid}) runs as uid ${p.uid ?? 'unknown'}, not root: it is not the system's ${p.name}`;
  if (p.cgroup === null) return `the cgroup of ${p.name} (pid ${p.pid}) could not be read`;
  for (const e of p.cgroup) {
    const d = cgroupDoubt(reader, e);
    if (d) return `${p.name} (pid ${p.pid}) runs in the cgroup ${e.path}, but ${d}`;
  }
  return null;
}

/** The container a process of a provenance chain runs in, trusted as above (memoised per root in the explain cache). */
export function nodeContainer(cache: Map<string, unknown>, root: string, node: { cgroupPaths: string[]; cgroupEntries?: ReadonlyArray<Pick<CgroupEntry, 'hierarchy' | 'controllers' | 'path'>> }): TrustedContainer {
  const entries = node.cgroupEntries ?? node.cgroupPaths.map((path) => ({ hierarchy: 0, controllers: [], path }));
  return trustedContainer(ownersFor(cache, root), entries);
}

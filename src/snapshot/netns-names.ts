/**
 * Names a network namespace the way its user knows it, from the cgroup of its processes and the
 * runtime's own state files under the root (so a capture or a fixture tree is named the same):
 * - docker: /docker/ID or docker-ID.scope, then DATA_ROOT/containers/ID/config.v2.json `Name`
 *   and `Config.Image` (DATA_ROOT: /var/lib/docker, or dockerd's --data-root);
 * - Kubernetes (containerd, CRI-O): the kubepods cgroup carries the pod UID (pod<UID>, "_" for "-"
 *   under the systemd driver) and the container id; the kubelet's log tree names them:
 *   /var/log/pods/NAMESPACE_POD_UID/CONTAINER/ and /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log;
 * - podman libpod-ID (names from containers-storage's containers.json), LXC lxc.payload.NAME,
 *   systemd-nspawn machine-NAME.scope;
 * - `ip netns` names from /run/netns; otherwise "netns INODE (pid P name)".
 */
import { parsePidCgroup, type CgroupEntry } from '../probe/pid-cgroup.js';
import { listUnder, readUnder } from '../probe/read-file.js';
import { cgroupOwnerReader, type CgroupOwnerReader } from '../probe/cgroup-owners.js';
import { cgroupDoubt, daemonDoubt, trustedContainer } from '../provenance/container-trust.js';
import { writableByOthers } from '../safety/writable-by.js';
import type { ContainerRef, NetnsRef, PodRef, ProcessInfo } from './types.js';

/** "4dacd5c37193": the 12-character short id docker prints. */
export function shortId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}

/**
 * How a person names a container: "docker container web (4dacd5c37193)". Limits provenance uses
 * the same words (`sockdoc limits`), so both reports agree.
 */
export function containerLabel(c: ContainerRef): string {
  const id = shortId(c.id);
  const runtime = c.runtime === 'lxc' ? 'LXC' : c.runtime === 'nspawn' ? 'systemd-nspawn' : c.runtime;
  if (c.name && c.name !== id) return `${runtime} container ${c.name} (${id})`;
  return `${runtime} container ${id}`;
}

/**
 * How titles and notes name a namespace: "host", "netns blue", "docker container web
 * (4dacd5c37193)", "pod shop/web-7d9f (container web)", "netns 4026532320 (pid 1234 nginx)".
 */
export function netnsLabel(ref: NetnsRef): string {
  switch (ref.kind) {
    case 'host':
      return 'host';
    case 'netns':
      return `netns ${ref.name}`;
    case 'kubernetes':
      return `pod ${ref.name}${ref.container?.name ? ` (container ${ref.container.name})` : ''}`;
    case 'other':
      return ref.name;
    default:
      return ref.container ? containerLabel(ref.container) : ref.name;
  }
}

/** What naming reads of a process: its comm, and the command line and real uid of dockerd (null: not read). */
export type NamingProcess = Pick<ProcessInfo, 'pid' | 'name' | 'cmdline'> & { uid: number | null };

/** What naming needs to know about the host beyond the namespace's own processes. */
export interface NamingContext {
  root: string;
  /** Every scanned process (dockerd's --data-root is read from its command line; its uid says whether it is the system's). */
  processes: ReadonlyArray<NamingProcess>;
  /** inode -> `ip netns` names. */
  named: ReadonlyMap<number, string[]>;
  /** Cache of file reads across namespaces: path -> text or null. */
  cache?: Map<string, string | null>;
  /** Who owns the cgroup directories (live stat, or the capture's record): made from root when absent. */
  owners?: CgroupOwnerReader;
}

function ownersOf(ctx: NamingContext): CgroupOwnerReader {
  return (ctx.owners ??= cgroupOwnerReader(ctx.root));
}

/**
 * Why the runtime state at this host path cannot name anything: someone other than root can
 * change it (live only: a capture's files are the capture's, and its author could have written any).
 */
function stateDoubt(ctx: NamingContext, hostPath: string): string | null {
  if (ctx.root !== '/') return null;
  const key = `writable:${hostPath}`;
  const cache = (ctx.cache ??= new Map());
  if (!cache.has(key)) {
    let why: string | null;
    try {
      const w = writableByOthers('/', hostPath);
      why = w ? `${w.path} is ${w.why}` : null;
    } catch {
      why = `who can change ${hostPath} could not be read`;
    }
    cache.set(key, why);
  }
  return cache.get(key) as string | null;
}

/** ROOT/REL through the confined reader (runtime state files are untrusted), cached; null when unreadable. */
function cachedText(ctx: NamingContext, rel: string): string | null {
  const path = rel;
  const cache = (ctx.cache ??= new Map());
  if (cache.has(path)) return cache.get(path) as string | null;
  let text: string | null = null;
  try {
    text = readUnder(ctx.root, rel.replace(/^\/+/, ''), rel.startsWith('proc/') ? 'proc' : 'config');
  } catch {
    text = null;
  }
  cache.set(path, text);
  return text;
}

function cachedDir(ctx: NamingContext, rel: string): string[] {
  const key = `dir:${rel}`;
  const cache = (ctx.cache ??= new Map());
  if (!cache.has(key)) {
    let names: string[] = [];
    try {
      names = listUnder(ctx.root, rel.replace(/^\/+/, ''), 'config').sort();
    } catch {
      names = [];
    }
    cache.set(key, names.join('\n'));
  }
  const v = cache.get(key) as string;
  return v === '' ? [] : v.split('\n');
}

/**
 * dockerd's data roots: the default plus every --data-root / -g on the command line of a dockerd
 * `trusted` accepts (the naming and the capture pass one that keeps only the system's daemons).
 */
export function dockerDataRoots(processes: readonly Pick<ProcessInfo, 'name' | 'cmdline' | 'pid'>[], trusted: (p: Pick<ProcessInfo, 'name' | 'cmdline' | 'pid'>) => boolean = () => true): string[] {
  const roots = new Set(['/var/lib/docker']);
  for (const p of processes) {
    if (p.name !== 'dockerd') continue;
    const m = /(?:^|\s)(?:--data-root|-g|--graph)(?:=|\s+)(\S+)/.exec(p.cmdline);
    if (m && trusted(p)) roots.add(m[1]);
  }
  return [...roots];
}

/** The cgroup entries of a process, through the cache; null when unreadable. */
function cgroupEntries(ctx: NamingContext, pid: number): CgroupEntry[] | null {
  const text = cachedText(ctx, `proc/${pid}/cgroup`);
  if (text === null) return null;
  try {
    return parsePidCgroup(text);
  } catch {
    return null;
  }
}

/** Is this dockerd (by pid) the system's: root, in a cgroup only root controls (container-trust.ts daemonDoubt)? */
function systemDaemon(ctx: NamingContext, p: Pick<ProcessInfo, 'pid' | 'name'>): boolean {
  const uid = ctx.processes.find((x) => x.pid === p.pid)?.uid ?? null;
  return daemonDoubt(ownersOf(ctx), { pid: p.pid, uid, name: p.name, cgroup: cgroupEntries(ctx, p.pid) }) === null;
}

/**
 * Where docker keeps container `id`'s config.v2.json: the first data root of a system dockerd
 * (systemDaemon) holding it, when only root can change the file; null when none does. A doubt met on
 * the way is said.
 */
export function dockerConfigPath(ctx: NamingContext, id: string, doubts: string[]): { id: string; path: string | null } | null {
  for (const dataRoot of dockerDataRoots(ctx.processes, (p) => systemDaemon(ctx, p))) {
    const dirs = cachedDir(ctx, `${dataRoot}/containers`);
    const full = dirs.find((d) => d === id || (id.length >= 12 && d.startsWith(id)));
    if (!full) continue;
    const path = `${dataRoot}/containers/${full}/config.v2.json`;
    const doubt = stateDoubt(ctx, path);
    if (doubt) doubts.push(`docker's state for container ${shortId(full)} is not used: ${doubt}`);
    return { id: full, path: doubt ? null : path };
  }
  return null;
}

/** A dockerd that is not the system's but keeps a config for `id`: said, since its name for the container is not taken. */
function untrustedClaim(ctx: NamingContext, id: string, doubts: string[]): void {
  for (const p of ctx.processes) {
    if (p.name !== 'dockerd') continue;
    const why = daemonDoubt(ownersOf(ctx), { pid: p.pid, uid: p.uid, name: p.name, cgroup: cgroupEntries(ctx, p.pid) });
    if (why === null) continue;
    const [dataRoot] = dockerDataRoots([p]).slice(1);
    if (dataRoot && cachedDir(ctx, `${dataRoot}/containers`).some((d) => d === id || (id.length >= 12 && d.startsWith(id)))) {
      doubts.push(`${dataRoot} claims to name docker container ${shortId(id)}, but ${why}: its name is not taken`);
    }
  }
}

function dockerContainer(ctx: NamingContext, id: string, doubts: string[]): ContainerRef {
  const at = dockerConfigPath(ctx, id, doubts);
  if (!at) untrustedClaim(ctx, id, doubts);
  if (at) {
    const full = at.id;
    if (at.path === null) return { runtime: 'docker', id: full, name: null, image: null };
    const text = cachedText(ctx, at.path);
    if (text === null) return { runtime: 'docker', id: full, name: null, image: null };
    try {
      const cfg = JSON.parse(text) as { Name?: unknown; Config?: { Image?: unknown } };
      const name = typeof cfg.Name === 'string' ? cfg.Name.replace(/^\//, '') : null;
      const image = typeof cfg.Config?.Image === 'string' ? cfg.Config.Image : null;
      return { runtime: 'docker', id: full, name: name || null, image };
    } catch {
      return { runtime: 'docker', id: full, name: null, image: null };
    }
  }
  return { runtime: 'docker', id, name: null, image: null };
}

export { ownersOf as namingOwners, cgroupEntries as namingCgroupEntries };

function podmanContainer(ctx: NamingContext, id: string, doubts: string[]): ContainerRef {
  const doubt = stateDoubt(ctx, '/var/lib/containers/storage/overlay-containers/containers.json');
  if (doubt) {
    doubts.push(`podman's state is not used: ${doubt}`);
    return { runtime: 'podman', id, name: null, image: null };
  }
  const text = cachedText(ctx, 'var/lib/containers/storage/overlay-containers/containers.json');
  if (text !== null) {
    try {
      const list = JSON.parse(text) as Array<{ id?: unknown; names?: unknown; image?: unknown }>;
      const hit = Array.isArray(list) ? list.find((c) => typeof c.id === 'string' && c.id.startsWith(id)) : undefined;
      if (hit) {
        const name = Array.isArray(hit.names) && typeof hit.names[0] === 'string' ? hit.names[0] : null;
        return { runtime: 'podman', id: hit.id as string, name, image: typeof hit.image === 'string' ? hit.image : null };
      }
    } catch {
      // unreadable state: the id alone names it
    }
  }
  return { runtime: 'podman', id, name: null, image: null };
}

const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;
const K8S_CONTAINER = /(?:cri-containerd-|crio-|docker-)?([0-9a-f]{64})(?:\.scope)?$/;

/** Pod and container from a kubepods cgroup path and the kubelet's log tree; null when not a pod. */
function kubernetesOf(ctx: NamingContext, path: string, doubts: string[]): { pod: PodRef; container: ContainerRef | null } | null {
  if (!/kubepods/.test(path)) return null;
  const uidMatch = POD_UID.exec(path);
  if (!uidMatch) return null;
  const uid = uidMatch[1].replace(/_/g, '-');
  const runtime: ContainerRef['runtime'] = /crio-/.test(path) ? 'cri-o' : /\/docker-|\/docker\//.test(path) ? 'docker' : 'containerd';
  const idMatch = K8S_CONTAINER.exec(path.replace(/\/+$/, ''));
  // The kubelet's log tree names pods and containers: only when only root can change it.
  const logDoubt = stateDoubt(ctx, '/var/log/pods') ?? stateDoubt(ctx, '/var/log/containers');
  if (logDoubt) {
    doubts.push(`the kubelet's log tree is not used to name pod ${uid}: ${logDoubt}`);
    return { pod: { namespace: '?', name: `pod ${uid}`, uid, containers: [] }, container: idMatch ? { runtime, id: idMatch[1], name: null } : null };
  }
  const podDir = cachedDir(ctx, 'var/log/pods').find((d) => d.endsWith(`_${uid}`));
  let pod: PodRef = { namespace: '?', name: `pod ${uid}`, uid, containers: [] };
  if (podDir) {
    const [namespace, name] = podDir.slice(0, -uid.length - 1).split('_');
    pod = { namespace: namespace ?? '?', name: name ?? uid, uid, containers: cachedDir(ctx, `var/log/pods/${podDir}`) };
  }
  let container: ContainerRef | null = null;
  if (idMatch) {
    const id = idMatch[1];
    // /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log (kubelet's symlink to the pod's log file).
    const log = cachedDir(ctx, 'var/log/containers').find((f) => f.endsWith(`-${id}.log`));
    const parts = log ? log.slice(0, -(id.length + 5)).split('_') : [];
    container = { runtime, id, name: parts.length >= 3 ? parts.slice(2).join('_') : null };
  }
  return { pod, container };
}

/** systemd-nspawn's "machine-NAME.scope", with systemd's \x2d escapes undone. */
function nspawnName(path: string): string | null {
  const m = /\/machine-([^/]+)\.scope(\/|$)/.exec(path);
  return m ? m[1].replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : null;
}

/** What the host's own namespace is called in every table, label, title and `--netns host`. */
export const HOST_NETNS_NAME = 'host';

/**
 * True for a name a person would read as the host's: "host" in any case, with blanks around it
 * (a docker container named host, an LXC cgroup lxc.payload.host, `ip netns add 'host '`).
 */
export function readsAsHost(name: string): boolean {
  return name.trim().toLowerCase() === HOST_NETNS_NAME;
}

/**
 * Names namespace `inode` from its processes (ascending pids). `host` marks the namespace of pid 1
 * (or the lowest visible pid). No other namespace is ever named like the host: one whose
 * container, cgroup or `ip netns` name reads "host" gets its inode added ("host [4026532467]"), so
 * it can take neither the host's rows, nor its series (prometheus-model.ts), nor `--netns host`.
 */
export function nameNetns(ctx: NamingContext, inode: number, pids: readonly number[], host: boolean): NetnsRef {
  return nameNetnsWithDoubts(ctx, inode, pids, host).ref;
}

/**
 * nameNetns, and the doubts that kept a runtime name from it: a cgroup that looks like a container
 * but lies where a user could have made it, runtime state a user could have written (docs/safety.md
 * §7). Such a namespace is named by inode and its processes, and each doubt is one sentence.
 */
export function nameNetnsWithDoubts(ctx: NamingContext, inode: number, pids: readonly number[], host: boolean): { ref: NetnsRef; doubts: string[] } {
  const doubts: string[] = [];
  if (host) return { ref: { inode, kind: 'host', name: HOST_NETNS_NAME }, doubts };
  const ref = nameFrom(ctx, inode, pids, doubts);
  return { ref: readsAsHost(ref.name) ? { ...ref, name: `${ref.name} [${inode}]` } : ref, doubts: [...new Set(doubts)] };
}

function nameFrom(ctx: NamingContext, inode: number, pids: readonly number[], doubts: string[]): NetnsRef {
  let pod: PodRef | null = null;
  let podContainer: ContainerRef | null = null;
  const owners = ownersOf(ctx);
  for (const pid of pids.slice(0, 64)) {
    for (const entry of cgroupEntries(ctx, pid) ?? []) {
      const path = entry.path;
      // Any name read from a cgroup path holds only where no user could have made that path.
      if (/kubepods|\/machine-[^/]+\.scope/.test(path)) {
        const d = cgroupDoubt(owners, entry);
        if (d) {
          doubts.push(`its cgroup ${path} looks like ${/kubepods/.test(path) ? 'a Kubernetes pod' : 'a systemd-nspawn machine'}, but ${d}: not taken as one`);
          continue;
        }
      }
      const k8s = kubernetesOf(ctx, path, doubts);
      if (k8s) {
        pod ??= k8s.pod;
        // The pause (sandbox) container holds the namespace; the named one is the user's.
        if (k8s.container?.name && (!podContainer || podContainer.name === null || podContainer.name === 'POD')) podContainer = k8s.container;
        else if (!podContainer && k8s.container) podContainer = k8s.container;
        continue;
      }
      if (pod) continue;
      const nspawn = nspawnName(path);
      if (nspawn) return { inode, kind: 'nspawn', name: nspawn, container: { runtime: 'nspawn', id: nspawn, name: nspawn } };
      const t = trustedContainer(owners, [entry]);
      doubts.push(...t.doubts);
      const c = t.container;
      if (!c || !c.id) continue;
      if (c.runtime === 'docker') {
        const ref = dockerContainer(ctx, c.id, doubts);
        return { inode, kind: 'docker', name: ref.name ?? shortId(ref.id), container: ref };
      }
      if (c.runtime === 'podman') {
        const ref = podmanContainer(ctx, c.id, doubts);
        return { inode, kind: 'podman', name: ref.name ?? shortId(ref.id), container: ref };
      }
      if (c.runtime === 'lxc') return { inode, kind: 'lxc', name: c.id, container: { runtime: 'lxc', id: c.id, name: c.id } };
    }
  }
  if (pod) {
    const ref: NetnsRef = { inode, kind: 'kubernetes', name: `${pod.namespace}/${pod.name}`, pod };
    if (podContainer) ref.container = podContainer;
    return ref;
  }
  const names = ctx.named.get(inode);
  if (names?.length) return { inode, kind: 'netns', name: names[0] };
  const first = pids[0];
  const p = first === undefined ? undefined : ctx.processes.find((x) => x.pid === first);
  return { inode, kind: 'other', name: first === undefined ? `netns ${inode}` : `netns ${inode} (pid ${first}${p ? ` ${p.name}` : ''})` };
}

/**
 * The container or pod process `pid` runs in, as titles name it: "docker container web
 * (4dacd5c37193)", "pod shop/web-7d9f (container web)"; null when it runs in none. Reads its cgroup
 * and the runtime's state files only (`sockdoc limits` names the container it explains).
 */
export function containerOf(ctx: NamingContext, pid: number): string | null {
  const ref = nameNetns(ctx, 0, [pid], false);
  return ref.kind === 'host' || ref.kind === 'netns' || ref.kind === 'other' ? null : netnsLabel(ref);
}

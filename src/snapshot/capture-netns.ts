/**
 * Capturing every network namespace of a live host, so that `sockdoc --root DIR` diagnoses the
 * containers too. Layout under DIR (read back by src/probe/netns.ts and netns-read.ts):
 *   proc/PID/ns/net      symlink "net:[INODE]" for each captured process
 *   proc/self/ns/net     the namespace capture ran in (its files are DIR/proc/net, DIR/proc/sys)
 *   run/netns/NAME       symlink "net:[INODE]" for each `ip netns` name
 *   netns/INODE/         what was read from inside each other namespace: proc/net/{sockstat,sockstat6,
 *                        tcp,tcp6,netstat,snmp,unix,...}, proc/sys/net/..., sock_diag/tcp-listen.bin (listeners with
 *                        their drops), sock_diag/tcp-waiting.bin (how long queued clients waited) and unix.bin
 *   var/lib/docker/containers/ID/config.v2.json   only `ID`, `Name` and `Config.Image` (the rest
 *                        holds the container's environment, often secrets)
 * A namespace capture cannot enter (not root) keeps its processes' proc/PID/net/* instead.
 */
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureWriter } from './capture-dir.js';
import { discoverPidNetns, listNamedNetns, readPidNetns } from '../probe/netns.js';
import { ADDON_PATH } from '../probe/native.js';
import { enterNetns, skippedAsReused, type NetnsEntry, type NetnsReadHooks, type NetnsTarget } from '../probe/netns-read.js';
import { NET_TUNABLE_NAMES, sysctlPath } from '../probe/sysctl.js';
import { describeError, readUnder } from '../probe/read-file.js';
import { dockerConfigPath, namingCgroupEntries, namingOwners, type NamingContext } from './netns-names.js';
import { trustedContainer } from '../provenance/container-trust.js';
import { readPidStatus } from '../probe/pid-status.js';
import { CAPTURE_BIN, CAPTURE_WAIT_BIN } from '../probe/sock-diag.js';
import { UNIX_CAPTURE_BIN } from '../probe/net-unix.js';
import { listPids } from '../probe/pids.js';
import { readNatRules, type NatRead } from '../probe/nat-read.js';
import { readPidStat } from '../probe/pid-stat.js';
import { readPidCmdline } from '../probe/pid-cmdline.js';

// sockstat first: a replay calls a namespace whose sockstat counts no socket empty, as a live read does (probe/netns-read.ts).
const NET_FILES = ['sockstat', 'sockstat6', 'tcp', 'tcp6', 'netstat', 'snmp', 'unix', 'udp', 'udp6', 'raw', 'raw6', 'netlink', 'packet'];
/** What is read from inside each namespace, and where it goes under netns/INODE/. */
const INSIDE: Array<{ from: string; to: string; binary?: boolean }> = [
  ...NET_FILES.map((f) => ({ from: `/proc/thread-self/net/${f}`, to: `proc/net/${f}` })),
  ...NET_TUNABLE_NAMES.map((n) => ({ from: `/${sysctlPath(n)}`, to: sysctlPath(n) })),
  // The namespace's own addresses: `sockdoc port` follows a forwarded port to the namespace holding its target.
  { from: '/proc/thread-self/net/fib_trie', to: 'proc/net/fib_trie' },
  { from: '/proc/thread-self/net/if_inet6', to: 'proc/net/if_inet6' },
  { from: 'sock_diag:tcp-listen', to: CAPTURE_BIN, binary: true },
  { from: 'sock_diag:unix', to: UNIX_CAPTURE_BIN, binary: true },
  { from: 'sock_diag:tcp-waiting', to: CAPTURE_WAIT_BIN, binary: true },
];

/** What capture knows of a captured process: enough to tell the system's dockerd from a user's. */
export interface CapturedProcessInfo {
  pid: number;
  name: string;
  cmdline: string;
  uid: number;
}

export interface NetnsCaptureResult {
  files: number;
  namespaces: number;
  problems: string[];
}

// Through the capture's writer (src/snapshot/capture-dir.ts), before it is moved into place: 0700
// folders, 0600 files, exclusive creates inside directory fds.
function write(w: CaptureWriter, rel: string, data: string | Buffer): void {
  w.writeFile(rel, data, typeof data === 'string' ? 'latin1' : undefined);
}

/** docker's config.v2.json reduced to what naming reads. */
function reducedDockerConfig(text: string): string | null {
  try {
    const c = JSON.parse(text) as { ID?: unknown; Name?: unknown; Config?: { Image?: unknown } };
    return JSON.stringify({ ID: c.ID ?? null, Name: c.Name ?? null, Config: { Image: c.Config?.Image ?? null } }) + '\n';
  } catch {
    return null;
  }
}

/** What was read of the namespaces before anything is written (startNamespaceReads). */
export interface NamespaceReads {
  disc: ReturnType<typeof discoverPidNetns>;
  named: ReturnType<typeof listNamedNetns>;
  /** Namespaces other than capture's own, with the processes in each. */
  targets: Array<[number, number[]]>;
  netnsTargets: NetnsTarget[];
  /** Per target, what was read from inside (entered through the checked fd); null when the native module is not available. */
  entries: NetnsEntry[] | null;
  problems: string[];
}

/**
 * Discovers the namespaces of `pids` and reads each from inside, on the addon's threads: started
 * before the processes are captured (captureInto reads their fds meanwhile), so the sockets of
 * every namespace are read at about the moment the fds that hold them are, as a live snapshot does.
 */
export async function startNamespaceReads(pids: readonly number[], opts: { all: boolean; addonPath?: string; hooks?: NetnsReadHooks }): Promise<NamespaceReads> {
  const problems: string[] = [];
  const disc = discoverPidNetns('/', pids);
  const members = new Map<number, number[]>();
  for (const [pid, inode] of disc.byPid) if (inode !== disc.own) members.set(inode, [...(members.get(inode) ?? []), pid]);
  const named = listNamedNetns('/').filter((n) => opts.all || members.has(n.inode));
  for (const n of named) if (n.inode !== disc.own && !members.has(n.inode)) members.set(n.inode, []);
  const targets = [...members];
  const netnsTargets: NetnsTarget[] = targets.map(([inode, list]) => ({ inode, pids: list, namedPath: named.find((n) => n.inode === inode)?.path ?? null, label: `netns ${inode}` }));
  let entries: NetnsEntry[] | null = null;
  try {
    if (targets.length) entries = await enterNetns(netnsTargets, INSIDE.map((f) => f.from), opts.addonPath ?? ADDON_PATH, opts.hooks);
  } catch (err) {
    problems.push(`namespaces: the native module is not available (${describeError(err).split('\n')[0]}): their sysctls and backlog limits are not captured`);
  }
  return { disc, named, targets, netnsTargets, entries, problems };
}

/**
 * Records the namespaces of `pids` (every process captured) into the capture. Live host only.
 * `processes` gives names and command lines (dockerd's --data-root). `reads`: what
 * startNamespaceReads read, started before the processes were captured (read now when absent).
 */
export async function captureNamespaces(
  w: CaptureWriter,
  pids: readonly number[],
  processes: ReadonlyArray<CapturedProcessInfo>,
  opts: { all: boolean; addonPath?: string; hooks?: NetnsReadHooks; reads?: Promise<NamespaceReads> },
): Promise<NetnsCaptureResult> {
  const { disc, named, targets, netnsTargets, entries, problems } = await (opts.reads ?? startNamespaceReads(pids, opts));
  const result: NetnsCaptureResult = { files: 0, namespaces: 0, problems: [...problems] };
  const captured = new Set(pids);
  for (const [pid, inode] of disc.byPid) {
    if (!captured.has(pid)) continue; // exited before its files were copied: no directory of its own
    w.symlink(`proc/${pid}/ns/net`, `net:[${inode}]`);
    result.files++;
  }
  if (disc.own !== null) w.symlink('proc/self/ns/net', `net:[${disc.own}]`);
  for (const n of named) w.symlink(`run/netns/${n.name}`, `net:[${n.inode}]`);
  targets.forEach(([inode, list], i) => {
    const e = entries?.[i];
    const r = e?.read;
    if (e && r?.what === 'inode') {
      // Every way in now names another namespace: nothing is captured under this one's inode.
      result.problems.push(skippedAsReused(netnsTargets[i], e.reused).notes[0]);
      return;
    }
    if (r && !(r.errno && (r.what === 'open' || r.what === 'setns' || r.what === 'fstat'))) {
      result.namespaces++;
      INSIDE.forEach((f, k) => {
        const v = r.files[k];
        if (typeof v !== 'string') return; // absent inside (no IPv6, netdev_max_backlog): the reader says so
        write(w, `netns/${inode}/${f.to}`, f.binary ? Buffer.from(v, 'latin1') : v);
        result.files++;
      });
      return;
    }
    if (r) result.problems.push(`netns ${inode}: could not enter (${r.what} errno ${r.errno}): only its processes' proc/PID/net files are captured`);
    // From outside: /proc/PID/net of a process still in it, checked before and after the reads (a
    // reused pid describes another namespace).
    const still = (pid: number) => readPidNetns('/', pid).inode === inode;
    for (const pid of list.filter((p) => captured.has(p)).slice(0, 5)) {
      if (!still(pid)) continue;
      const read: Array<[string, string]> = [];
      for (const f of NET_FILES) {
        try {
          read.push([f, readUnder('/', `proc/${pid}/net/${f}`, 'proc-table')]);
        } catch (err) {
          if (f !== 'tcp6' && f !== 'sockstat6') result.problems.push(`netns ${inode}: ${describeError(err)}`);
        }
      }
      if (!still(pid)) continue;
      for (const [f, text] of read) write(w, `proc/${pid}/net/${f}`, text);
      result.files += read.length;
      break;
    }
  });
  result.files += captureDockerConfigs(w, pids, processes, result.problems);
  result.files += captureNat(w, disc.own, targets, named);
  return result;
}

/**
 * The NAT rules of every captured namespace (`iptables-save -t nat`, `nft list ruleset`: read-only,
 * root only), where readNatRules finds them in the capture: nat/ for the capture's own namespace,
 * netns/INODE/nat/ for the others. A port published by a DNAT rule alone is then seen in the capture.
 */
function captureNat(w: CaptureWriter, own: number | null, targets: ReadonlyArray<[number, number[]]>, named: ReadonlyArray<{ inode: number; path: string }>): number {
  let files = 0;
  const save = (dir: string, r: NatRead) => {
    if (r.texts.iptables !== null) {
      write(w, join(dir, 'nat', 'iptables-save.txt'), r.texts.iptables);
      files++;
    }
    if (r.texts.nft !== null) {
      write(w, join(dir, 'nat', 'nft-ruleset.txt'), r.texts.nft);
      files++;
    }
  };
  if (own !== null) save('', readNatRules('/', { inode: own, pid: null, namedPath: null, own: true }));
  for (const [inode, list] of targets) {
    save(join('netns', String(inode)), readNatRules('/', { inode, pid: list[0] ?? null, namedPath: named.find((n) => n.inode === inode)?.path ?? null, own: false }));
  }
  return files;
}

/** Every running dockerd of the live host (its --data-root says where container configs are), not only the captured ones. */
function liveDockerds(): Array<{ pid: number; name: string; cmdline: string; uid: number }> {
  const out: Array<{ pid: number; name: string; cmdline: string; uid: number }> = [];
  for (const pid of listPids('/')) {
    try {
      if (readPidStat('/', pid).name === 'dockerd') out.push({ pid, name: 'dockerd', cmdline: readPidCmdline('/', pid).joined, uid: readPidStatus('/', pid).uid });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Reduced config.v2.json of every docker container a captured process runs in, by the naming's
 * own trust rules (docs/safety.md §7): the container's cgroup made by root, the config read from a
 * system dockerd's data root that only root can change. What is doubted is not copied, and said.
 */
function captureDockerConfigs(w: CaptureWriter, pids: readonly number[], processes: ReadonlyArray<CapturedProcessInfo>, problems: string[]): number {
  const ctx: NamingContext = { root: '/', processes: [...processes, ...liveDockerds()], named: new Map() };
  const owners = namingOwners(ctx);
  const ids = new Set<string>();
  const doubts: string[] = [];
  for (const pid of pids) {
    const t = trustedContainer(owners, namingCgroupEntries(ctx, pid) ?? []);
    doubts.push(...t.doubts.map((d) => `pid ${pid}: ${d}`));
    if (t.container?.runtime === 'docker' && /^[0-9a-f]{64}$/.test(t.container.id)) ids.add(t.container.id);
  }
  let files = 0;
  for (const id of ids) {
    const at = dockerConfigPath(ctx, id, doubts);
    if (!at?.path) continue;
    let text: string;
    try {
      text = readUnder('/', at.path.replace(/^\/+/, ''), 'config');
    } catch {
      continue;
    }
    const reduced = reducedDockerConfig(text);
    if (reduced === null) problems.push(`docker container ${id}: config.v2.json does not parse`);
    else {
      write(w, `var/lib/docker/containers/${id}/config.v2.json`, reduced);
      files++;
    }
  }
  problems.push(...[...new Set(doubts)].map((d) => `not recorded as a container: ${d}`));
  return files;
}

/** The inode of a captured ns link, for tests. */
export function capturedNetns(outDir: string, pid: number | 'self'): string {
  return readlinkSync(join(outDir, 'proc', String(pid), 'ns', 'net'));
}

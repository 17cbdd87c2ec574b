/**
 * What a process runs, for telling programs of one name apart: its executable (/proc/PID/exe, the
 * link the kernel sets at execve, as read: a path in the process's own mount namespace) and the
 * systemd unit its cgroup places it in (/proc/PID/cgroup). Two `python3` services are one name but
 * two units; 200 replicas of one deployment are one executable in one workload.
 *
 * The unit is the one a person would name the service by: a template's instances (app@1.service,
 * app@2.service) are one service, `app@.service`; a login session (session-N.scope) and a
 * container's scope (docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope, and
 * anything under kubepods) are none: the session is not what runs, and containers and pods are told
 * apart by what their runtime names them (NetnsRef.container / .pod), not one scope each.
 */
import { readLinkNameUnder } from './read-file.js';
import { readPidCgroup, systemdCgroupPath, unitOfCgroupPath } from './pid-cgroup.js';
import { readPidStat } from './pid-stat.js';
import type { ProcessIdentity } from '../snapshot/types.js';


const CONTAINER_SCOPE = /^(docker|cri-containerd|crio|libpod|containerd)-[0-9a-f]{12,}\.scope$/;

/**
 * The unit a process's cgroup path names, for grouping (see the module comment).
 * @example unitForGrouping('/system.slice/app@7.service') // 'app@.service'
 * @example unitForGrouping('/user.slice/user-1000.slice/session-4.scope') // null
 */
export function unitForGrouping(cgroupPath: string | null): string | null {
  if (cgroupPath === null || cgroupPath.includes('/kubepods')) return null;
  const unit = unitOfCgroupPath(cgroupPath);
  if (unit === null || /^session-[^/]*\.scope$/.test(unit) || CONTAINER_SCOPE.test(unit)) return null;
  return unit.replace(/^([^@]+)@[^@]*\.service$/, '$1@.service');
}

/**
 * Identities already read, by process (pid and start time: a reused pid is another process), for
 * a run that reads the same processes again and again (`sockdoc watch`, every sample). Bounded by
 * count: past `max`, the entry read longest ago goes. Made per run, never shared between runs.
 */
export class IdentityCache {
  private readonly byProcess = new Map<string, ProcessIdentity>();
  constructor(private readonly max = 4096) {}

  get size(): number {
    return this.byProcess.size;
  }

  get(pid: number, starttime: number): ProcessIdentity | undefined {
    return this.byProcess.get(`${pid}:${starttime}`);
  }

  set(pid: number, starttime: number, identity: ProcessIdentity): void {
    if (this.byProcess.size >= this.max) this.byProcess.delete(this.byProcess.keys().next().value!);
    this.byProcess.set(`${pid}:${starttime}`, identity);
  }
}

/**
 * The identity of `pid` under `root`, when the process there is still the one named `name` (a pid
 * reused since the snapshot, or a test's made-up pid, is unknown: both fields null). With a cache,
 * a process already read (same pid and start time) costs its stat read only: its executable and
 * cgroup are not read again (execve changes its comm, which the name check sees).
 */
export function readProcessIdentity(root: string, pid: number, name: string, cache?: IdentityCache): ProcessIdentity {
  const unknown: ProcessIdentity = { exe: null, unit: null };
  let starttime: number;
  try {
    const stat = readPidStat(root, pid);
    if (stat.name !== name) return unknown;
    starttime = stat.starttime;
  } catch {
    return unknown; // gone, or not readable: nothing to tell it by
  }
  const known = cache?.get(pid, starttime);
  if (known) return { ...known };
  let exe: string | null = null;
  try {
    exe = readLinkNameUnder(root, `proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    // Another user's process without ptrace rights, a kernel thread, a capture without the link.
  }
  let unit: string | null = null;
  try {
    unit = unitForGrouping(systemdCgroupPath(readPidCgroup(root, pid)));
  } catch {
    // Unreadable or malformed: no unit to tell it by.
  }
  cache?.set(pid, starttime, { exe, unit });
  return { exe, unit };
}

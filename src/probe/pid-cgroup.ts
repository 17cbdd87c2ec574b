/**
 * /proc/PID/cgroup: one line per hierarchy, `hierarchy-ID:controller-list:path` (man 7 cgroups,
 * kernel/cgroup/cgroup.c proc_cgroup_show). cgroup v2 is the single line `0::/path`; v1 hierarchies
 * have a non-zero ID and their controllers, and systemd's own v1 hierarchy is `N:name=systemd:/path`.
 * systemd places each service in `/system.slice/NAME.service`, which is how sockdoc finds the unit
 * whose LimitNOFILE= a process inherited.
 */
import { ParseError, readUnder, under } from './read-file.js';

export interface CgroupEntry {
  /** 0 for the v2 (unified) hierarchy, the hierarchy ID for v1. */
  hierarchy: number;
  /** v1 controllers ("cpu", "name=systemd"); empty for v2. */
  controllers: string[];
  /** Path relative to the hierarchy's root mount, "/" for the root cgroup. */
  path: string;
}

/**
 * Parses /proc/PID/cgroup. The path may contain ':' so only the first two are separators.
 * @example parsePidCgroup('0::/system.slice/nginx.service\n')[0].path // '/system.slice/nginx.service'
 */
export function parsePidCgroup(text: string, file = 'cgroup'): CgroupEntry[] {
  const entries: CgroupEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    const hierarchy = Number(line.slice(0, a));
    if (a <= 0 || b < 0 || !Number.isInteger(hierarchy) || !line.startsWith('/', b + 1)) {
      throw new ParseError(file, i + 1, 'expected "id:controllers:/path"');
    }
    const list = line.slice(a + 1, b);
    entries.push({ hierarchy, controllers: list === '' ? [] : list.split(','), path: line.slice(b + 1) });
  }
  return entries;
}

/**
 * The cgroup path systemd manages: the `name=systemd` v1 hierarchy when present (legacy and hybrid
 * layouts, where it is systemd's own tree), else the v2 `0::` line. null when neither exists.
 */
export function systemdCgroupPath(entries: readonly CgroupEntry[]): string | null {
  const v1 = entries.find((e) => e.controllers.includes('name=systemd'));
  if (v1) return v1.path;
  return entries.find((e) => e.hierarchy === 0 && e.controllers.length === 0)?.path ?? null;
}

/**
 * The deepest `.service` or `.scope` component of a cgroup path: the unit a process runs in, even when
 * the service delegates sub-cgroups (`/system.slice/docker.service/payload`). null for none.
 * @example unitOfCgroupPath('/system.slice/supervisor.service') // 'supervisor.service'
 */
export function unitOfCgroupPath(path: string): string | null {
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    if (parts[i].endsWith('.service') || parts[i].endsWith('.scope')) return parts[i];
  }
  return null;
}

/** Reads and parses ROOT/proc/PID/cgroup. Throws the errno error when the process is gone. */
export function readPidCgroup(root: string, pid: number): CgroupEntry[] {
  const file = under(root, 'proc', String(pid), 'cgroup');
  return parsePidCgroup(readUnder(root, `proc/${pid}/cgroup`, 'proc'), file);
}

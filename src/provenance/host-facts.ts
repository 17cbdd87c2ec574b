/**
 * Host facts an explanation depends on, read from the filesystem root (so a capture answers as the
 * host did): the systemd version, fs.nr_open, and the capabilities of the processes that would
 * apply a fix (pid 1 for a unit, supervisord for minfds, the operator's shell for prlimit).
 */
import { readUnder } from '../probe/read-file.js';
import { readPidStatus } from '../probe/pid-status.js';
import { nofile, readPidLimits } from '../probe/pid-limits.js';
import { listDir } from './config-files.js';
import { memoRead, nrOpen, type ExplainContext } from './context.js';

/** include/uapi/linux/capability.h: override resource limits; raise a hard limit (kernel/sys.c do_prlimit). */
export const CAP_SYS_RESOURCE = 24;

export interface SystemdVersion {
  version: number;
  /** Host path the version was read from. */
  from: string;
}

/** Directories holding libsystemd-shared-NNN.so (upstream's rootlibexecdir, and distributions' multiarch/lib64 ones). */
const SHARED_LIB_DIRS = ['/usr/lib/systemd', '/lib/systemd', '/usr/lib/x86_64-linux-gnu/systemd', '/usr/lib/aarch64-linux-gnu/systemd', '/usr/lib64/systemd'];

/** The manager binary, which carries PACKAGE_STRING "systemd NNN" (src/core/main.c prints it for --version). */
const BINARIES = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'];

/** "libsystemd-shared-252.so" -> 252 (the name has carried the version since v231; Fedora adds a minor: 254.10). */
export function versionFromLibName(name: string): number | null {
  const m = /^libsystemd-shared-(\d{3})(?:[.~-][0-9a-z.~-]*)?\.so$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** "systemd 219" inside a binary's bytes (latin1). */
export function versionFromBinary(text: string): number | null {
  const m = /(?:^|\0)systemd (\d{3})(?:\s|\(|\0)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The manager binary's text through the confined reader (regular files only, size-capped); null when absent or refused. */
function readBinary(root: string, hostPath: string): string | null {
  try {
    return readUnder(root, hostPath, 'binary');
  } catch {
    // Absent, refused (not a regular file, too large, a link leaving the root): the version stays unknown, and the explanation says so.
    return null;
  }
}

/**
 * The systemd version of the tree at `root`: the libsystemd-shared-NNN.so name (v231+), RHEL's
 * /usr/share/doc/systemd-NNN directory (CentOS 7 ships 219 without the shared library), else the
 * manager binary's "systemd NNN". null when none is there.
 */
export function readSystemdVersion(root: string): SystemdVersion | null {
  for (const dir of SHARED_LIB_DIRS) {
    for (const name of listDir(root, dir)) {
      const v = versionFromLibName(name);
      if (v !== null) return { version: v, from: `${dir}/${name}` };
    }
  }
  for (const name of listDir(root, '/usr/share/doc')) {
    const m = /^systemd-(\d{3})$/.exec(name);
    if (m) return { version: Number(m[1]), from: `/usr/share/doc/${name}` };
  }
  for (const bin of BINARIES) {
    const text = readBinary(root, bin);
    const v = text === null ? null : versionFromBinary(text);
    if (v !== null) return { version: v, from: bin };
  }
  return null;
}

/** Memoised per explanation. */
export function systemdVersion(ctx: ExplainContext, root: string): SystemdVersion | null {
  const r = memoRead(ctx, 'systemd-version', () => readSystemdVersion(root));
  return r.ok ? r.value : null;
}

/** Whether a capability mask holds `cap`. */
export function hasCap(mask: bigint, cap: number): boolean {
  return ((mask >> BigInt(cap)) & 1n) === 1n;
}

/** CapEff of ROOT/proc/PID/status ("self" for the process running sockdoc: the operator's shell's stand-in); null when unknown. */
export function capEffOf(ctx: ExplainContext, root: string, pid: number | 'self'): bigint | null {
  const r = memoRead(ctx, `capeff:${pid}`, () => readPidStatus(root, pid as number).capEff);
  return r.ok ? r.value : null;
}

/** Real uid of ROOT/proc/PID/status, or null. */
export function uidOf(ctx: ExplainContext, root: string, pid: number | 'self'): number | null {
  const r = memoRead(ctx, `uid:${pid}`, () => readPidStatus(root, pid as number).uid);
  return r.ok ? r.value : null;
}

/** Can `pid` raise a hard limit (CAP_SYS_RESOURCE in CapEff)? null when its status cannot be read. */
export function canRaiseHard(ctx: ExplainContext, root: string, pid: number | 'self'): boolean | null {
  const m = capEffOf(ctx, root, pid);
  return m === null ? null : hasCap(m, CAP_SYS_RESOURCE);
}

export interface HostFacts {
  systemd: SystemdVersion | null;
  nrOpen: number | null;
}

export function hostFacts(ctx: ExplainContext, root: string): HostFacts {
  return { systemd: systemdVersion(ctx, root), nrOpen: nrOpen(ctx, root) };
}

/**
 * The process that would run a fix typed at a shell: sockdoc's own (ROOT/proc/self), the stand-in
 * for the operator's shell. Its hard limit bounds `ulimit -n` there without CAP_SYS_RESOURCE.
 */
export interface Fixer {
  uid: number | null;
  canRaise: boolean | null;
  hard: number | null;
}

export function fixer(ctx: ExplainContext, root: string): Fixer {
  const lim = memoRead(ctx, 'limits:self', () => nofile(readPidLimits(root, 'self' as unknown as number)));
  const hard = lim.ok && lim.value && lim.value.hard !== 'unlimited' ? lim.value.hard : null;
  return { uid: uidOf(ctx, root, 'self'), canRaise: canRaiseHard(ctx, root, 'self'), hard };
}

/** What raising a hard limit to `hard` needs, when `who` cannot: a sentence, or undefined when it works (or is unknown). */
export function hardRaiseNeeds(hard: number, current: number | null, canRaise: boolean | null, who: string): string | undefined {
  if (current === null || hard <= current || canRaise !== false) return undefined;
  return `CAP_SYS_RESOURCE to raise the hard limit above ${current}, which ${who} lacks`;
}

/**
 * /proc/PID/status: `Key:\tvalue` lines (fs/proc/array.c proc_pid_status). sockdoc needs the owner
 * (Uid: real effective saved fs, from task_state) and FDSize (the size of the fd table, a power of
 * two at least the highest open fd + 1: not the number of open fds). Recent kernels also print
 * `Kthread: 0|1`, marking kernel threads directly.
 */
import { RANGE, unsignedDecimal } from './kernel-number.js';
import { resolve } from 'node:path';
import { ParseError, readUnder, under, type Identity } from './read-file.js';

export interface PidStatus {
  /** Real uid: who started the process; the owner `ps` shows. */
  uid: number;
  /** Effective uid: the one permission checks use. */
  euid: number;
  /** Saved set-user-id (the third Uid field). */
  suid: number;
  /** Real, effective and saved gid (the Gid line); null when the line is absent. */
  gids: { gid: number; egid: number; sgid: number } | null;
  /** Size of the fd table (fdt->max_fds), 0 for a zombie; null when the line is absent. */
  fdSize: number | null;
  /** From "Kthread: 0|1"; null when the kernel does not print the line (older kernels). */
  kthread: boolean | null;
  /**
   * Effective capability set (CapEff, a 64-bit hex mask; include/uapi/linux/capability.h numbers the
   * bits, CAP_SYS_RESOURCE = 24); null when the line is absent.
   */
  capEff: bigint | null;
  /** Thread group id: the process a thread belongs to (= the pid for a process); null when absent. */
  tgid: number | null;
  /** Filesystem uid and gid (the fourth Uid/Gid fields): what the kernel checks an open() against (fs/namei.c). */
  fsuid?: number;
  fsgid?: number | null;
  /** Supplementary groups (the Groups: line); [] when the line is absent or empty. */
  groups?: number[];
}

/** "real effective saved fs" of a Uid or Gid line (fs/proc/array.c task_state). */
function idField(value: string, file: string, line: number, key: string): [number, number, number, number] {
  const parts = value.trim().split(/\s+/);
  const [real, effective, saved] = parts.map((p) => unsignedDecimal(p, RANGE.id));
  if (parts.length !== 4 || parts.some((p) => unsignedDecimal(p, RANGE.id) === null) || real == null || effective == null || saved == null) {
    throw new ParseError(file, line, `${key} is not four numbers`);
  }
  return [real, effective, saved, unsignedDecimal(parts[3], RANGE.id) as number];
}

/**
 * Parses the text of /proc/PID/status. Throws ParseError when the Uid line is missing or malformed.
 * @example parsePidStatus('Uid:\t1000\t1000\t1000\t1000\nFDSize:\t64\n').fdSize // 64
 */
export function parsePidStatus(text: string, file = 'status'): PidStatus {
  let ids: [number, number, number, number] | null = null;
  let gids: [number, number, number, number] | null = null;
  const groups: number[] = [];
  let fdSize: number | null = null;
  let kthread: boolean | null = null;
  let capEff: bigint | null = null;
  let tgid: number | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    if (key === 'Uid') ids = idField(line.slice(colon + 1), file, i + 1, 'Uid');
    else if (key === 'Gid') gids = idField(line.slice(colon + 1), file, i + 1, 'Gid');
    else if (key === 'Groups') {
      for (const g of line.slice(colon + 1).trim().split(/\s+/)) {
        const n = g === '' ? null : unsignedDecimal(g, RANGE.id);
        if (n !== null) groups.push(n);
      }
    }
    else if (key === 'FDSize') {
      fdSize = unsignedDecimal(line.slice(colon + 1).trim(), RANGE.int);
      if (fdSize === null) throw new ParseError(file, i + 1, 'FDSize is not a number');
    } else if (key === 'Kthread') kthread = line.slice(colon + 1).trim() === '1';
    else if (key === 'CapEff') {
      const hex = line.slice(colon + 1).trim();
      if (!/^[0-9a-f]{1,16}$/i.test(hex)) throw new ParseError(file, i + 1, `CapEff is not a hex mask: ${JSON.stringify(line)}`);
      capEff = BigInt(`0x${hex}`);
    } else if (key === 'Tgid') {
      const n = Number(line.slice(colon + 1).trim());
      // PID_MAX_LIMIT (include/linux/threads.h): anything above is not a pid the kernel gives.
      tgid = Number.isInteger(n) && n > 0 && n <= 4194304 ? n : null;
    }
  }
  if (!ids) throw new ParseError(file, lines.length, 'no Uid line');
  return { uid: ids[0], euid: ids[1], suid: ids[2], gids: gids ? { gid: gids[0], egid: gids[1], sgid: gids[2] } : null, fdSize, kthread, capEff, tgid, fsuid: ids[3], fsgid: gids ? gids[3] : null, groups };
}

/** Reads and parses ROOT/proc/PID/status. Throws the errno error when the process is gone. */
export function readPidStatus(root: string, pid: number): PidStatus {
  const file = under(root, 'proc', String(pid), 'status');
  return parsePidStatus(readUnder(root, `proc/${pid}/status`, 'proc'), file);
}

/**
 * The process a thread id belongs to. `top -H`, `ps -L` and kernel logs show thread ids (TIDs);
 * /proc/TID exists for each though `ls /proc` lists only processes, and its status says the
 * thread group (Tgid). Returns the id itself for a process, or when it cannot be read (the
 * caller then reports the id as not found, as for any missing pid).
 */
export function processOfThread(root: string, id: number): number {
  try {
    return readPidStatus(root, id).tgid ?? id;
  } catch {
    return id;
  }
}

/**
 * Whose rights root sockdoc reads a file with on behalf of process `pid` (read-file.ts Identity):
 * its filesystem uid and gid and its supplementary groups, as the kernel checks its own open()s.
 * null for a root process (uid 0 reads as root: unchanged). Capabilities are not counted (CapEff is
 * relative to the process's user namespace: a rootless container's "full" set opens nothing of the
 * host's), so a non-root process is never granted more than its uid and groups give.
 */
export function identityOf(pid: number, st: PidStatus): Identity | null {
  const uid = st.fsuid ?? st.euid;
  if (uid === 0) return null;
  return { uid, gid: st.fsgid ?? st.gids?.egid ?? uid, groups: st.groups ?? [], label: `uid ${uid} (owner of pid ${pid})` };
}

/**
 * Whose rights the main process's configuration is read with (read-file.ts Identity): its owner's
 * on the live host; null (root's) for a root process, and under a capture root, whose files were
 * checked by the capture that copied them (their modes there are the capture's, 0600).
 * A process whose status cannot be read is read as nobody in particular: uid -1, no group.
 */
export function ownerIdentity(root: string, pid: number): Identity | null {
  if (resolve(root) !== '/') return null;
  try {
    return identityOf(pid, readPidStatus(root, pid));
  } catch {
    return { uid: -1, gid: -1, groups: [], label: `the owner of pid ${pid} (unreadable)` };
  }
}

/**
 * Copies the kernel files a snapshot reads into a directory tree, so the same host can be
 * diagnosed later with `--root DIR` by exactly the code that reads a live host.
 * Used to make test fixtures from real runs, and the basis of `sockdoc capture`.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeError, listUnder, outcomeOf, readLinkUnder, readUnder } from '../probe/read-file.js';
import { listPids } from '../probe/pids.js';
import { readPidStat } from '../probe/pid-stat.js';
import { captureListenBytes } from '../probe/sock-diag.js';
import { CAPTURE_META } from '../probe/capture-meta.js';

/** Host-wide files, relative to the root. */
const HOST_FILES = [
  'proc/net/tcp',
  'proc/net/tcp6',
  'proc/net/netstat',
  'proc/net/snmp',
  'proc/sys/net/core/somaxconn',
  'proc/sys/net/ipv4/tcp_max_syn_backlog',
  'proc/sys/net/ipv4/tcp_syncookies',
  'proc/sys/net/ipv4/tcp_abort_on_overflow',
  'proc/sys/net/core/netdev_max_backlog',
  'proc/sys/fs/file-max',
  'proc/sys/fs/nr_open',
  'proc/sys/fs/file-nr',
  'proc/sys/net/ipv4/ip_local_port_range',
  // issue 10: conntrack, ephemeral ports, TCP memory, softnet (absent files, e.g. no nf_conntrack, are skipped)
  'proc/sys/net/ipv4/ip_local_reserved_ports',
  'proc/sys/net/ipv4/tcp_tw_reuse',
  'proc/sys/net/ipv4/tcp_mem',
  'proc/sys/net/ipv4/tcp_max_orphans',
  'proc/sys/net/netfilter/nf_conntrack_count',
  'proc/sys/net/netfilter/nf_conntrack_max',
  'proc/sys/net/netfilter/nf_conntrack_buckets',
  'proc/net/stat/nf_conntrack',
  'proc/net/sockstat',
  'proc/net/softnet_stat',
  'proc/sys/kernel/hostname',
  'proc/sys/kernel/osrelease',
  'etc/passwd',
  'etc/group',
];

/** Per-process files under proc/PID. */
const PID_FILES = ['stat', 'status', 'cmdline', 'limits', 'cgroup'];

/**
 * The pids plus every ancestor up to pid 1: `sockdoc limits` explains a limit by the chain of
 * parents (limits are inherited across fork and exec), so a capture of one service needs them.
 */
export function withAncestors(root: string, pids: readonly number[]): number[] {
  const all = new Set<number>();
  for (const start of pids) {
    let pid = start;
    // Bounded: a chain longer than this is a loop in a damaged tree.
    for (let depth = 0; depth < 256 && pid > 0 && !all.has(pid); depth++) {
      all.add(pid);
      try {
        pid = readPidStat(root, pid).ppid;
      } catch (err) {
        if (outcomeOf(err) !== 'absent') throw err;
        break; // exited meanwhile: the chain stops here
      }
    }
  }
  return [...all].sort((a, b) => a - b);
}

export interface CaptureResult {
  files: number;
  pids: number[];
  /** One line per file that could not be copied (vanished processes are skipped silently). */
  problems: string[];
}

function copyText(root: string, rel: string, dst: string): void {
  const text = readUnder(root, rel, rel.startsWith('proc/net/') ? 'proc-table' : rel.startsWith('etc/') ? 'config' : 'proc');
  mkdirSync(dirname(dst), { recursive: true });
  writeFileSync(dst, text, 'latin1');
}

/**
 * Captures the live host (root "/") into outDir. `pids` limits the processes captured to those
 * and their ancestors (default: all; `ancestors: false` takes only those: a lab step, whose
 * ancestors are the machine's, not the story's). The sock_diag answer for listeners is stored raw in sock_diag/tcp-listen.bin.
 */
export function captureHost(outDir: string, opts: { root?: string; pids?: number[]; now?: Date; ancestors?: boolean } = {}): CaptureResult {
  const root = opts.root ?? '/';
  const result: CaptureResult = { files: 0, pids: [], problems: [] };
  // The capture's own time: a later report of it must not show the time it is read.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, CAPTURE_META), JSON.stringify({ format: 1, takenAt: (opts.now ?? new Date()).toISOString() }) + '\n');
  for (const rel of HOST_FILES) {
    try {
      copyText(root, rel, join(outDir, rel));
      result.files++;
    } catch (err) {
      if (outcomeOf(err) !== 'absent') result.problems.push(describeError(err));
    }
  }
  const pids = opts.pids ? (opts.ancestors === false ? [...opts.pids].sort((a, b) => a - b) : withAncestors(root, opts.pids)) : listPids(root);
  for (const pid of pids) {
    const dst = join(outDir, 'proc', String(pid));
    try {
      for (const f of PID_FILES) copyText(root, `proc/${pid}/${f}`, join(dst, f));
      mkdirSync(join(dst, 'fd'), { recursive: true });
      for (const fd of listUnder(root, `proc/${pid}/fd`, 'proc')) {
        try {
          symlinkSync(readLinkUnder(root, `proc/${pid}/fd/${fd}`), join(dst, 'fd', fd));
        } catch (err) {
          if (outcomeOf(err) !== 'absent') throw err; // an fd closed meanwhile is just gone
        }
      }
      result.pids.push(pid);
      result.files += PID_FILES.length;
    } catch (err) {
      if (outcomeOf(err) !== 'absent') result.problems.push(`pid ${pid}: ${describeError(err)}`);
    }
  }
  if (root === '/') {
    const bytes = captureListenBytes();
    if (bytes) {
      mkdirSync(join(outDir, 'sock_diag'), { recursive: true });
      writeFileSync(join(outDir, 'sock_diag', 'tcp-listen.bin'), bytes);
      result.files++;
    } else result.problems.push('sock_diag: listener backlogs not captured (native module unavailable)');
  }
  return result;
}


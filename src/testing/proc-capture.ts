/**
 * What the processes behind test/fixtures/proc and test/fixtures/proc-tree reported about themselves
 * when scripts/fixtures/make-proc-fixtures.py captured them (socket inodes from fstat, independent of
 * /proc/PID/fd): the expectations of the proc probe tests.
 */
import { readFileSync } from 'node:fs';
import { fixture } from './paths.js';

export interface CapturedHolder {
  pid: number;
  /** fd (as a decimal string) -> socket inode, from os.fstat inside the process. */
  sockets: Record<string, number>;
  listener?: { fd: number; inode: number };
}

export interface ProcCapture {
  kernel: string;
  /** python3 under `prlimit --nofile=100:200`, in cgroup /system.slice/sockdoc-demo.service. */
  server: CapturedHolder;
  /** comm "srv) (x y) z". */
  comm: CapturedHolder;
  /** Runs as uid 65534 (nobody). */
  nobody: CapturedHolder;
  zombie: number;
  /** A kernel thread (ppid 2). */
  kworker: number;
  /** Tree copy without its fd directory. */
  nofd: number;
  /** Tree copy with a truncated stat. */
  badstat: number;
  /** Tree copy whose limits lack the "Max open files" row. */
  nolimit: number;
}

export const procTree = fixture('proc-tree');

export function loadProcCapture(): ProcCapture {
  return JSON.parse(readFileSync(fixture('proc', 'capture.json'), 'utf8')) as ProcCapture;
}

/** Reads test/fixtures/proc/NAME as the probes read procfs (bytes as latin1). */
export function procFixture(name: string): string {
  return readFileSync(fixture('proc', name), 'latin1');
}

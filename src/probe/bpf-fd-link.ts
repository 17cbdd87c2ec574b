/**
 * The BPF task_file iterator that lists every process's fds in one kernel pass (native/bpffds.c).
 *
 * Why: the /proc/PID/fd walk costs one procfs lookup and readlink per fd (fs/proc/fd.c:
 * tid_fd_revalidate, proc_fd_link, d_path): ~4.9 µs of CPU per fd here, 490 ms at 100k socket
 * fds. The iterator (kernel/bpf/task_iter.c, Linux >= 5.8 with BTF) costs ~0.6 µs per fd. Loading
 * it (reading the kernel's BTF) costs ~50 ms once, so a long-running `sockdoc serve` keeps one link
 * open for its lifetime, and a one-shot diagnosis uses one only when the host holds many fds.
 *
 * Root only in practice: loading needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN). Every failure is
 * an answer ({ error }), never a throw: the caller walks /proc as before.
 */
import { loadNativeAddon } from './native.js';
import { readUnder } from './read-file.js';

/** Capability bits (include/uapi/linux/capability.h). */
const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/**
 * Whether this process may load the iterator: CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON
 * (kernel/bpf/syscall.c bpf_prog_load: tracing programs need both since Linux 5.8). Read from
 * CapEff in /proc/self/status, so a non-root service holding them (systemd AmbientCapabilities)
 * uses it, and root without them (a container's) does not try.
 */
export function mayLoadBpf(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readUnder('/', 'proc/self/status', 'proc'));
    if (!m) return false;
    const eff = BigInt(`0x${m[1]}`);
    const has = (bit: bigint) => ((eff >> bit) & 1n) === 1n;
    return has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON));
  } catch {
    return false;
  }
}

/** An open iterator link. `close()` releases it; a borrowed link (another thread owns it) ignores close. */
export interface BpfFdLink {
  readonly fd: number;
  close(): void;
}

/** Loads the iterator: `{ link }`, or `{ error }` saying why not ("bpf(BPF_PROG_LOAD): Operation not permitted"). */
export function openBpfFdLink(): { link: BpfFdLink; error?: undefined } | { link?: undefined; error: string } {
  if (process.platform !== 'linux') return { error: 'BPF iterators exist on Linux only' };
  let addon;
  try {
    addon = loadNativeAddon();
  } catch (err) {
    return { error: `the native module is not built (${(err as Error).message})` };
  }
  const { bpfFdIterOpen, bpfFdIterClose } = addon;
  if (typeof bpfFdIterOpen !== 'function' || typeof bpfFdIterClose !== 'function') return { error: 'the native module predates the BPF fd iterator: rebuild it (npm run build)' };
  try {
    const fd = bpfFdIterOpen();
    let open = true;
    return {
      link: {
        fd,
        close() {
          if (open) bpfFdIterClose(fd);
          open = false;
        },
      },
    };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** A link whose fd another thread opened and will close (a worker thread shares its process's fds). */
export function borrowedBpfFdLink(fd: number): BpfFdLink {
  return { fd, close() {} };
}

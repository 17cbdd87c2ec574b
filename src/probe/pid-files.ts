/**
 * The small per-process files every process scan reads (/proc/PID/stat, status, cmdline, limits):
 * on the live host by the native addon on threads of its own (native/procread.c), while this
 * thread reads the sockets; elsewhere (a capture, no addon) one by one through the confined reader.
 * One shape either way: `text(pid, file)` gives the file's latin1 text, or throws the error the
 * confined reader would have thrown (ENOENT when the process exited, EACCES, EFBIG...).
 *
 * Measured with 15,000 processes on 2 CPUs: the four reads are ~60,000 open/read/close triples,
 * 1.3-2.8 s of the JavaScript thread (load 10-18) when read one by one; here they overlap the
 * socket reads and leave only the parsing to JavaScript.
 */
import { errnoError } from './fd-walk.js';
import { loadNativeAddon } from './native.js';
import { readUnder, RefusedRead, SIZE_CAP, under } from './read-file.js';

/** The files a process scan reads of every process, in the order the addon is asked for them. */
export const PID_FILES = ['stat', 'status', 'cmdline', 'limits'] as const;
export type PidFile = (typeof PID_FILES)[number];

/**
 * The lines a scan parses of each file (null: all of it): the addon keeps only these, so 15,000
 * processes are ~10 MB of text rather than ~50 (status and limits are ~1.4 KiB each, of which a
 * scan reads two lines). The parsers read the kept lines as they read the whole file.
 */
export const PID_FILE_LINES: Readonly<Record<PidFile, readonly string[] | null>> = {
  stat: null,
  status: ['Uid:', 'Kthread:'],
  cmdline: null,
  limits: ['Limit ', 'Max open files '],
};

export interface PidFileTexts {
  /** The text of ROOT/proc/PID/FILE; throws as readUnder does. */
  text(pid: number, file: PidFile): string;
  /** Wall time of a native read (on other threads, overlapping this one's work); null when read here. */
  ms: number | null;
}

/** The confined reader, one file at a time (a capture root, tests, or no addon). */
export function pidFilesHere(root: string): PidFileTexts {
  return { text: (pid, file) => readUnder(root, `proc/${pid}/${file}`, 'proc'), ms: null };
}

/**
 * Starts reading every file of PID_FILES of `pids` on the addon's threads. null when the root is
 * not the live host's (a capture is read by the confined reader, which resolves every link inside
 * it) or the addon lacks the reader: the caller then reads with pidFilesHere.
 */
export function startPidFiles(root: string, pids: readonly number[]): Promise<PidFileTexts> | null {
  if (root !== '/' || pids.length === 0) return null;
  let addon;
  try {
    addon = loadNativeAddon();
  } catch {
    return null; // not built: the confined reader gives the same texts
  }
  if (typeof addon.procFilesAsync !== 'function') return null;
  const asked = [...pids];
  return addon.procFilesAsync('/proc', Int32Array.from(asked), [...PID_FILES], SIZE_CAP.proc, PID_FILES.map((f) => PID_FILE_LINES[f] && [...PID_FILE_LINES[f]])).then(
    (raw) => {
      const slot = new Map<number, number>();
      asked.forEach((pid, i) => slot.set(pid, i));
      const here = pidFilesHere(root);
      const text = (pid: number, file: PidFile): string => {
        const k = slot.get(pid);
        if (k === undefined) return here.text(pid, file);
        const at = (k * PID_FILES.length + PID_FILES.indexOf(file)) * 2;
        const len = raw.index[at + 1];
        const path = under(root, 'proc', String(pid), file);
        if (len === -27 /* EFBIG */) throw new RefusedRead('EFBIG', path, `larger than ${SIZE_CAP.proc} bytes`);
        if (len < 0) throw errnoError(-len, path, 'open');
        return raw.data.toString('latin1', raw.index[at], raw.index[at] + len);
      };
      return { text, ms: raw.ms };
    },
    // Only when the addon could not build its result (out of memory): read here instead.
    () => pidFilesHere(root),
  );
}

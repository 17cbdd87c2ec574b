/**
 * Where a capture is written, safely for root: the tree is built in a fresh 0700 folder made with
 * mkdtemp beside DIR, files created exclusively (O_CREAT|O_EXCL: never through a link) with mode
 * 0600, then renamed to DIR in one step. rename(2) never follows a link at DIR (a directory cannot
 * replace a link: ENOTDIR), and replaces DIR only when it is an empty directory — so a link or a
 * folder swapped in after the checks is refused, never written through.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** An expected refusal or write failure: one line for the person, no stack. */
export class CaptureError extends Error {
  override name = 'CaptureError';
}

const S_ISVTX = 0o1000;

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}

/**
 * Checks DIR and its parent before anything is written. Refused: DIR is a link, not a directory,
 * not empty, or owned by someone else; the parent is missing, or another user could swap entries
 * in it (not owned by us or root, or writable by others without the sticky bit, as /tmp has).
 */
export function checkCaptureTarget(dir: string, uid: number): void {
  const target = resolve(dir);
  const parent = dirname(target);
  const p = lstatSync(parent, { throwIfNoEntry: false });
  if (!p) throw new CaptureError(`${parent} does not exist`);
  if (!p.isDirectory()) throw new CaptureError(`${parent} is not a directory`);
  if (p.uid !== uid && p.uid !== 0) throw new CaptureError(`${parent} belongs to uid ${p.uid}: its owner could swap ${basename(target)} for a link while the capture is written`);
  if ((p.mode & 0o022) !== 0 && (p.mode & S_ISVTX) === 0) throw new CaptureError(`${parent} is writable by other users and not sticky: they could swap ${basename(target)} for a link`);
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isSymbolicLink()) throw new CaptureError(`${target} is a symbolic link; give a new directory name`);
  if (!st.isDirectory()) throw new CaptureError(`${target} exists and is not a directory`);
  if (st.uid !== uid) throw new CaptureError(`${target} belongs to uid ${st.uid}, not to you (uid ${uid}); give a new directory name`);
  let entries: string[];
  try {
    entries = readdirSync(target);
  } catch (err) {
    throw new CaptureError(`${target} cannot be listed (${errText(err)})`);
  }
  if (entries.length) throw new CaptureError(`${target} is not empty`);
}

/** A capture being written: every path is relative to the capture's root. */
export interface CaptureWriter {
  /** The temporary folder (0700) the tree is built in. */
  readonly tmp: string;
  writeFile(rel: string, data: string | Buffer, encoding?: BufferEncoding): void;
  symlink(rel: string, target: string): void;
  mkdir(rel: string): void;
}

/** Makes the temporary folder beside DIR (same filesystem, so the final rename is atomic). */
export function openCapture(dir: string): CaptureWriter {
  const target = resolve(dir);
  let tmp: string;
  try {
    tmp = mkdtempSync(join(dirname(target), `.${basename(target)}.sockdoc-`));
  } catch (err) {
    throw new CaptureError(`cannot create a folder in ${dirname(target)} (${errText(err)})`);
  }
  const at = (rel: string) => {
    // Relative paths of our own making (proc/123/fd/4, etc/pam.d/x); a ".." would be a bug: refuse it.
    if (rel.split('/').some((c) => c === '..' || c === '')) throw new CaptureError(`refusing to write ${rel}`);
    return join(tmp, rel);
  };
  const mkdir = (rel: string) => void mkdirSync(at(rel), { recursive: true, mode: 0o700 });
  return {
    tmp,
    mkdir,
    writeFile(rel, data, encoding) {
      if (rel.includes('/')) mkdir(dirname(rel));
      // 'wx': O_CREAT|O_EXCL, which never follows a link at the last component.
      writeFileSync(at(rel), data, { encoding, mode: 0o600, flag: 'wx' });
    },
    symlink(rel, target) {
      if (rel.includes('/')) mkdir(dirname(rel));
      symlinkSync(target, at(rel));
    },
  };
}

/** Moves the finished tree to DIR; on failure the temporary folder is removed and a CaptureError says why. */
export function finishCapture(w: CaptureWriter, dir: string): void {
  const target = resolve(dir);
  try {
    renameSync(w.tmp, target);
  } catch (err) {
    abandonCapture(w);
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' ? 'it is no longer a directory (a link or file was put there)' : code === 'ENOTEMPTY' || code === 'EEXIST' ? 'it is no longer empty' : errText(err);
    throw new CaptureError(`could not move the capture to ${target}: ${why}; nothing was written there`);
  }
}

/** Removes the temporary folder (on error or signal). */
export function abandonCapture(w: CaptureWriter): void {
  rmSync(w.tmp, { recursive: true, force: true });
}

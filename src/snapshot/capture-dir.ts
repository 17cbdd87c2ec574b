/**
 * Where a capture is written, safely for root (docs/safety.md §5): the directory above DIR is
 * opened by a walk from "/" that never follows a link another user could have made
 * (src/safety/dir-fd.ts), and is held open; a fresh 0700 folder is made in it with mkdtemp, every
 * directory of the tree is created and opened inside the fd of its parent (O_NOFOLLOW), every file
 * created exclusively (O_CREAT|O_EXCL, mode 0600) inside its directory's fd, and the folder is
 * renamed to DIR inside the held fd at the end. So an ancestor renamed or swapped for a link while
 * the capture is written changes nothing: everything lands in the directory that was checked.
 * rename(2) replaces DIR only when it is an empty directory and never follows a link there.
 */
import { closeSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { DirRefused, inFd, openDirIn, openDirNoFollow, othersCanChange } from '../safety/dir-fd.js';

/** An expected refusal or write failure: one line for the person, no stack. */
export class CaptureError extends Error {
  override name = 'CaptureError';
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}

/** A capture being written: every path is relative to the capture's root. */
export interface CaptureWriter {
  /** Where it will be: DIR as given, resolved. */
  readonly target: string;
  writeFile(rel: string, data: string | Buffer, encoding?: BufferEncoding): void;
  symlink(rel: string, target: string): void;
  mkdir(rel: string): void;
}

/** Directory fds kept open while writing: a capture writes one directory after another. */
const MAX_OPEN_DIRS = 32;

interface Writer extends CaptureWriter {
  parentFd: number;
  tmpName: string;
  /** relative dir ("" = the capture's root) -> its fd, oldest first. */
  dirs: Map<string, number>;
}

/**
 * Opens DIR's parent (see the module comment) and checks, on the held fd: the parent is ours or root's and others cannot change its entries (sticky /tmp is
 * fine); DIR is absent, or an empty directory of ours (not a link, not a file).
 */
function openParent(target: string, uid: number): number {
  const parent = dirname(target);
  let fd: number;
  try {
    fd = openDirNoFollow(parent, uid);
  } catch (err) {
    if (err instanceof DirRefused) throw new CaptureError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CaptureError(`${parent} does not exist`);
    throw new CaptureError(`cannot open ${parent} (${errText(err)})`);
  }
  try {
    const why = othersCanChange(fstatSync(fd), uid);
    if (why) throw new CaptureError(`${parent}: ${why}, so another user could swap ${basename(target)} for a link while the capture is written`);
    const st = lstatSync(inFd(fd, basename(target)), { throwIfNoEntry: false });
    if (st) {
      if (st.isSymbolicLink()) throw new CaptureError(`${target} is a symbolic link; give a new directory name`);
      if (!st.isDirectory()) throw new CaptureError(`${target} exists and is not a directory`);
      if (st.uid !== uid) throw new CaptureError(`${target} belongs to uid ${st.uid}, not to you (uid ${uid}); give a new directory name`);
      let entries: string[];
      try {
        entries = readdirSync(inFd(fd, basename(target)));
      } catch (err) {
        throw new CaptureError(`${target} cannot be listed (${errText(err)})`);
      }
      if (entries.length) throw new CaptureError(`${target} is not empty`);
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** The fd of directory `rel` inside the capture, made (0700) and opened inside its parent's fd. */
function dirFd(w: Writer, rel: string): number {
  const hit = w.dirs.get(rel);
  if (hit !== undefined) {
    // Most recently used last.
    w.dirs.delete(rel);
    w.dirs.set(rel, hit);
    return hit;
  }
  const parent = dirFd(w, rel.includes('/') ? dirname(rel) : '');
  const name = basename(rel);
  try {
    mkdirSync(inFd(parent, name), { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const fd = openDirIn(parent, name);
  w.dirs.set(rel, fd);
  if (w.dirs.size > MAX_OPEN_DIRS) {
    for (const [k, v] of w.dirs) {
      if (k === '') continue; // the capture's root stays open
      closeSync(v);
      w.dirs.delete(k);
      break;
    }
  }
  return fd;
}

function checked(rel: string): string {
  // Relative paths of our own making (proc/123/fd/4, etc/pam.d/x); a ".." would be a bug: refuse it.
  if (rel.split('/').some((c) => c === '..' || c === '' || c === '.')) throw new CaptureError(`refusing to write ${rel}`);
  return rel;
}

/** Where `rel` goes: its directory's fd and its own name. */
function place(w: Writer, rel: string): string {
  const r = checked(rel);
  return inFd(dirFd(w, r.includes('/') ? dirname(r) : ''), basename(r));
}

/**
 * Opens DIR's parent through fds and makes the temporary folder in it (same filesystem, so the
 * final rename is atomic). `uid` is whoever runs the capture (geteuid).
 */
export function openCapture(dir: string, uid: number = process.geteuid?.() ?? 0): CaptureWriter {
  const target = resolve(dir);
  const parentFd = openParent(target, uid);
  let tmpName: string;
  let rootFd: number;
  try {
    tmpName = basename(mkdtempSync(inFd(parentFd, `.${basename(target)}.sockdoc-`)));
    rootFd = openDirIn(parentFd, tmpName);
  } catch (err) {
    closeSync(parentFd);
    throw new CaptureError(`cannot create a folder in ${dirname(target)} (${errText(err)})`);
  }
  const w: Writer = {
    target,
    parentFd,
    tmpName,
    dirs: new Map([['', rootFd]]),
    mkdir: (rel) => void dirFd(w, checked(rel)),
    writeFile(rel, data, encoding) {
      // 'wx': O_CREAT|O_EXCL, which never follows a link at the last component.
      writeFileSync(place(w, rel), data, { encoding, mode: 0o600, flag: 'wx' });
    },
    symlink(rel, to) {
      symlinkSync(to, place(w, rel));
    },
  };
  return w;
}

function closeAll(w: Writer): void {
  for (const fd of w.dirs.values()) closeSync(fd);
  w.dirs.clear();
}

/** Moves the finished tree to DIR (inside the held parent); on failure the temporary folder is removed and a CaptureError says why. */
export function finishCapture(cw: CaptureWriter): void {
  const w = cw as Writer;
  closeAll(w);
  try {
    renameSync(inFd(w.parentFd, w.tmpName), inFd(w.parentFd, basename(w.target)));
  } catch (err) {
    abandonCapture(w);
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' ? 'it is no longer a directory (a link or file was put there)' : code === 'ENOTEMPTY' || code === 'EEXIST' ? 'it is no longer empty' : errText(err);
    throw new CaptureError(`could not move the capture to ${w.target}: ${why}; nothing was written there`);
  }
  closeSync(w.parentFd);
  w.parentFd = -1;
}

/** Removes the temporary folder (on error or signal). */
export function abandonCapture(cw: CaptureWriter): void {
  const w = cw as Writer;
  closeAll(w);
  if (w.parentFd < 0) return;
  // Inside the held parent: a folder only we can write (0700), so nothing in it is someone else's link.
  rmSync(inFd(w.parentFd, w.tmpName), { recursive: true, force: true });
  closeSync(w.parentFd);
  w.parentFd = -1;
}

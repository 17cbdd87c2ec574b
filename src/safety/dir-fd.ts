/**
 * Writing under a directory that other users may rename things around, as root: every directory
 * is opened once, one component at a time, each relative to the fd of the one before
 * (`/proc/self/fd/N/NAME`: the kernel resolves the held fd, fs/proc/base.c proc_fd_link, then NAME
 * inside it) with O_DIRECTORY|O_NOFOLLOW, and every later create names one entry inside a held fd.
 * A component swapped for a link after it was opened no longer matters; one swapped before is
 * refused, never followed.
 *
 * Why /proc/self/fd rather than an openat() in the native module: Node has no openat, and the
 * native module is optional (sockdoc runs without it); /proc is always there where sockdoc runs, and
 * the kernel's own walk through the held fd is the same as openat(fd, NAME, O_NOFOLLOW) for a
 * NAME without "/" (namei walks from the fd's directory, and O_NOFOLLOW stops a final link).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, type Stats } from 'node:fs';

/** An expected refusal: one line for the person, no stack. */
export class DirRefused extends Error {
  override name = 'DirRefused';
}

/** Links followed in one walk, as the kernel's MAXSYMLINKS (include/linux/namei.h). */
const MAX_LINKS = 40;

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW; // libuv adds O_CLOEXEC

const S_ISVTX = 0o1000;

/** The path of NAME (one component, no "/") inside the directory held by fd. */
export function inFd(fd: number, name: string): string {
  if (name === '' || name.includes('/') || name.includes('\0')) throw new DirRefused(`refusing the name ${JSON.stringify(name)}`);
  return `/proc/self/fd/${fd}/${name}`;
}

/** Opens the directory NAME inside fd without following a link there. */
export function openDirIn(fd: number, name: string): number {
  return openSync(inFd(fd, name), DIR_FLAGS);
}

/** Owned by root or by `uid` (the caller). */
function ownedByUs(st: Stats, uid: number): boolean {
  return st.uid === 0 || st.uid === uid;
}

/**
 * Can anyone but root and `uid` change the entries of this directory? Owned by another user, or
 * writable by group or others without the sticky bit (in a sticky directory, as /tmp, an entry can
 * be renamed or removed only by its owner, the directory's owner or root: man 7 inode).
 */
export function othersCanChange(st: Stats, uid: number): string | null {
  if (!ownedByUs(st, uid)) return `it belongs to uid ${st.uid}`;
  if ((st.mode & 0o022) !== 0 && (st.mode & S_ISVTX) === 0) return 'it is writable by other users and not sticky';
  return null;
}

/**
 * May the link NAME in the directory held by dirFd be followed? Only when nobody but root and
 * `uid` could have put it there or could swap it: the link is theirs, and the directory's entries
 * cannot be changed by others (or it is sticky, where only the link's owner can replace it).
 */
function trustedLink(dirFd: number, link: Stats, uid: number): boolean {
  if (!ownedByUs(link, uid)) return false;
  const dir = fstatSync(dirFd);
  if (!ownedByUs(dir, uid)) return false;
  return (dir.mode & 0o022) === 0 || (dir.mode & S_ISVTX) !== 0;
}

/**
 * Opens the directory at the absolute `path` by a walk from "/": each component is opened
 * O_DIRECTORY|O_NOFOLLOW inside the fd of the one before. A link on the way is followed only when
 * trustedLink says nobody else could have made or swapped it (/var/run → /run is root's); any
 * other link, and anything that is not a directory, is refused with DirRefused. Returns the fd
 * (the caller closes it). `..` in a link's target is resolved by the kernel from the held fd.
 */
export function openDirNoFollow(path: string, uid: number): number {
  if (!path.startsWith('/')) throw new DirRefused(`${path} is not an absolute path`);
  let fd = openSync('/', DIR_FLAGS);
  const todo = path.split('/').filter((c) => c !== '' && c !== '.');
  const walked: string[] = [];
  let links = 0;
  try {
    while (todo.length) {
      const c = todo.shift() as string;
      let next: number;
      try {
        next = openDirIn(fd, c);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const here = '/' + [...walked, c].join('/');
        if (code !== 'ELOOP' && code !== 'ENOTDIR') throw err;
        const st = lstatSync(inFd(fd, c), { throwIfNoEntry: false });
        // A directory now, but not when it was opened: someone is swapping it.
        if (st?.isDirectory()) throw new DirRefused(`${here} changed while it was opened (another user may be swapping it for a link): not followed`);
        if (!st?.isSymbolicLink()) throw new DirRefused(`${here} is not a directory`);
        if (!trustedLink(fd, st, uid)) throw new DirRefused(`${here} is a symbolic link that another user could have made or swapped (uid ${st.uid}, in a directory others can change): not followed`);
        if (++links > MAX_LINKS) throw new DirRefused(`${here}: more than ${MAX_LINKS} symbolic links`);
        const target = readlinkSync(inFd(fd, c));
        if (target.startsWith('/')) {
          closeSync(fd);
          fd = openSync('/', DIR_FLAGS);
          walked.length = 0;
        }
        todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
        continue;
      }
      closeSync(fd);
      fd = next;
      if (c === '..') walked.pop();
      else walked.push(c);
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

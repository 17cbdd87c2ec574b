/**
 * THE way sockdoc reads anything under a filesystem root: the live host ("/") or a capture a stranger
 * sent. Every probe, configuration reader and `capture` goes through this module; new readers must too.
 *
 *   readUnder(root, 'proc/net/tcp', 'proc-table')          → text (latin1, lossless)
 *   readBytesUnder(root, 'sock_diag/tcp-listen.bin', 'binary') → Buffer
 *   readOptionalUnder(root, 'etc/security/limits.conf', 'config') → text, or null when absent
 *   readLinkUnder(root, 'proc/123/fd/4')                   → the link's text, never followed
 *   listUnder(root, 'etc/pam.d', 'config')                 → names (unsorted), capped in count
 *   resolveUnder(root, 'etc/systemd/system/x.service')     → the real path, inside root
 *   statUnder(root, 'home/bob/start.sh')                   → { uid, gid, mode }, or null when absent
 *
 * `relPath` is a host path ("/etc/x" and "etc/x" are the same). What is guaranteed:
 * - Confinement: each component is resolved by us, not the kernel. A symlink is resolved as if root
 *   were "/" (chroot semantics, as systemd's chase_symlinks with a root): an absolute target restarts
 *   at root, `..` stops at root. Nothing outside root is ever opened, whatever the links or `..` say.
 *   Under ROOT/proc/PID/ (a process's directory; self, thread-self) a link is never followed: cwd, root, exe, fd/N are
 *   magic links into other mount namespaces; they can only be read as links (readLinkUnder).
 *   Kind 'config' refuses anything resolving into proc/, sys/ or dev/ (a config file is never there;
 *   `~/s.conf -> /proc/self/environ` would hand sockdoc's own environment to the notes).
 *   Under a root other than "/", the opened descriptor's real path is checked again, so a link
 *   swapped in after the walk is refused too.
 * - No hang: opens use O_NONBLOCK|O_NOFOLLOW|O_NOCTTY (a FIFO opens at once, a swapped final link
 *   fails with ELOOP); fstat must then say regular file (procfs and sysfs files are regular), so
 *   FIFOs, sockets, /dev/zero and directories are refused (ENOTREG).
 * - Bounded memory: a size cap per kind of file (SIZE_CAP): st_size is checked first (sparse files),
 *   then reading stops at cap+1 bytes (procfs reports size 0): EFBIG.
 * - Errors carry a code (errno names, or ESCAPE/ENOTREG/EFBIG/EPROCLINK/ETOOMANY) and the path,
 *   never file content. outcomeOf/describeError turn them into probe outcomes and one-line notes.
 *
 * Parsers receive text and throw ParseError(file, line, reason): the reason names what was expected,
 * never quotes the line (content from a hostile tree may hold secrets or escape sequences).
 */
import { hostText } from '../safety/host-bytes.js';
import { closeSync, constants, fstatSync, lstatSync, openSync, opendirSync, readSync, readlinkSync, realpathSync, type Dir } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProbeReport } from '../snapshot/types.js';

/** What a file is, for its size cap. */
export type FileKind = 'proc' | 'proc-table' | 'config' | 'binary';

/**
 * Largest file accepted per kind, in bytes. proc: one process's or one sysctl's file (a cmdline is at
 * most ARG_MAX-ish, 2 MiB by default); proc-table: /proc/net/tcp at ~150 bytes a socket, 256 MiB is
 * ~1.7 million sockets (and well inside V8's string limit); config: no real limits.conf, unit or
 * supervisord file approaches 1 MiB; binary: a captured sock_diag dump (~170 bytes per listener).
 */
export const SIZE_CAP: Readonly<Record<FileKind, number>> = {
  proc: 4 << 20,
  'proc-table': 256 << 20,
  config: 1 << 20,
  binary: 64 << 20,
};

/** Most entries listUnder returns per kind (a /proc with 4 million pids is the kernel's pid_max). */
export const LIST_CAP: Readonly<Record<FileKind, number>> = {
  proc: 1 << 22,
  'proc-table': 1 << 22,
  config: 10_000,
  binary: 10_000,
};

/** Symlinks followed in one resolution, as the kernel's MAXSYMLINKS (include/linux/namei.h: 40). */
const MAX_LINKS = 40;

/** Why a read was refused without the kernel being asked (or after it answered). */
export type RefusalCode = 'ESCAPE' | 'ENOTREG' | 'EFBIG' | 'EPROCLINK' | 'ETOOMANY' | 'ELOOP' | 'ENOTYOURS';

/** A read refused for safety: the path (never the content) and the reason. */
export class RefusedRead extends Error {
  override name = 'RefusedRead';
  constructor(
    readonly code: RefusalCode,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${code} ${path}: ${reason}`);
  }
}

/** A file that exists but does not parse: names the file and the line. The reason never quotes content. */
export class ParseError extends Error {
  override name = 'ParseError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

/** Components of a host path, without empty ones ("/etc//x/" → ["etc", "x"]). */
function components(relPath: string): string[] {
  return relPath.split('/').filter((c) => c !== '');
}

/**
 * Whose rights a read is made with: a process's filesystem uid, gid and supplementary groups
 * (/proc/PID/status Uid:/Gid: fourth field, Groups:). Root sockdoc reads a file on behalf of a
 * process only when that process's owner could open it itself (docs/safety.md, "read as the
 * owner"): a user who names /etc/shadow in its own nginx.conf gets nothing of it into root's capture.
 */
export interface Identity {
  uid: number;
  gid: number;
  groups: readonly number[];
  /** How notes name it: "uid 1001 (pid 4242's owner)". */
  label: string;
}

/** Reads as root (or with CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH): no check. */
export function isPrivileged(who: Identity | null | undefined): boolean {
  return !who || who.uid === 0;
}

/**
 * Does mode/owner/group let `who` read (4) or search (1)? The kernel's acl_permission_check
 * (fs/namei.c): the owner's bits when the uid owns it, else the group's when the gid or a
 * supplementary group matches, else the others' bits. POSIX ACLs are not read: a file only an ACL
 * opens to the user is skipped (said in the note), never copied by mistake.
 */
function allows(st: { uid: number; gid: number; mode: number }, who: Identity, bit: 4 | 1): boolean {
  if (st.uid === who.uid) return ((st.mode >> 6) & bit) !== 0;
  if (st.gid === who.gid || who.groups.includes(st.gid)) return ((st.mode >> 3) & bit) !== 0;
  return (st.mode & bit) !== 0;
}

function modeText(st: { uid: number; gid: number; mode: number }): string {
  return `mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${st.uid}, group ${st.gid}`;
}

/** The directory `dir` (a real path) must be searchable by `who`, else ENOTYOURS naming it. */
function checkSearch(dir: string, who: Identity, shown: string): void {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) throw errno('ENOENT', dir, 'lstat');
  if (st.isSymbolicLink()) throw new RefusedRead('ENOTYOURS', shown, `${dir} changed into a link while it was checked`);
  if (!allows(st, who, 1)) throw new RefusedRead('ENOTYOURS', shown, `${who.label} cannot search ${dir} (${modeText(st)}), so it could not read this itself`);
}

/** Every directory of the real path `path` (prefix excluded) is searchable by `who`. */
function checkChain(prefix: string, path: string, who: Identity, shown: string): void {
  const parts = components(path.slice(prefix.length));
  let dir = `${prefix}/`;
  checkSearch(dir, who, shown);
  for (let i = 0; i < parts.length - 1; i++) {
    dir = `${prefix}/${parts.slice(0, i + 1).join('/')}`;
    checkSearch(dir, who, shown);
  }
}

/** Links of a process directory that lead into other mount namespaces or open files (proc(5)). */
const MAGIC = new Set(['root', 'cwd', 'exe', 'fd', 'map_files', 'ns', 'task']);

/**
 * On the live host, a path the kernel builds (proc/PID/stat, proc/net/tcp, proc/sys/...) needs no
 * walk: /proc is procfs, nobody but the kernel makes links in it, and O_NOFOLLOW stops a final magic
 * link. Saves an lstat per component on 1000s of per-process reads.
 */
function isKernelPath(parts: readonly string[]): boolean {
  if (parts[0] !== 'proc' || parts.length < 2) return false;
  for (let i = 1; i < parts.length; i++) {
    const c = parts[i];
    if (c === '.' || c === '..') return false;
    // fd/N, ns/net... may be the last or second-to-last component (read as links, or listed)
    if (i >= 2 && MAGIC.has(c) && i < parts.length - 2) return false;
  }
  return true;
}

function errno(code: string, path: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code, path, syscall });
}

/**
 * The real path of `relPath` under `root`, every link resolved inside root (see the module comment).
 * `followLast` false leaves a final link unresolved (to read it as a link).
 * Throws ENOENT/ENOTDIR/EACCES errno errors as fs would, or RefusedRead (EPROCLINK, ELOOP, ESCAPE).
 */
export function resolveUnder(root: string, relPath: string, opts: { followLast?: boolean; kind?: FileKind; missingOk?: boolean; as?: Identity | null } = {}): string {
  const base = resolve(root);
  const parts = components(relPath);
  const live = base === '/';
  const who = isPrivileged(opts.as) ? null : (opts.as as Identity);
  if (live && isKernelPath(parts) && opts.kind !== 'config' && !opts.missingOk && !who) return '/' + parts.join('/');
  const prefix = live ? '' : base;
  const done: string[] = [];
  const todo = parts.slice();
  let links = 0;
  while (todo.length) {
    const c = todo.shift() as string;
    if (c === '.') continue;
    if (c === '..') {
      done.pop(); // stops at root, as in a chroot
      continue;
    }
    const path = `${prefix}/${done.join('/')}${done.length ? '/' : ''}${c}`;
    // Read as a process's owner: the directory holding this component (a link's too) must be searchable by it.
    if (who) checkSearch(`${prefix}/${done.join('/')}` || '/', who, `${prefix}/${parts.join('/')}`);
    if (!todo.length && opts.followLast === false) {
      done.push(c);
      break;
    }
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st && opts.missingOk) {
      // Where the links lead, though it does not exist here: the rest is taken as written.
      for (const r of [c, ...todo]) {
        if (r === '..') done.pop();
        else if (r !== '.') done.push(r);
      }
      break;
    }
    if (!st) throw errno('ENOENT', path, 'lstat');
    if (st.isSymbolicLink()) {
      // Inside a process directory (proc/PID/...), links are magic: never followed.
      if (done[0] === 'proc' && done.length >= 2 && /^(\d+|self|thread-self)$/.test(done[1])) throw new RefusedRead('EPROCLINK', path, 'a link inside a process directory of /proc is read as a link, never followed');
      if (++links > MAX_LINKS) throw new RefusedRead('ELOOP', path, `more than ${MAX_LINKS} symbolic links`);
      const target = readlinkSync(path);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...components(target));
      continue;
    }
    if (todo.length && !st.isDirectory()) throw errno('ENOTDIR', path, 'lstat');
    done.push(c);
  }
  if (opts.kind === 'config' && ['proc', 'sys', 'dev'].includes(done[0] ?? '')) {
    throw new RefusedRead('ESCAPE', `${prefix}/${done.join('/')}`, `a configuration file is never under /${done[0]}`);
  }
  return `${prefix}/${done.join('/')}` || '/';
}

/**
 * Who besides root controls what ROOT/relPath reads as: the first component on its way — a
 * directory, the file, or any link followed (each resolved inside root, as resolveUnder) — owned by
 * another uid, or a directory others may write without the sticky bit. null when only root does,
 * or when the path is absent. A root-owned unit that links into a user's home (`systemctl link`)
 * is that user's to point anywhere: a capture then reads it with that user's rights.
 */
export function controllerOf(root: string, relPath: string): { uid: number; path: string } | null {
  const base = resolve(root);
  const prefix = base === '/' ? '' : base;
  const done: string[] = [];
  const todo = components(relPath);
  for (let links = 0; todo.length; ) {
    const c = todo.shift() as string;
    if (c === '.') continue;
    if (c === '..') {
      done.pop();
      continue;
    }
    const path = `${prefix}/${[...done, c].join('/')}`;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) return null;
    if (st.uid !== 0) return { uid: st.uid, path };
    if (st.isDirectory() && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return { uid: -1, path };
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { uid: -1, path };
      const target = readlinkSync(path);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...components(target));
      continue;
    }
    done.push(c);
  }
  return null;
}

// O_NONBLOCK: a FIFO opens without waiting for a writer; O_NOFOLLOW: a final link swapped in after the
// walk fails (ELOOP) instead of being followed; O_NOCTTY: a tty never becomes our controlling terminal.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY; // libuv adds O_CLOEXEC itself

// Most proc files are small (stat, limits: < 2 KiB); /proc/net/tcp is megabytes. Start small,
// grow to 1 MiB chunks: a 1 MiB allocation per small file cost ~20 µs per read here.
const FIRST_CHUNK = 16 << 10;
const CHUNK = 1 << 20;

/** Opens an already resolved path: regular files only, within `cap`; checks confinement again for a capture root. */
function openChecked(path: string, cap: number, realRoot: string | null, who: Identity | null = null, prefix = ''): number {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw errno('EISDIR', path, 'read');
    if (!st.isFile()) throw new RefusedRead('ENOTREG', path, 'not a regular file');
    if (st.size > cap) throw new RefusedRead('EFBIG', path, `larger than ${cap} bytes`);
    if (realRoot !== null) {
      const real = readlinkSync(`/proc/self/fd/${fd}`);
      if (real !== realRoot && !real.startsWith(realRoot === '/' ? '/' : realRoot + '/')) throw new RefusedRead('ESCAPE', path, 'resolves outside the root');
    }
    if (who) {
      // Judged on what was opened (a link swapped after the walk cannot pass another file off):
      // the inode's own bits, then every directory of the path the kernel says it has.
      if (!allows(st, who, 4)) throw new RefusedRead('ENOTYOURS', path, `${who.label} cannot read it (${modeText(st)})`);
      const real = prefix === '' ? readlinkSync(`/proc/self/fd/${fd}`) : path;
      if (real.startsWith('/')) checkChain(prefix, real, who, path);
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Reads an open descriptor to its end, at most `cap` bytes (EFBIG beyond). */
function readAll(fd: number, cap: number, path: string): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let size = FIRST_CHUNK;
  for (;;) {
    const want = Math.min(size, cap + 1 - total);
    const buf = Buffer.allocUnsafe(want);
    let filled = 0;
    // procfs may return less than asked before EOF (one seq_file page per read): fill the buffer.
    while (filled < want) {
      let n: number;
      try {
        n = readSync(fd, buf, filled, want - filled, null);
      } catch (err) {
        // A regular file never says EAGAIN; a descriptor that does is not what we asked for.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') throw new RefusedRead('ENOTREG', path, 'would block');
        throw err;
      }
      if (n === 0) break;
      filled += n;
    }
    total += filled;
    if (total > cap) throw new RefusedRead('EFBIG', path, `larger than ${cap} bytes`);
    chunks.push(filled === want ? buf : buf.subarray(0, filled));
    if (filled < want) break;
    size = CHUNK;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

function realRootOf(root: string): string | null {
  const base = resolve(root);
  return base === '/' ? null : realpathSync(base);
}

/** The bytes of ROOT/relPath, confined, non-blocking, regular files only, at most SIZE_CAP[kind]. */
export function readBytesUnder(root: string, relPath: string, kind: FileKind, as: Identity | null = null): Buffer {
  return asked(root, relPath, () => {
    const who = isPrivileged(as) ? null : as;
    const path = resolveUnder(root, relPath, { kind, as: who });
    const base = resolve(root);
    const fd = openChecked(path, SIZE_CAP[kind], realRootOf(root), who, base === '/' ? '' : base);
    try {
      return readAll(fd, SIZE_CAP[kind], path);
    } finally {
      closeSync(fd);
    }
  });
}

/**
 * Runs a read and names the path as asked (ROOT/relPath) in its error, not the component or the
 * resolved path where it failed: notes and golden outputs then say which file was missing.
 */
function asked<T>(root: string, relPath: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const display = join(root, relPath);
    if (err instanceof RefusedRead) throw err.path === display ? err : new RefusedRead(err.code, display, err.reason);
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.path === 'string') {
      e.path = display;
      e.message = `${e.code}: ${display}`;
    }
    throw err;
  }
}

/**
 * The text of ROOT/relPath (latin1: one char per byte, lossless; decode UTF-8 where a field is text).
 * @example readUnder('/', 'proc/net/tcp', 'proc-table').split('\n').length
 * @example readUnder('capture-dir', '/etc/passwd', 'config') // ENOENT if the capture lacks it
 */
export function readUnder(root: string, relPath: string, kind: FileKind, as: Identity | null = null): string {
  return readBytesUnder(root, relPath, kind, as).toString('latin1');
}

/** readUnder, or null when the file (or a directory on its way) does not exist, or is a directory. */
export function readOptionalUnder(root: string, relPath: string, kind: FileKind, as: Identity | null = null): string | null {
  try {
    return readUnder(root, relPath, kind, as);
  } catch (err) {
    if (outcomeOf(err) === 'absent' || (err as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw err;
  }
}

/**
 * The host path ROOT/relPath leads to once every link is resolved inside root ("/dev/null" for a
 * masked unit, on the live host and in a capture that holds no dev/), without opening or needing
 * the destination: a missing component ends the resolution and the rest is taken as written.
 * Throws as resolveUnder for a refused walk (ELOOP, EPROCLINK) or an unreadable directory.
 * @example destinationUnder('/', 'lib/systemd/system/hwclock.service') // '/dev/null' on Debian
 */
export function destinationUnder(root: string, relPath: string): string {
  const prefix = resolve(root) === '/' ? '' : resolve(root);
  const path = asked(root, relPath, () => resolveUnder(root, relPath, { missingOk: true }));
  return path.slice(prefix.length) || '/';
}

/** Owner and mode of ROOT/relPath (links resolved inside root), or null when it does not exist. */
export function statUnder(root: string, relPath: string): { uid: number; gid: number; mode: number; isDirectory: boolean } | null {
  try {
    const st = lstatSync(resolveUnder(root, relPath));
    return { uid: st.uid, gid: st.gid, mode: st.mode, isDirectory: st.isDirectory() };
  } catch (err) {
    if (outcomeOf(err) === 'absent') return null;
    throw err;
  }
}

/** The text of the link ROOT/relPath (its directory resolved confined); the link itself is not followed. */
export function readLinkUnder(root: string, relPath: string): string {
  return asked(root, relPath, () => readlinkSync(resolveUnder(root, relPath, { followLast: false })));
}

/**
 * readLinkUnder for a link whose target is shown as a name (/proc/PID/exe): its bytes kept, a byte
 * that is not UTF-8 as U+DC80+byte (src/safety/host-bytes.ts), so two executables never read as one.
 */
export function readLinkNameUnder(root: string, relPath: string): string {
  return asked(root, relPath, () => hostText(readlinkSync(resolveUnder(root, relPath, { followLast: false }), { encoding: 'buffer' })));
}

/**
 * Names in the directory ROOT/relDir (no "." or ".."), in the filesystem's order, at most `max`
 * (ETOOMANY beyond). Throws errno errors as readdir would.
 */
export function listUnder(root: string, relDir: string, kind: FileKind, max: number = LIST_CAP[kind]): string[] {
  return asked(root, relDir, () => {
    const path = resolveUnder(root, relDir, { kind });
    return collectNames(opendirSync(path, { bufferSize: 256 }), path, max);
  });
}

function collectNames(dir: Dir, path: string, cap: number): string[] {
  const names: string[] = [];
  try {
    for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
      if (names.length >= cap) throw new RefusedRead('ETOOMANY', path, `more than ${cap} entries`);
      names.push(e.name);
    }
  } finally {
    dir.closeSync();
  }
  return names;
}

/**
 * @deprecated Use readUnder(root, relPath, kind): this one is bounded (non-blocking, regular files,
 * SIZE_CAP.proc-table) but cannot confine an already joined path to a root.
 */
export function readText(path: string): string {
  const fd = openChecked(path, SIZE_CAP['proc-table'], null);
  try {
    return readAll(fd, SIZE_CAP['proc-table'], path).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Joins a path onto the injected filesystem root ("/" for the live host). For labels and errors; read with readUnder. */
export function under(root: string, ...parts: string[]): string {
  return join(root, ...parts);
}

export type Outcome = 'absent' | 'denied' | 'failed';

/** Maps an error to a probe outcome: ENOENT/ESRCH -> absent, EACCES/EPERM -> denied, the rest (refusals too) failed. */
export function outcomeOf(err: unknown): Outcome {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return 'absent';
  if (code === 'EACCES' || code === 'EPERM' || code === 'ENOTYOURS') return 'denied';
  return 'failed';
}

/** One line describing an error, for notes and probe reports: code and path, never file content. */
export function describeError(err: unknown): string {
  if (err instanceof ParseError || err instanceof RefusedRead) return err.message;
  const e = err as NodeJS.ErrnoException | null;
  if (e?.code && e.path) return `${e.code} ${e.path}`;
  return (e?.message ?? String(err)).split('\n')[0];
}

/**
 * Runs one probe and reports its outcome and duration. Returns null (and a non-ok report) on error;
 * expected errors never escape as exceptions.
 */
export function runProbe<T>(probe: string, source: string, fn: () => T): { value: T | null; report: ProbeReport } {
  const t0 = performance.now();
  try {
    const value = fn();
    return { value, report: { probe, source, status: 'ok', ms: performance.now() - t0 } };
  } catch (err) {
    const status = err instanceof ParseError ? 'failed' : outcomeOf(err);
    return { value: null, report: { probe, source, status, ms: performance.now() - t0, detail: describeError(err) } };
  }
}

/**
 * Small file helpers for configuration readers: paths are host paths ("/etc/..."), read under an
 * injected root, so a fixture tree and the live host go through the same code.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { describeError, outcomeOf, under } from '../probe/read-file.js';

/** Configuration files are small; a bound keeps a hostile tree (a huge "unit") from costing more. */
const MAX_CONFIG = 4 << 20;

/**
 * The text of a host path under root, or null when absent or not a regular file. Opened with
 * O_NONBLOCK and checked with fstat before any read, so a FIFO, /dev/stdin or a terminal named as
 * a script is never read (that would block, or consume someone else's input). Other errors are rethrown.
 */
export function readOptional(root: string, hostPath: string): string | null {
  let fd: number;
  try {
    fd = openSync(under(root, hostPath), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    if (outcomeOf(err) === 'absent' || (err as NodeJS.ErrnoException).code === 'EISDIR' || (err as NodeJS.ErrnoException).code === 'ENXIO') return null;
    throw err;
  }
  try {
    if (!fstatSync(fd).isFile()) return null;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(64 << 10);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > MAX_CONFIG) throw new Error(`${hostPath} is larger than ${MAX_CONFIG} bytes; not a configuration file`);
    }
    return Buffer.concat(chunks).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Is a host path something other than a regular file (a FIFO, a device, /dev/stdin)? false when absent. */
export function isSpecialFile(root: string, hostPath: string): boolean {
  let fd: number;
  try {
    fd = openSync(under(root, hostPath), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENXIO';
  }
  try {
    const st = fstatSync(fd);
    return !st.isFile() && !st.isDirectory();
  } finally {
    closeSync(fd);
  }
}

/** Names in a host directory under root, sorted byte-wise (C locale, as glob(3) and systemd sort); [] when absent. */
export function listDir(root: string, hostDir: string): string[] {
  try {
    return readdirSync(under(root, hostDir)).sort(byteOrder);
  } catch (err) {
    if (outcomeOf(err) === 'absent') return [];
    throw err;
  }
}

/** strcmp order, independent of the locale. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Matches a shell glob (`*`, `?`, `[...]`) against one path component, as fnmatch(3) without flags
 * would; enough for `conf.d/*.conf` and supervisord's `[include] files`.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Expands a glob whose wildcards are in the last component only ("/etc/supervisor/conf.d/*.conf"). */
export function globFiles(root: string, hostPattern: string): string[] {
  const slash = hostPattern.lastIndexOf('/');
  const dir = slash <= 0 ? '/' : hostPattern.slice(0, slash);
  const base = hostPattern.slice(slash + 1);
  if (!/[*?[]/.test(base)) return readOptional(root, hostPattern) !== null ? [hostPattern] : [];
  const re = globToRegExp(base);
  return listDir(root, dir)
    .filter((n) => re.test(n) && !n.startsWith('.'))
    .map((n) => (dir === '/' ? `/${n}` : `${dir}/${n}`));
}

/** One line for a note: "could not read X: EACCES ...". */
export function unreadable(hostPath: string, err: unknown): string {
  return `could not read ${hostPath}: ${describeError(err)}`;
}

/**
 * Small file helpers for configuration readers: paths are host paths ("/etc/..."), read under an
 * injected root, so a fixture tree and the live host go through the same code.
 */
import { resolve } from 'node:path';
import { describeError, destinationUnder, listUnder, outcomeOf, readOptionalUnder, RefusedRead, statUnder } from '../probe/read-file.js';

/** What a link to it reads as: nothing. */
export const DEV_NULL = '/dev/null';

/**
 * Does this host path lead to /dev/null (a masked unit, drop-in or manager file: man systemd.unit,
 * "symlinked to /dev/null")? In a capture the link is kept as written and its destination does not
 * exist there, so the answer comes from the link text, resolved inside root.
 */
export function linksToDevNull(root: string, hostPath: string): boolean {
  try {
    return destinationUnder(root, hostPath) === DEV_NULL;
  } catch {
    return false;
  }
}

/**
 * The text of a host path under root, or null when absent. A link to /dev/null reads as "" (what
 * every program that opens it gets; the confined reader itself never opens anything under /dev).
 * Other errors are rethrown.
 */
export function readOptional(root: string, hostPath: string): string | null {
  let text: string | null;
  try {
    text = readOptionalUnder(root, hostPath, 'config');
  } catch (err) {
    if (err instanceof RefusedRead && err.code === 'ESCAPE' && linksToDevNull(root, hostPath)) return '';
    throw err;
  }
  // Live, /dev/null exists and the read above refused it; in a capture it is absent.
  if (text === null && resolve(root) !== '/' && linksToDevNull(root, hostPath)) return '';
  return text;
}

/** Names in a host directory under root, sorted byte-wise (C locale, as glob(3) and systemd sort); [] when absent. */
export function listDir(root: string, hostDir: string): string[] {
  try {
    return listUnder(root, hostDir, 'config').sort(byteOrder);
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

/**
 * Is a host path something other than a regular file or directory (a FIFO, a socket, a device)?
 * A script named so (`bash /dev/stdin`, `bash <(…)`) came through a pipe and cannot be read back.
 * A path the confined reader refuses to resolve counts as special too; false when absent.
 */
export function isSpecialFile(root: string, hostPath: string): boolean {
  try {
    const st = statUnder(root, hostPath);
    // S_IFMT / S_IFREG (sys/stat.h).
    return st !== null && !st.isDirectory && (st.mode & 0o170000) !== 0o100000;
  } catch {
    // Refused (a link leaving the root, into /proc): not a file sockdoc may read as a script.
    return true;
  }
}

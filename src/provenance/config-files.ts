/**
 * Small file helpers for configuration readers: paths are host paths ("/etc/..."), read under an
 * injected root, so a fixture tree and the live host go through the same code.
 */
import { describeError, listUnder, outcomeOf, readOptionalUnder } from '../probe/read-file.js';

/** The text of a host path under root, or null when absent. Other errors are rethrown. */
export function readOptional(root: string, hostPath: string): string | null {
  return readOptionalUnder(root, hostPath, 'config');
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

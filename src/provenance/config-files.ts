/**
 * Small file helpers for configuration readers: paths are host paths ("/etc/..."), read under an
 * injected root, so a fixture tree and the live host go through the same code.
 */
import { resolve } from 'node:path';
import { describeError, destinationUnder, listUnder, outcomeOf, readOptionalUnder, RefusedRead, statUnder, type Identity } from '../probe/read-file.js';
import { compileGlob, globMatch, hasWildcard, type GlobDialect } from '../safety/glob.js';

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
 * Other errors are rethrown. `as`: read with that process owner's rights (read-file.ts Identity),
 * ENOTYOURS when it could not have opened the file itself.
 */
export function readOptional(root: string, hostPath: string, as: Identity | null = null): string | null {
  let text: string | null;
  try {
    text = readOptionalUnder(root, hostPath, 'config', as);
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
 * What one explanation may spend on expanding host globs: entries looked at and wall time. A local
 * user writes the pattern (`[include] files` of their own supervisord) and fills the directory, so
 * both are bounded; when the budget runs out the expansion stops and `cut` says so.
 */
export interface GlobBudget {
  /** performance.now() after which no more entries are looked at. */
  deadline: number;
  entriesLeft: number;
  /** What the budget was, for the sentence. */
  limits: { ms: number; entries: number };
  /** Set once the budget ran out: a sentence for the notes. */
  cut: string | null;
}

const GLOB_MS = 500;
const GLOB_ENTRIES = 50_000;

/** 500 ms and 50,000 directory entries: a real configuration's globs take well under a millisecond. */
export function newGlobBudget(ms = GLOB_MS, entries = GLOB_ENTRIES): GlobBudget {
  return { deadline: performance.now() + ms, entriesLeft: entries, limits: { ms, entries }, cut: null };
}

/** Matches of one wildcard component in a directory: hidden names only for a pattern starting with `.` (glob(7), Python's glob). */
function matchDir(root: string, dir: string, component: string, dialect: GlobDialect, budget: GlobBudget, dirsOnly: boolean, listed?: string[]): string[] {
  const g = compileGlob(component, dialect);
  listed?.push(dir);
  const out: string[] = [];
  for (const name of listDir(root, dir)) {
    if (budget.cut) break;
    if (--budget.entriesLeft < 0 || performance.now() > budget.deadline) {
      budget.cut = `expanding the glob ${component.length > 60 ? `${component.slice(0, 60)}…` : component} in ${dir} went over its budget (${budget.limits.entries} directory entries or ${budget.limits.ms} ms for one explanation); its other matches were not read`;
      break;
    }
    if (name.startsWith('.') && !g.dotFirst) continue;
    if (!globMatch(g, name)) continue;
    const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
    if (dirsOnly) {
      let st;
      try {
        st = statUnder(root, path);
      } catch {
        // Refused or unreadable: not a directory sockdoc may walk into.
        continue;
      }
      if (!st?.isDirectory) continue;
    }
    out.push(path);
  }
  return out;
}

/**
 * Expands a host path glob (wildcards in any component, as Python's glob.glob and the shell do),
 * matching each component with the one linear-time matcher (src/safety/glob.ts), never a RegExp.
 * A pattern without wildcards yields itself when the file exists. Sorted byte-wise; bounded by
 * `budget` (entries and time) and by listDir's cap per directory. `listed` receives every directory
 * whose entries were matched: whoever can add a name there can add a file to the configuration
 * (fix-runner.ts untrustedClosure), and a pattern without wildcards gives the path itself.
 * @example globFiles('/', '/etc/profile.d/*.sh', 'posix')
 */
export function globFiles(root: string, hostPattern: string, dialect: GlobDialect, budget: GlobBudget = newGlobBudget(), listed?: string[]): string[] {
  const parts = hostPattern.split('/').filter((c) => c !== '' && c !== '.');
  if (!parts.some((c) => hasWildcard(c, dialect))) {
    listed?.push(hostPattern);
    return exists(root, hostPattern) ? [hostPattern] : [];
  }
  let current = ['/'];
  for (let i = 0; i < parts.length && current.length; i++) {
    const c = parts[i];
    const last = i === parts.length - 1;
    if (!hasWildcard(c, dialect)) {
      const literal = dialect === 'posix' ? c.replace(/\\(.)/g, '$1') : c;
      current = current.map((d) => (d === '/' ? `/${literal}` : `${d}/${literal}`));
      continue;
    }
    const next: string[] = [];
    for (const d of current) next.push(...matchDir(root, d, c, dialect, budget, !last, listed));
    current = next;
  }
  // A final literal component: keep what exists (Python's glob checks lexists).
  if (!hasWildcard(parts[parts.length - 1], dialect)) current = current.filter((p) => exists(root, p));
  return current.sort(byteOrder);
}

function exists(root: string, hostPath: string): boolean {
  try {
    return statUnder(root, hostPath) !== null;
  } catch {
    // Refused (a link leaving the root) or unreadable: not a file sockdoc will read.
    return false;
  }
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

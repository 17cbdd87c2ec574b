/**
 * Who besides root could change a file that a fix would have root run: the file's owner, or anyone
 * allowed to write it or a directory above it. A fix never says "run this again" about such a file;
 * it names the owner and says to check it (running a user's script as root hands them root).
 */
import { dirname, resolve } from 'node:path';
import { resolveUnder, statUnder } from '../probe/read-file.js';

export interface WritableBy {
  /** The host path whose owner or mode lets someone else change what runs. */
  path: string;
  /** Its owner's uid. */
  uid: number;
  /** "owned by uid 1000", "writable by its group (gid 50)", "writable by everyone". */
  why: string;
}

const S_ISVTX = 0o1000;

/**
 * The first reason a non-root user could change `hostPath` (absolute, under root): the file or a
 * directory on its way is not owned by root, or is group/world writable (a sticky directory like
 * /tmp protects a root-owned file in it). Null when only root can change it, or it does not exist.
 * `alsoTrusted`: a uid whose files are as good as root's here — the user a line runs as (their own
 * program run as themselves hands nobody anything). Throws what statUnder throws (EACCES) —
 * callers treat that as "cannot tell".
 */
export function writableByOthers(root: string, hostPath: string, alsoTrusted: number | null = null): WritableBy | null {
  // The path as written (its links live in these directories) and where its links lead (a root-owned
  // link into /home/bob/bin/ is bob's to swap): both chains of directories are checked.
  const lexical = walk(root, hostPath, alsoTrusted);
  if (lexical) return lexical;
  const real = realHostPath(root, hostPath);
  return real && real !== hostPath ? walk(root, real, alsoTrusted) : null;
}

/** The host path `hostPath` resolves to under root (links followed, confined); null when absent. */
function realHostPath(root: string, hostPath: string): string | null {
  let full: string;
  try {
    full = resolveUnder(root, hostPath);
  } catch {
    // Absent or refused: the lexical walk has said what it could.
    return null;
  }
  const base = resolve(root);
  if (base === '/') return full;
  return full === base ? '/' : full.startsWith(`${base}/`) ? full.slice(base.length) : null;
}

function walk(root: string, hostPath: string, alsoTrusted: number | null): WritableBy | null {
  const trusted = (uid: number) => uid === 0 || uid === alsoTrusted;
  let path = hostPath;
  let below: { uid: number } | null = null;
  for (let depth = 0; depth < 64; depth++) {
    const st = statUnder(root, path);
    if (!st) return null;
    if (!trusted(st.uid)) return { path, uid: st.uid, why: `owned by uid ${st.uid}` };
    // A sticky directory (/tmp) lets only an entry's owner replace it: a trusted entry stays trusted.
    const sticky = st.isDirectory && (st.mode & S_ISVTX) !== 0 && below !== null && trusted(below.uid);
    if (!sticky && st.mode & 0o002) return { path, uid: st.uid, why: 'writable by everyone' };
    if (!sticky && st.mode & 0o020 && st.gid !== 0) return { path, uid: st.uid, why: `writable by its group (gid ${st.gid})` };
    if (path === '/') return null;
    below = st;
    path = dirname(path);
  }
  return null;
}

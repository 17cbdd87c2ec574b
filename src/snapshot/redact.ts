/**
 * What a capture removes before it is shared: secrets in command lines (`--password=…`,
 * `--token …`, `PASSWORD=…`, credentials in URLs) and the targets of fd links that are files
 * (/proc shows them only to root: a user's paths say what they work on). Sockets, pipes and
 * anon inodes stay: sockdoc needs the socket inode of every fd. `--no-redact` keeps everything.
 */

/** Names of arguments whose value is a secret: --password, --db-pass, --api_key, --auth-token, SECRET=... */
const SECRET_NAME = /(pass(word|wd|phrase)?|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential|auth)$/i;

/** "scheme://user:password@host" → the password part. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi;

export const REDACTED = 'REDACTED';

export interface Redacted<T> {
  value: T;
  /** How many secrets were replaced. */
  count: number;
}

/** argv with secret values replaced by REDACTED; the argument names stay, so the shape is kept. */
export function redactArgv(argv: readonly string[]): Redacted<string[]> {
  let count = 0;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(0, eq) : a).replace(/^-+/, '');
    if (eq > 0 && SECRET_NAME.test(name) && a.length > eq + 1) {
      a = `${a.slice(0, eq + 1)}${REDACTED}`;
      count++;
    } else if (eq < 0 && /^--?[A-Za-z]/.test(a) && SECRET_NAME.test(name) && i + 1 < argv.length && !argv[i + 1].startsWith('-')) {
      // "--password hunter2": the next word is the value.
      out.push(a);
      out.push(REDACTED);
      count++;
      i++;
      continue;
    }
    const url = a.replace(URL_CREDENTIALS, (_m, head: string) => {
      count++;
      return `${head}${REDACTED}@`;
    });
    out.push(url);
  }
  return { value: out, count };
}

/** A /proc/PID/cmdline (NUL-separated, NUL-terminated) with redactArgv applied. */
export function redactCmdline(raw: string): Redacted<string> {
  if (raw === '') return { value: raw, count: 0 };
  const trailing = raw.endsWith('\0');
  const r = redactArgv((trailing ? raw.slice(0, -1) : raw).split('\0'));
  return { value: r.value.join('\0') + (trailing ? '\0' : ''), count: r.count };
}

/** An fd link's target: kept for socket:[N], pipe:[N], anon_inode:… and common devices; a file path becomes "redacted:file". */
export function redactFdTarget(target: string): Redacted<string> {
  if (/^(socket|pipe|anon_inode|net|mnt|user|pid|ipc|uts|cgroup|time):/.test(target)) return { value: target, count: 0 };
  // Devices every process has say nothing about anyone.
  if (/^\/dev\/(null|zero|full|u?random|console|tty\w*|pts\/\d+|ptmx)$/.test(target)) return { value: target, count: 0 };
  return { value: 'redacted:file', count: 1 };
}

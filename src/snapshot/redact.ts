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

/** Names whose value is a secret in configuration files too: the argument names, plus headers and ACL words. */
const CONFIG_SECRET_NAME = /(pass(word|wd|phrase)?|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credentials?|auth|authorization|requirepass|masterauth)$/i;

/** Longest word looked at: a longer one is not a key=value a person wrote; it is kept as is. */
const MAX_WORD = 4096;

/** The name part of a key, without punctuation around it: "--db-pass" -> "db-pass", "env[DB_PASSWORD]" -> "DB_PASSWORD", "spring.datasource.password" -> "password". */
function keyName(raw: string): string {
  let k = raw;
  while (k.startsWith('-') || k.startsWith('"') || k.startsWith("'")) k = k.slice(1);
  const open = k.indexOf('[');
  if (open >= 0 && k.endsWith(']')) k = k.slice(open + 1, -1);
  while (k.endsWith('"') || k.endsWith("'")) k = k.slice(0, -1);
  const dot = k.lastIndexOf('.');
  return dot >= 0 ? k.slice(dot + 1) : k;
}

/** nginx's upstream directives end in "_pass" and name an address, not a password. */
const NOT_SECRET = new Set(['proxy_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'grpc_pass', 'memcached_pass']);

const isSecretKey = (raw: string) => raw.length > 0 && raw.length <= 256 && !NOT_SECRET.has(raw.toLowerCase()) && CONFIG_SECRET_NAME.test(keyName(raw));

/** One word with its value redacted when its own key names a secret ("password=x", keystorePass="x"). */
function redactPair(word: string): { word: string; hit: boolean } {
  for (const sep of ['=', ':']) {
    const i = word.indexOf(sep);
    if (i > 0 && i < word.length - 1 && isSecretKey(word.slice(0, i))) {
      const v = word.slice(i + 1);
      const q = v[0] === '"' || v[0] === "'" ? v[0] : '';
      return { word: `${word.slice(0, i + 1)}${q}${REDACTED}${q && v.length > 1 && v.endsWith(q) ? q : ''}`, hit: true };
    }
  }
  return { word, hit: false };
}

/**
 * A configuration file's text with its secrets replaced by REDACTED, for `sockdoc capture` of the
 * programs' files (redis.conf requirepass, pgbouncer.ini connection strings, my.cnf password=,
 * haproxy.cfg `stats auth`, server.xml keystorePass="...", application.properties *.password,
 * nginx `proxy_set_header Authorization ...`, Redis ACL `>password`, credentials in URLs). The
 * shape stays: keys, comments, line numbers. A word scan per line, no RegExp over the whole text.
 */
export function redactConfigText(text: string): Redacted<string> {
  let count = 0;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    if (line.length === 0) continue;
    // Words with the blanks between them, so the line is rebuilt as it was.
    const parts = line.split(/(\s+)/);
    const words = parts.filter((_, i) => i % 2 === 0);
    const acl = words[0] === 'user' || words[0] === 'ACL';
    let redactNext = false;
    let changed = false;
    for (let i = 0; i < parts.length; i += 2) {
      let w = parts[i];
      if (w === '' || w.length > MAX_WORD) continue;
      if (w.startsWith('#') && i === 0) break; // a comment line stays as written
      if (redactNext && w !== '=' && w !== ':') {
        // A quoted value may hold blanks: it ends at the word that closes the quote (";" may follow).
        const q = w[0] === '"' || w[0] === "'" ? w[0] : '';
        let end = i;
        let close = q ? w.indexOf(q, 1) : -1;
        while (q && close < 0 && end + 2 < parts.length) {
          end += 2;
          close = parts[end].indexOf(q);
        }
        const tail = q && close >= 0 ? parts[end].slice(close + 1) : '';
        parts.splice(i, end - i + 1, `${q}${REDACTED}${q}${tail}`);
        redactNext = false;
        changed = true;
        count++;
        continue;
      }
      if (acl && (w.startsWith('>') || w.startsWith('<') || (w.startsWith('#') && w.length > 1))) {
        parts[i] = `${w[0]}${REDACTED}`;
        changed = true;
        count++;
        continue;
      }
      const pair = redactPair(w);
      if (pair.hit) {
        w = pair.word;
        count++;
        changed = true;
      } else if (isSecretKey(w.endsWith('=') || w.endsWith(':') ? w.slice(0, -1) : w)) {
        redactNext = true; // "requirepass foo", "password = foo", "stats auth admin:pw"
      }
      const url = w.replace(URL_CREDENTIALS, (_m, head: string) => {
        count++;
        changed = true;
        return `${head}${REDACTED}@`;
      });
      parts[i] = url;
    }
    if (changed) lines[n] = parts.join('');
  }
  return { value: lines.join('\n'), count };
}

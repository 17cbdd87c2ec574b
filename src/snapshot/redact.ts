/**
 * What a capture removes before it is shared (docs/safety.md §5, "Redaction": the table of forms and
 * their sources). One model for every place captured text is written:
 * - **by name**: a value whose name says secret — an option (`--password=`, `--secret-key PW`,
 *   `-storepass PW`, `-Dx.keyStorePassword=`), an environment assignment (`SECRET_KEY_BASE=`,
 *   `*_TOKEN=`, `*_PASSWORD=`, `*_KEY=`), a `key=value` inside a string (libpq conninfo, a query
 *   string, cifs options), a configuration key (`password=`, `Password:`), a header (`X-Api-Key:`);
 * - **by position**: the short options of programs that take a password (`mysql -pPW`,
 *   `sshpass -p PW`, `redis-cli -a PW`: redact-programs.ts), and every value of an environment
 *   block in configuration (systemd `Environment=`, supervisord `environment=`), whose names say
 *   nothing (only a short list of well-known harmless names is kept);
 * - **by shape**: URL userinfo (`user:PW@host`, a token as the user), `Authorization: Bearer …`,
 *   openssl's `pass:PW`, tokens with a known prefix (ghp_, glpat-, xoxb-, AKIA, sk_live_, JWTs …),
 *   PEM private keys.
 * Names and shapes stay (`--password=REDACTED`), so a reader sees what was there. Sockets, pipes and
 * anon inodes behind fds stay: sockdoc needs the socket inode of every fd; file paths go.
 * `--no-redact` keeps everything.
 */
import { POSITIONAL, PROGRAM_RULES, type SecretPart } from './redact-programs.js';

export const REDACTED = 'REDACTED';

export interface Redacted<T> {
  value: T;
  /** How many secrets were replaced. */
  count: number;
}

/** Words that make a name secret wherever they stand in it (AWS_SECRET_ACCESS_KEY, SECRET_KEY_BASE). */
const STRONG = new Set(['password', 'passwd', 'passphrase', 'secret', 'secrets', 'token', 'tokens', 'apikey', 'credential', 'credentials', 'creds', 'privatekey', 'secretkey', 'accesskey', 'webhook', 'dsn', 'jwt', 'cookie', 'cookies', 'bearer', 'sessionid', 'sessionkey', 'authtoken', 'clientsecret']);
/** Words that make a name secret as its last word only (DB_PASS, REDISCLI_AUTH; not --pass-fds). */
const LAST = new Set(['pass', 'pwd', 'pw', 'auth', 'authorization', 'sig', 'signature', 'otp', 'community', 'psk', 'salt']);
/** Suffixes of one-word names: PGPASSWORD, SSHPASS, dbpassword, authtoken, clientsecret, requirepass, masterauth. */
const SUFFIXES = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'pass', 'pwd', 'auth'];
/** Words ending in "pass" that are no password. */
const NOT_PASS = new Set(['bypass', 'compass', 'surpass', 'overpass', 'underpass', 'trespass', 'encompass', 'multipass', 'nopass', 'resetpass']);
/** A last word that makes the value something about a secret, not the secret: a file, a length, a lifetime. */
const ABOUT = new Set([
  'file', 'files', 'path', 'dir', 'directory', 'length', 'len', 'ttl', 'timeout', 'expiry', 'expires', 'expiration', 'lifetime', 'age',
  'min', 'max', 'minimum', 'maximum', 'count', 'size', 'type', 'kind', 'mode', 'method', 'methods', 'policy', 'name', 'names', 'id', 'ids',
  'env', 'var', 'prompt', 'command', 'cmd', 'format', 'limit', 'rounds', 'algorithm', 'alg', 'scheme', 'field', 'endpoint', 'host',
  'port', 'user', 'username', 'required', 'enabled', 'enable', 'disable', 'disabled', 'location', 'source', 'provider', 'backend',
  'interval', 'rotation', 'strength', 'header', 'helper', 'store', 'storage', 'url', 'uri', 'level', 'version', 'encoding', 'hint',
  // Apache httpd's LoadModule session_cookie_module …: a module's name.
  'module',
]);
/** Qualifiers of a last word "key" that make it no secret: a public key, a sort key. */
const PLAIN_KEY = new Set(['public', 'pub', 'sort', 'partition', 'primary', 'foreign', 'cache', 'routing', 'shard', 'lookup', 'index', 'unique', 'group', 'map', 'row', 'column', 'hot', 'host', 'keyboard', 'hash', 'idempotency', 'object', 'dedup', 'cluster', 'ssh', 'gpg', 'trusted']);
/** Qualifiers of a one-word "…key" name: apikey, accesskey, secretkey, masterkey. */
const ONE_WORD_KEY = /^(api|access|secret|private|signing|sign|encryption|encrypt|crypt|master|client|auth|app|account|license|session|shared|hmac|enc|service|admin|root)key$/;

/** Words of a name: split at separators and camelCase ("keyStorePassword" → key store password). */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** How a secret name holds its value: "password" (always secret) or "key" (a key: an absolute path there names a file). */
type SecretClass = 'password' | 'key';

/**
 * Is a value with this name a secret (an option, an environment variable, a configuration key, a
 * header, a query parameter)? `--password`, `DB_PASS`, `SECRET_KEY_BASE`, `github-token`,
 * `keyStorePassword`, `X-Api-Key`, `STRIPE_KEY` yes; `--password-file`, `TOKEN_TTL`, `--pass-fds`,
 * `--key`, `--sort-key`, `--no-password` no.
 */
/** Names that read like a secret and are none: nginx's and Apache httpd's (mod_proxy) upstream directives ("pass" = forward to), httpd's ServerTokens. */
const NOT_SECRET_NAMES = new Set([
  'proxy_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'grpc_pass', 'memcached_pass',
  'proxypass', 'proxypassreverse', 'proxypassmatch', 'proxypassreversecookiedomain', 'proxypassreversecookiepath', 'proxypassinherit', 'proxypassinterpolateenv',
  // httpd's ServerTokens OS|Prod|Full: how much the Server header tells.
  'servertokens',
]);

export function secretClass(name: string): SecretClass | null {
  // A name is something a person wrote: a longer "name" is not one (and is never split by RegExps).
  if (name.length > 256 || NOT_SECRET_NAMES.has(name.toLowerCase())) return null;
  const w = words(name);
  if (w.length === 0 || w[0] === 'no') return null;
  const last = w[w.length - 1];
  if (w.some((x) => x === 'webhook' || x === 'dsn')) return 'password'; // the URL itself is the secret
  // A command that prints the secret (PostgreSQL ssl_passphrase_command = 'echo PW', git's
  // credential helpers): written inline more often than not, so the whole command goes.
  if ((last === 'command' || last === 'cmd') && w.some((x) => STRONG.has(x) || LAST.has(x))) return 'password';
  if (ABOUT.has(last)) return null;
  if (w.some((x) => STRONG.has(x))) return 'password';
  if (LAST.has(last)) return 'password';
  if (w.length === 1 && !NOT_PASS.has(last) && SUFFIXES.some((s) => last.endsWith(s) && last !== s.slice(0, -1))) return 'password';
  if (w.length === 1 && ONE_WORD_KEY.test(last)) return 'key';
  if (last === 'key' && w.length >= 2 && !PLAIN_KEY.has(w[w.length - 2])) return 'key';
  return null;
}

export function isSecretName(name: string): boolean {
  return secretClass(name) !== null;
}

/** Does this value, given under a secret name of class `cls`, stay? An absolute path under a key name names a file (--tls-key=/etc/ssl/x.pem). */
export function keeps(cls: SecretClass, value: string): boolean {
  // A yes/no is a setting about a secret (PassCredentials=yes, --token=false), never one.
  if (value === '' || /^(yes|no|true|false|on|off)$/i.test(value)) return true;
  return cls === 'key' && /^\/[^\s]*$/.test(value);
}

// ---- shapes ------------------------------------------------------------------------------------

/** Tokens with a published prefix (each vendor's documentation of its token format). */
const TOKEN_SHAPES: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, // GitHub
  /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g, // GitLab
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, // Slack
  /\bxapp-[A-Za-z0-9-]{10,}\b/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g, // Stripe
  /\bsk-[A-Za-z0-9_-]{20,}\b/g, // OpenAI and others
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API keys
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWT
];

/** Headers whose value is a credential, besides any header whose name says secret. */
const AUTH_HEADERS = /^(?:proxy-)?authorization$|^(?:set-)?cookie$|^x-(?:api|auth|access|vault|csrf|amz-security)-?(?:key|token)$|^private-token$|^x-goog-api-key$/i;
/** Schemes of Authorization values, kept: "Bearer REDACTED". */
const AUTH_SCHEME = /^(Bearer|Basic|Token|Digest|Negotiate|NTLM|ApiKey|Api-Key|AWS4-HMAC-SHA256|Key|Splunk|SSWS|OAuth)\s+/i;

/** A value under an auth header: the scheme kept, the rest gone. */
export function redactHeaderValue(v: string): string {
  const m = AUTH_SCHEME.exec(v);
  return m ? `${m[0]}${REDACTED}` : REDACTED;
}

/** Characters of a URL scheme (RFC 3986 §3.1), looked back over at most this far from "://". */
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;
const MAX_SCHEME = 32;
/** An authority (userinfo and host) longer than this is no URL a person wrote; URL starts looked at per text. */
const MAX_AUTHORITY = 2048;
const MAX_URLS = 10_000;

/**
 * URL userinfo in `text`, found from each "//" by index (a scan, no RegExp over the text: linear
 * whatever a hostile cmdline holds). The authority ends at "/", "?", "#" (RFC 3986); the userinfo
 * at its last "@", so a raw "@" in a password is covered; a password written with a raw "/" or "?"
 * (as people do) would end the authority early, so the userinfo then reaches the last "@" of the
 * word when a ":" stands before it and no "/" after it.
 */
function redactUserinfo(text: string): Redacted<string> {
  let count = 0;
  let out = '';
  let from = 0;
  let starts = 0;
  let wordEnd = -1;
  const blank = /\s/g;
  // Bounded: at most MAX_URLS starts, each looked at over at most MAX_AUTHORITY characters.
  for (let i = text.indexOf('//'); i >= 0 && starts < MAX_URLS; i = text.indexOf('//', i + 2)) {
    if (i < from) continue;
    // "scheme://" or a word-initial "//".
    let s = i;
    if (s > 0 && text[s - 1] === ':') {
      s--;
      while (s > 0 && i - s < MAX_SCHEME && SCHEME_CHAR.test(text[s - 1])) s--;
      if (!/[A-Za-z]/.test(text[s] ?? '') || s === i - 1) continue;
    } else if (s > 0 && !/[\s'"=(]/.test(text[s - 1])) continue;
    starts++;
    // The word ends at the next blank (found natively once per word, reused for its other starts).
    if (i + 2 > wordEnd) {
      blank.lastIndex = i + 2;
      wordEnd = blank.exec(text)?.index ?? text.length;
    }
    const rest = text.slice(i + 2, Math.min(wordEnd, i + 2 + MAX_AUTHORITY));
    let auth = rest.search(/[/?#]/);
    if (auth < 0) auth = rest.length;
    let authority = rest.slice(0, auth);
    if (!authority.includes('@')) {
      const at = rest.lastIndexOf('@');
      if (at < 0 || !rest.slice(0, at).includes(':') || rest.slice(at).includes('/')) continue;
      const more = rest.slice(at + 1).search(/[/?#]/);
      authority = rest.slice(0, more < 0 ? rest.length : at + 1 + more);
    }
    const at = authority.lastIndexOf('@');
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    let replaced: string | null = null;
    if (colon >= 0) {
      if (userinfo.slice(colon + 1) !== REDACTED && colon < userinfo.length - 1) replaced = `${userinfo.slice(0, colon + 1)}${REDACTED}`;
    } else if (tokenLike(userinfo)) replaced = REDACTED;
    if (replaced === null) continue;
    count++;
    out += text.slice(from, i + 2) + replaced;
    from = i + 2 + at;
    i = from - 2;
  }
  return { value: out + text.slice(from), count };
}

/** Is this the user part of a URL a token (a long opaque string), not a user name? `https://TOKEN@github.com`, a Sentry DSN. */
function tokenLike(user: string): boolean {
  return /^[A-Za-z0-9_-]{20,}$/.test(user) && /\d/.test(user) && /[A-Za-z]/.test(user);
}

/**
 * Secrets recognised by their shape anywhere in a string: URL userinfo (RFC 3986: the authority
 * ends at "/", "?", "#"; the userinfo at its last "@", so a raw "@" in a password is covered),
 * `Authorization: Bearer …` and other credential headers, openssl's `pass:…`, known token
 * prefixes, PEM private keys.
 */
export function redactShapes(text: string): Redacted<string> {
  let count = 0;
  let out = text;
  if (out.includes('//')) {
    const r = redactUserinfo(out);
    out = r.value;
    count += r.count;
  }
  // "Name: value" headers (curl -H, a header line in a file).
  out = out.replace(/(^-[A-Za-z]|^|[\s"'=])([A-Za-z][A-Za-z0-9-]*)(:[ \t]*)([^\r\n]+)/g, (m, pre: string, name: string, sep: string, value: string) => {
    if (!(AUTH_HEADERS.test(name) || (secretClass(name) && name.includes('-'))) || value.startsWith(REDACTED) || value === '') return m;
    if (AUTH_SCHEME.exec(value) && value.replace(AUTH_SCHEME, '') === REDACTED) return m;
    // A quoted header ends at its quote.
    const q = pre === '"' || pre === "'" ? value.indexOf(pre) : -1;
    const v = q >= 0 ? value.slice(0, q) : value;
    count++;
    return `${pre}${name}${sep}${redactHeaderValue(v)}${q >= 0 ? value.slice(q) : ''}`;
  });
  // An Authorization value on its own ("Bearer PW" as one argument, or inside a string).
  out = out.replace(/(^|[\s"'=])(Bearer)([ \t]+)([^\s"',;]+)/gi, (m, pre: string, scheme: string, sp: string, v: string) => {
    if (v === REDACTED) return m;
    count++;
    return `${pre}${scheme}${sp}${REDACTED}`;
  });
  // JSON or Python-dict pairs ({"password":"PW"}, {'token': 'PW'}): string values under secret names.
  out = out.replace(/(["'])([A-Za-z_][A-Za-z0-9_.-]{0,255})\1([ \t]*:[ \t]*)(["'])((?:\\.|[^"'\\\n])*)\4/g, (m, q: string, name: string, sep: string, vq: string, v: string) => {
    const cls = secretClass(name);
    if (!cls || keeps(cls, v) || v === REDACTED) return m;
    count++;
    return `${q}${name}${q}${sep}${vq}${REDACTED}${vq}`;
  });
  out = out.replace(/(^|[\s'"=])pass:([^\s'"]+)/g, (m, pre: string, v: string) => {
    if (v === REDACTED) return m;
    count++;
    return `${pre}pass:${REDACTED}`;
  });
  for (const re of TOKEN_SHAPES) {
    out = out.replace(re, () => {
      count++;
      return REDACTED;
    });
  }
  const pem = redactPem(out);
  return { value: pem.value, count: count + pem.count };
}

/** PEM private key blocks (RFC 7468), whole: BEGIN … END; a block cut short runs to the end of the text. */
export function redactPem(text: string): Redacted<string> {
  let count = 0;
  const value = text.replace(/-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----(?!\n?REDACTED\n?-----END)([\s\S]*?)(?:-----END \1-----|(?![\s\S]))/g, (m, kind: string, body: string) => {
    // A header alone (a file redacted line by line after its block was: the line handlers see
    // "-----BEGIN …-----" without its body) holds nothing: kept, not doubled.
    if (body.trim() === '' || body.trim() === REDACTED) return m;
    count++;
    return `-----BEGIN ${kind}-----\n${REDACTED}\n-----END ${kind}-----`;
  });
  return { value, count };
}

/**
 * `name=value` pairs inside a string whose name says secret: libpq conninfo ("host=db password=x"),
 * URL query strings (`?access_token=…&sig=…`), ODBC ("Pwd=x;"), mount options ("password=x,uid=1").
 * A quoted value ('…', "…") ends at its quote.
 */
export function redactPairs(text: string, passwordsOnly = false): Redacted<string> {
  let count = 0;
  const value = text.replace(/(^|[\s;&?,'"({\[])([A-Za-z_][A-Za-z0-9_.-]*)([ \t]*=[ \t]*)("[^"]*"|'[^']*'|[^\s;&,'"]*)/g, (m, pre: string, name: string, eq: string, v: string) => {
    const cls = secretClass(name);
    const inner = /^["']/.test(v) ? v.slice(1, -1) : v;
    if (!cls || (passwordsOnly && (cls !== 'password' || eq !== '=')) || keeps(cls, inner) || inner === REDACTED || /^\$[{(A-Za-z_]/.test(inner)) return m;
    count++;
    return `${pre}${name}${eq}${/^["']/.test(v) ? `${v[0]}${REDACTED}${v[0]}` : REDACTED}`;
  });
  return { value, count };
}

/** Shapes, then pairs: everything a free string can hold. */
export function redactText(text: string): Redacted<string> {
  const a = redactShapes(text);
  const b = redactPairs(a.value);
  return { value: b.value, count: a.count + b.count };
}

// ---- argv --------------------------------------------------------------------------------------

/** Replaces the secret part of a value ("user:pw" after the colon, …). */
function secretPart(value: string, part: SecretPart): string {
  const sep = part === 'after-colon' ? ':' : part === 'after-percent' ? '%' : part === 'after-comma' ? ',' : null;
  if (sep === null) return REDACTED;
  const i = value.indexOf(sep);
  return i < 0 ? value : `${value.slice(0, i + 1)}${REDACTED}`;
}

/** Programs that run another program given later in their argv. */
const WRAPPERS = /^(env|sudo|doas|exec|nohup|nice|ionice|setsid|stdbuf|chrt|taskset|time|timeout|runuser|setpriv|chpst|nsenter|unshare|watch|xargs|flock|sh|bash|dash|ksh|zsh)$/;

/**
 * The program of redact-programs.ts this argv runs, and where: argv[0], or a later word when every
 * word before it belongs to wrappers (`sudo -u bob mysql -pX`, `env A=1 sshpass -p X ssh …`).
 */
function programOf(argv: readonly string[], comm?: string): { name: string; at: number } {
  // A program that rewrote its title keeps its comm (/proc/PID/stat): `exec -a -pPW mysql db`
  // leaves argv ["-pPW", "db"] and comm "mysql": the rule then holds from the first word.
  if (comm && PROGRAM_RULES.has(comm) && !PROGRAM_RULES.has(argv[0]?.slice(argv[0].lastIndexOf('/') + 1) ?? '') && !WRAPPERS.test(argv[0] ?? '')) return { name: comm, at: -1 };
  let wrapped = false;
  for (let i = 0; i < argv.length && i < 12; i++) {
    const base = argv[i].slice(argv[i].lastIndexOf('/') + 1);
    if ((PROGRAM_RULES.has(base) || POSITIONAL.has(base)) && (i === 0 || wrapped)) return { name: base, at: i };
    if (i === 0 && !WRAPPERS.test(base)) break;
    if (WRAPPERS.test(base)) wrapped = true;
  }
  return { name: '', at: 0 };
}

/**
 * argv with secret values replaced by REDACTED; names stay, so the shape is kept. Every element
 * also goes through redactText (a `sh -c "…"` string, a URL, a header), and through this function
 * word by word when it holds a command (spaces).
 */
export function redactArgv(argv: readonly string[], comm?: string): Redacted<string[]> {
  // Names written URL-encoded (pass%77ord=PW, --password%3DPW) are judged decoded; a word that
  // changes is written decoded and redacted, the others as they were.
  const view = argv.map(percentDecoded);
  const r = redactDecoded(view, comm);
  return r.count ? { value: r.value.map((v, i) => (v === view[i] ? argv[i] : v)), count: r.count } : { value: argv.slice(), count: 0 };
}

/**
 * The name of a word with its %XX escapes decoded (RFC 3986 §2.1): up to its first "=" or ":", or
 * through an escaped "=" (%3D) or ":" (%3A) when it has no plain one. The value after it stays as
 * written (a URL's escaped password is the URL rules' business).
 */
function percentDecoded(word: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(word)) return word;
  let end = word.search(/[=:]/);
  if (end < 0) {
    const m = /%3[DdAa]/.exec(word);
    if (!m) return word;
    end = m.index + 3;
  }
  return word.slice(0, end).replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) + word.slice(end);
}

/** A value of an unknown program's `-p` that is no secret: a port or number, a path, a plain lower-case name. */
const PLAIN_P = /^(\d[\d:.,/-]*|\/\S*|[a-z][a-z0-9_.-]*|\$[{(A-Za-z_]\S*|[A-Za-z_][A-Za-z0-9_.-]*=[\s\S]*)?$/;

/** Does an unknown program's -p value look like a password: one word, not plain, mixing letters with digits or symbols. */
function pValueSecret(v: string): boolean {
  if (v.length < 4 || /[\s/]/.test(v) || PLAIN_P.test(v)) return false;
  return /[A-Za-z]/.test(v) && /[0-9!#%&*+?^~]/.test(v);
}

/** The words after a program's subcommand that are not options, with their indexes. */
function positionals(argv: readonly string[], from: number): number[] {
  const out: number[] = [];
  for (let i = from; i < argv.length; i++) if (!argv[i].startsWith('-')) out.push(i);
  return out;
}

/** Indexes of positional secrets (redact-programs.ts POSITIONAL) in argv run by `name` at `at`. */
function positionalSecrets(argv: readonly string[], name: string, at: number): Set<number> {
  const out = new Set<number>();
  for (const rule of POSITIONAL.get(name) ?? []) {
    // The subcommand words, consecutive, anywhere after the program (global options and their values may come first).
    let i = at + 1;
    if (rule.after.length) {
      let j = at + 1;
      while (j + rule.after.length <= argv.length && rule.after.some((w, k) => argv[j + k] !== w)) j++;
      if (j + rule.after.length > argv.length) continue;
      i = j + rule.after.length;
    }
    if (rule.flag && !argv.slice(at + 1).some((w) => /^-[A-Za-z]+$/.test(w) && w.includes(rule.flag as string))) continue;
    const pos = positionals(argv, i);
    const idx = pos[rule.index];
    if (idx === undefined || (rule.unless && rule.unless.test(argv[idx]))) continue;
    if (rule.namedBy !== undefined && !secretClass(argv[pos[rule.namedBy]] ?? '')) continue;
    out.add(idx);
  }
  return out;
}

function redactDecoded(argv: readonly string[], comm?: string): Redacted<string[]> {
  let count = 0;
  const out = argv.slice();
  const prog = programOf(argv, comm);
  const rule = PROGRAM_RULES.get(prog.name);
  const ruleFrom = rule?.after ? argv.indexOf(rule.after, prog.at + 1) : prog.at;
  const startsOption = (i: number) => i > ruleFrom && (i > 0 || prog.at < 0);
  const positional = prog.name ? positionalSecrets(argv, prog.name, prog.at) : new Set<number>();
  const base0 = (argv[0] ?? '').slice((argv[0] ?? '').lastIndexOf('/') + 1);
  const titleIsOption = /^-p/.test(argv[0] ?? '');
  const genericP = !rule && (titleIsOption || (!POSITIONAL.has(base0) && !WRAPPERS.test(base0)));
  const set = (i: number, v: string) => {
    if (out[i] !== v) {
      out[i] = v;
      count++;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (positional.has(i)) {
      set(i, REDACTED);
      continue;
    }
    // Long options of the program with a secret part: curl --user bob:PW, --proxy-user=bob:PW.
    const long = rule?.long && /^--([A-Za-z][A-Za-z0-9-]*)(=(.*))?$/s.exec(a);
    if (long && rule?.long?.[long[1]]) {
      const part = rule.long[long[1]];
      if (long[2] !== undefined) set(i, `--${long[1]}=${secretPart(long[3], part)}`);
      else if (i + 1 < argv.length) {
        set(i + 1, secretPart(argv[i + 1], part));
        i++;
      }
      continue;
    }
    // An Authorization scheme as its own word: the next word is the credential.
    if (/^bearer$/i.test(a) && i + 1 < argv.length && argv[i + 1] !== REDACTED) {
      set(i + 1, REDACTED);
      i++;
      continue;
    }
    // Program short options: -pSECRET, -p SECRET.
    if (rule && (ruleFrom >= 0 || prog.at < 0) && startsOption(i) && /^-[A-Za-z]/.test(a) && !a.startsWith('--')) {
      const opt = rule.short[a[1]];
      if (opt) {
        const part = opt.part ?? 'all';
        if (a.length > 2 && opt.form !== 'next') {
          const v = a.slice(2).replace(/^=/, '');
          set(i, `${a.slice(0, a.length - v.length)}${secretPart(v, part)}`);
          continue;
        }
        if (a.length === 2 && opt.form !== 'attached' && i + 1 < argv.length) {
          set(i + 1, secretPart(argv[i + 1], part));
          i++;
          continue;
        }
      }
    }
    const eq = a.indexOf('=');
    const dashed = /^--?[A-Za-z]/.test(a);
    // --name=value, -name=value, -Dname=value, NAME=value; -name:value and /name:value (Windows-style tools, java -D… too).
    const nv = /^(--?|\/)?([A-Za-z_][A-Za-z0-9_.-]*)([=:])/.exec(a);
    if (nv && (nv[3] === '=' || (nv[1] !== undefined && !/^\s/.test(a.slice(nv[0].length))))) {
      const name = nv[2].replace(/^D(?=[a-z])/, '');
      const cls = secretClass(name);
      const v = a.slice(nv[0].length);
      if (cls && !keeps(cls, v) && v !== REDACTED) {
        set(i, `${nv[0]}${REDACTED}`);
        continue;
      }
    }
    // --name value, -name value (keytool -storepass, openssl -passin, --token VALUE); the name is an option's, not a header's.
    if (eq < 0 && dashed && /^--?[A-Za-z][A-Za-z0-9_.-]*$/.test(a) && i + 1 < argv.length && !argv[i + 1].startsWith('-')) {
      const name = a.replace(/^--?/, '');
      const cls = secretClass(name);
      const optional = rule?.optionalLong?.includes(name.toLowerCase()) && a.startsWith('--');
      if (cls && !optional && !keeps(cls, argv[i + 1])) {
        const next = argv[i + 1];
        // openssl's pass phrase arguments: only "pass:…" holds the secret (env:, file:, fd:, stdin name one).
        if (/^pass(in|out)?$/.test(name) && /^(env|file|fd):|^stdin$/.test(next)) continue;
        set(i + 1, /^pass:/.test(next) ? `pass:${REDACTED}` : REDACTED);
        i++;
        continue;
      }
    }
    // An unknown program's -p VALUE / -pVALUE (the mysql convention): unless a port, path or name.
    // (argv[0] too: a title that is itself the option, `exec -a -pPW prog`; a login shell's "-bash" is no secret.)
    if (genericP && /^-p/.test(a) && !a.startsWith('--')) {
      const attached = a.slice(2);
      if (attached !== '' && pValueSecret(attached)) {
        set(i, `-p${REDACTED}`);
        continue;
      }
      if (attached === '' && i + 1 < argv.length && !argv[i + 1].startsWith('-') && pValueSecret(argv[i + 1])) {
        set(i + 1, REDACTED);
        i++;
        continue;
      }
    }
    // Anything else: a URL, a header, a conninfo, a shell command line.
    let t = redactText(a);
    if (/\s/.test(t.value) && t.value.length < 65536) {
      const w = redactWords(t.value);
      t = { value: w.value, count: t.count + w.count };
    }
    if (t.count) {
      out[i] = t.value;
      count += t.count;
    }
  }
  return { value: out, count };
}

/**
 * A command line written as one string (`sh -c "…"`, systemd `ExecStart=`, supervisord
 * `command=`): split into words as a shell would (quotes kept), each word redacted as argv, put
 * back in place — the spacing and quoting of the rest unchanged.
 */
export function redactWords(line: string, comm?: string): Redacted<string> {
  // Words, and the operators that end a command (;, &, |, newline, parentheses): each command is its own argv.
  const tokens: Array<{ start: number; end: number; quote: string; text: string; op: boolean }> = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|([;&|()\n]+)|([^\s"';|&()]+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const quote = m[1] !== undefined ? '"' : m[2] !== undefined ? "'" : '';
    tokens.push({ start: m.index, end: m.index + m[0].length, quote, text: m[1] ?? m[2] ?? m[3] ?? m[4], op: m[3] !== undefined });
  }
  const value = tokens.map((t) => t.text);
  let count = 0;
  // A quoted word holding a command is split again by redactArgv (each level is shorter).
  for (let i = 0; i < tokens.length; ) {
    let j = i;
    while (j < tokens.length && !tokens[j].op) j++;
    const r = redactArgv(value.slice(i, j), i === 0 ? comm : undefined);
    r.value.forEach((v, k) => (value[i + k] = v));
    count += r.count;
    i = j + 1;
  }
  if (count === 0) return { value: line, count: 0 };
  let out = '';
  let at = 0;
  tokens.forEach((t, k) => {
    out += line.slice(at, t.start) + (t.quote ? `${t.quote}${value[k]}${t.quote}` : value[k]);
    at = t.end;
  });
  return { value: out + line.slice(at), count };
}

/** A /proc/PID/cmdline (NUL-separated, NUL-terminated) with redactArgv applied; `comm` from its stat (see programOf). */
export function redactCmdline(raw: string, comm?: string): Redacted<string> {
  if (raw === '') return { value: raw, count: 0 };
  const trailing = raw.endsWith('\0');
  const r = redactArgv((trailing ? raw.slice(0, -1) : raw).split('\0'), comm);
  return { value: r.value.join('\0') + (trailing ? '\0' : ''), count: r.count };
}

/**
 * A process's name (comm: the first 15 bytes of its executable's name, or of a title it set with
 * prctl PR_SET_NAME or by writing /proc/self/comm) through the same model: as a word of its own
 * (`--password=x`, `Bearer x`, a token shape), and as the start of an argv word that redactArgv
 * changes (a title `-pS3cr3t…` whose comm is that title cut short). Kept when neither says secret.
 */
export function redactName(name: string, argv: readonly string[]): Redacted<string> {
  if (name === '') return { value: name, count: 0 };
  const base = (w: string) => w.slice(w.lastIndexOf('/') + 1);
  // The usual case, cheap (every process of every snapshot): a plain name that is its executable's whole basename.
  if (argv.length && /^[A-Za-z][\w.+-]*$/.test(name) && base(argv[0]) === name) return { value: name, count: 0 };
  // As a word of a command line (after a program word: an unknown program's -pPW counts).
  const own = redactArgv(['_', name]);
  if (own.count) return { value: own.value[1], count: 1 };
  // Cheap first: only a name that begins some word (the usual: the executable's basename) is looked at further.
  const at = argv.findIndex((w) => w.startsWith(name) || base(w).startsWith(name) || w.includes(` ${name}`));
  if (at < 0) {
    // A name that is no word of argv but a part of one: the middle of an option.
    if (!argv.some((w) => w.includes(name))) return { value: name, count: 0 };
  }
  const r = redactArgv(argv, name);
  if (!r.count) return { value: name, count: 0 };
  for (let i = 0; i < argv.length; i++) {
    if (r.value[i] === argv[i] || !argv[i].includes(name)) continue;
    // The name stood in a word that held a secret: keep what the redacted word keeps of it.
    const kept = r.value[i].startsWith(name) ? name : base(r.value[i]).slice(0, Math.max(name.length, base(r.value[i]).indexOf(REDACTED) + REDACTED.length));
    return { value: kept === name ? name : kept, count: kept === name ? 0 : 1 };
  }
  return { value: name, count: 0 };
}

/**
 * /proc/PID/stat and status with the name (comm) redacted by redactName: stat's "(comm)" field
 * (the last ")" ends it: fs/proc/array.c) and status's "Name:" line (comm escaped: \n, \\).
 */
export function redactStatName(file: 'stat' | 'status', text: string, argv: readonly string[]): Redacted<string> {
  if (file === 'stat') {
    const open = text.indexOf(' (');
    const close = text.lastIndexOf(')');
    if (open < 0 || close < open) return { value: text, count: 0 };
    const r = redactName(text.slice(open + 2, close), argv);
    return r.count ? { value: `${text.slice(0, open + 2)}${r.value}${text.slice(close)}`, count: r.count } : { value: text, count: 0 };
  }
  const m = /^Name:\t([^\n]*)$/m.exec(text);
  if (!m) return { value: text, count: 0 };
  const r = redactName(m[1].replace(/\\n/g, '\n').replace(/\\\\/g, '\\'), argv);
  return r.count ? { value: `${text.slice(0, m.index)}Name:\t${r.value.replace(/\n/g, '\\n')}${text.slice(m.index + m[0].length)}`, count: r.count } : { value: text, count: 0 };
}

// ---- environment blocks ------------------------------------------------------------------------

/** Environment names whose values are kept in a configuration's environment block: well known, never secret. */
const SAFE_ENV = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TERM|PWD|TMPDIR|TEMP|TMP|HOSTNAME|NODE_ENV|RAILS_ENV|RACK_ENV|APP_ENV|FLASK_ENV|ENV|ENVIRONMENT|DJANGO_SETTINGS_MODULE|PYTHONPATH|PYTHONUNBUFFERED|PYTHONDONTWRITEBYTECODE|PYTHONIOENCODING|PYTHONHASHSEED|VIRTUAL_ENV|GOMAXPROCS|GOGC|GOMEMLIMIT|GODEBUG|JAVA_HOME|PM2_HOME|NVM_DIR|PORT|HOST|BIND|LISTEN|LOG_LEVEL|LOGLEVEL|DEBUG|WORKERS|WEB_CONCURRENCY|THREADS|MALLOC_ARENA_MAX|UV_THREADPOOL_SIZE|XDG_[A-Z_]+|SUPERVISOR_[A-Z_]+|SYSTEMD_[A-Z_]+|INVOCATION_ID|NOTIFY_SOCKET|LISTEN_[A-Z]+|RUNTIME_DIRECTORY|STATE_DIRECTORY|CACHE_DIRECTORY|LOGS_DIRECTORY|CONFIGURATION_DIRECTORY)$/;
/** Names whose value is a list of options: redacted word by word, not whole (JAVA_OPTS may hold -Dx.password=…). */
const OPTIONS_ENV = /(OPTS|OPTIONS|ARGS|FLAGS)$/;

/**
 * Values that cannot be a secret whatever their name: a number (with a unit: 300M, 10s, 50%), a yes/no word, an absolute path
 * (no "://", no ":"), a reference to another variable or a command's output ($X, ${X}, $(…)).
 */
export function plainValue(value: string): boolean {
  return /^(-?\d{1,12}(\.\d{1,6})?([A-Za-z%]{1,3})?|yes|no|true|false|on|off|none|null)$/i.test(value) || /^\/[^\s:]*$/.test(value) || /^\$[{(A-Za-z_]/.test(value);
}

/**
 * One `NAME=VALUE` of an environment block in configuration: a value of an unknown name is
 * presumed secret (a block that sets DATABASE_URL, STRIPE_KEY and FOO holds secrets under names
 * nobody can list), unless its shape cannot be one (plainValue: KEEP=3, CONFIG=/etc/x.cfg); a
 * secret name is redacted whatever the value; well-known harmless names (SAFE_ENV) and option
 * lists (word by word) stay.
 */
export function redactEnvValue(name: string, value: string): Redacted<string> {
  if (value === '' || value === REDACTED) return { value, count: 0 };
  const cls = secretClass(name);
  if (cls) return keeps(cls, value) || /^\$[{(A-Za-z_]/.test(value) ? { value, count: 0 } : { value: REDACTED, count: 1 };
  if (SAFE_ENV.test(name)) return redactText(value);
  if (OPTIONS_ENV.test(name)) return redactWords(value);
  if (plainValue(value)) return { value, count: 0 };
  return { value: REDACTED, count: 1 };
}

/** An fd link's target: kept for socket:[N], pipe:[N], anon_inode:… and common devices; a file path becomes "redacted:file". */
export function redactFdTarget(target: string): Redacted<string> {
  if (/^(socket|pipe|anon_inode|net|mnt|user|pid|ipc|uts|cgroup|time):/.test(target)) return { value: target, count: 0 };
  // Devices every process has say nothing about anyone.
  if (/^\/dev\/(null|zero|full|u?random|console|tty\w*|pts\/\d+|ptmx)$/.test(target)) return { value: target, count: 0 };
  return { value: 'redacted:file', count: 1 };
}

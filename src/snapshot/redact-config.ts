/**
 * Redaction of the configuration files a capture copies (docs/safety.md §5, "Redaction"), by what
 * the file is. Only values change: keys, sections, comments, line breaks and every setting sockdoc
 * reads (LimitNOFILE=, minfds=, [include], default-ulimits, limits.conf lines) stay byte for byte,
 * so `--root` explains a limit from the capture as it would from the host.
 * - systemd units, drop-ins and manager files (man systemd.exec, systemd.syntax): `Environment=`
 *   (every value but well-known harmless names), `Exec*=` command lines (as argv),
 *   `SetCredential=`/`SetCredentialEncrypted=` (the value after "ID:"), any `Key=` whose name says
 *   secret;
 * - supervisord (supervisord.conf(5) "environment", "command", [inet_http_server] /
 *   [unix_http_server] / [supervisorctl] `password`): the same by section key;
 * - nginx: a directive whose name says secret, and `*_set_header`/`add_header`/`*_param` whose
 *   header or parameter name does;
 * - JSON (docker's daemon.json): string values under secret keys, `Env` lists, shapes;
 * - anything else (pam.d, limits.d): `key = value` / `key: value` lines under secret keys, pairs,
 *   shapes.
 */
import { keeps, REDACTED, redactArgv, redactEnvValue, redactHeaderValue, redactPairs, redactPem, redactShapes, redactText, redactWords, secretClass, type Redacted } from './redact.js';

type Kind = 'systemd' | 'supervisord' | 'nginx' | 'json' | 'pam' | 'text';

/** What a host path holds, by where it is and what it is called. */
export function configKind(hostPath: string): Kind {
  if (/\/systemd\//.test(hostPath) || /\.(service|socket|mount|swap|timer|path|slice|scope|target|automount)$/.test(hostPath)) return 'systemd';
  if (/supervisor/.test(hostPath)) return 'supervisord';
  if (/\/nginx\//.test(hostPath)) return 'nginx';
  if (/\.json$/.test(hostPath)) return 'json';
  // pam.d and limits: "auth required pam_unix.so" is a rule, not a secret; only pairs and shapes.
  if (/\/pam\.d\/|\/security\//.test(hostPath)) return 'pam';
  return 'text';
}

/** Collects counts across replacements. */
class Tally {
  count = 0;
  take(r: Redacted<string>): string {
    this.count += r.count;
    return r.value;
  }
}

/** `A=1 "B=two words" C=3` (systemd Environment=, man systemd.exec): each assignment's value through redactEnvValue. */
function systemdEnvironment(value: string, t: Tally): string {
  return value.replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g, (m, dq: string | undefined, sq: string | undefined, bare: string | undefined) => {
    const a = dq ?? sq ?? bare ?? '';
    const eq = a.indexOf('=');
    if (eq <= 0) return m;
    const v = t.take(redactEnvValue(a.slice(0, eq), a.slice(eq + 1)));
    const q = dq !== undefined ? '"' : sq !== undefined ? "'" : '';
    return `${q}${a.slice(0, eq + 1)}${v}${q}`;
  });
}

/** `A="1",B=two,C='x'` (supervisord environment=): each value through redactEnvValue. */
function supervisordEnvironment(value: string, t: Tally): string {
  // Each assignment starts the value or follows a comma: anchored there, the scan stays linear.
  return value.replace(/(^|,)(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^,]*)/g, (m, sep: string, sp: string, name: string, eq: string, v: string) => {
    const quoted = /^["']/.test(v);
    const inner = quoted ? v.slice(1, -1) : v;
    const r = t.take(redactEnvValue(name, inner));
    return `${sep}${sp}${name}${eq}${quoted ? `${v[0]}${r}${v[0]}` : r}`;
  });
}

/** A value under a key: the whole value when the key says secret (an absolute path under a key name stays), else its shapes and pairs. */
function byKey(key: string, value: string, t: Tally): string {
  const cls = secretClass(key);
  const v = value.trim();
  // yes/no and $references are settings about a secret (PassCredentials=yes), never one.
  if (cls && v !== '' && v !== REDACTED && !(cls === 'key' && /^\/\S*$/.test(v)) && !/^(yes|no|true|false|on|off)$/i.test(v) && !/^\$[{(A-Za-z_]/.test(v)) {
    t.count++;
    const lead = /^\s*/.exec(value)?.[0] ?? '';
    return `${lead}${REDACTED}`;
  }
  return t.take(redactText(value));
}

/** systemd's Key=Value lines (comments, sections and continuations kept as they are). */
function systemdFile(text: string, t: Tally): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s*)([A-Za-z][A-Za-z0-9]*)(\s*=\s*)(.*)$/.exec(line);
      if (!m) return /^\s*[#;]/.test(line) ? commentLine(line, t) : /^\s*\[/.test(line) ? line : t.take(redactWords(line));
      const [, lead, key, eq, value] = m;
      let v: string;
      if (key === 'Environment' || key === 'DefaultEnvironment' || key === 'ManagerEnvironment') v = systemdEnvironment(value, t);
      else if (/^Exec/.test(key)) v = t.take(redactWords(value));
      else if (key === 'SetCredential' || key === 'SetCredentialEncrypted') {
        const c = value.indexOf(':');
        v = c >= 0 && value.slice(c + 1) !== REDACTED ? (t.count++, `${value.slice(0, c + 1)}${REDACTED}`) : value;
      }
      // LoadCredential=ID:PATH, ImportCredential=GLOB, ConditionCredential=ID, PassCredentials=yes
      // name where a credential is or whether one is passed, not what it is.
      else if (/Credential/.test(key)) v = t.take(redactText(value));
      else v = byKey(key, value, t);
      return `${lead}${key}${eq}${v}`;
    })
    .join('\n');
}

/** A comment keeps its words, but not a secret written in it (`# DB_PASSWORD=PW`, an old `#ExecStart=… -pPW`): pairs, shapes, and a commented-out setting as the setting. */
function commentLine(line: string, t: Tally): string {
  const m = /^(\s*[#;]+\s*)(.*)$/.exec(line) as RegExpExecArray;
  const body = m[2];
  if (body === '') return line;
  // Shapes, and pairs whose name says password/token/secret (a commented default such as
  // #HandlePowerKey=poweroff is documentation, kept byte for byte).
  const r = redactShapes(body);
  const p = redactPairs(r.value, true);
  t.count += r.count + p.count;
  return `${m[1]}${p.value}`;
}

/** A quoted value may hold blanks: the words from `i` up to the one that closes its quote. */
function valueEnd(parts: string[], i: number): number {
  const q = /^["']/.test(parts[i]) ? parts[i][0] : '';
  if (!q || (parts[i].length > 1 && parts[i].slice(1).includes(q))) return i;
  for (let j = i + 2; j < parts.length; j += 2) if (parts[j].includes(q)) return j;
  return i;
}

/**
 * A `name value …` line (redis.conf `requirepass PW`, `masterauth PW`; haproxy `stats auth
 * admin:PW`, `user bob insecure-password PW`; a my.cnf `password PW`): the word after a word that
 * names a secret goes; Redis ACL rules (`user NAME on >PW <PW #SHA256`, redis.io "ACL") lose their
 * passwords and hashes. Then pairs and shapes, as any text.
 */
function directiveLine(line: string, t: Tally): string {
  const parts = line.split(/(\s+)/);
  const at = parts[0] === '' ? 2 : 0;
  const acl = parts[at] === 'user' || parts[at] === 'ACL';
  for (let i = at; i < parts.length; i += 2) {
    const w = parts[i];
    if (w === '') continue;
    if (acl && (/^[<>]./.test(w) || /^#[0-9a-fA-F]{64}$/.test(w))) {
      parts[i] = `${w[0]}${REDACTED}`;
      t.count++;
      continue;
    }
    // Only a plain name (requirepass, insecure-password, password=) announces a value; a word that
    // holds its own value (secretRequired="false") is the pairs' business.
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*[=:]?$/.test(w)) continue;
    const name = w.replace(/[=:]$/, '');
    let v = i + 2;
    if (v < parts.length && (parts[v] === '=' || parts[v] === ':')) v += 2;
    if (v >= parts.length || parts[v] === '' || !secretClass(name) || parts[v] === REDACTED || /^(yes|no|true|false|on|off)$/i.test(parts[v]) || /^\$[{(A-Za-z_]/.test(parts[v])) continue;
    const end = valueEnd(parts, v);
    const q = /^["']/.test(parts[v]) ? parts[v][0] : '';
    const close = q ? parts[end].lastIndexOf(q) : -1;
    const tail = q && close > (end === v ? 0 : -1) ? parts[end].slice(close + 1) : /;$/.test(parts[end]) ? ';' : '';
    parts.splice(v, end - v + 1, `${q}${REDACTED}${q && close > (end === v ? 0 : -1) ? q : ''}${tail}`);
    t.count++;
    i = v;
  }
  return t.take(redactText(parts.join('')));
}

/**
 * supervisord's `command=` with its continuation lines (Python configparser: the indented lines
 * after a key belong to its value; supervisord splits the whole with shlex): the words of every
 * line redacted as one argv, each put back on its line. Returns the index after the last line used.
 */
function commandLines(lines: string[], at: number, first: { lead: string; key: string; sep: string; value: string }, t: Tally): number {
  let end = at + 1;
  while (end < lines.length && /^[ \t]+\S/.test(lines[end]) && !/^\s*[#;]/.test(lines[end])) end++;
  const texts = [first.value, ...lines.slice(at + 1, end)];
  const word = /"(?:[^"\\]|\\.)*"|'[^']*'|\S+/g;
  const spans = texts.map((x) => [...x.matchAll(word)].map((m) => ({ at: m.index ?? 0, text: m[0] })));
  const argv = spans.flat().map((w) => (/^["']/.test(w.text) && w.text.length > 1 ? w.text.slice(1, -1) : w.text));
  const r = redactArgv(argv);
  t.count += r.count;
  let k = 0;
  const out = texts.map((x, li) => {
    let s = '';
    let from = 0;
    for (const w of spans[li]) {
      const v = r.value[k++];
      const q = /^["']/.test(w.text) && w.text.length > 1 ? w.text[0] : '';
      s += x.slice(from, w.at) + (v === argv[k - 1] ? w.text : `${q}${v}${q}`);
      from = w.at + w.text.length;
    }
    return s + x.slice(from);
  });
  lines[at] = `${first.lead}${first.key}${first.sep}${out[0]}`;
  for (let j = 1; j < out.length; j++) lines[at + j] = out[j];
  return end;
}

/** supervisord's INI (and other `key = value` / `key: value` files): by key, environment and command by their syntax. */
function iniFile(text: string, t: Tally, supervisord: boolean, directives = true): string {
  const lines = text.split('\n');
  if (supervisord) {
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\s*)(command)(\s*[=:]\s*)(.*)$/.exec(lines[i]);
      if (m) i = commandLines(lines, i, { lead: m[1], key: m[2], sep: m[3], value: m[4] }, t) - 1;
    }
  }
  return lines
    .map((line) => {
      const m = /^(\s*)([A-Za-z_][A-Za-z0-9_.-]*)(\s*[=:]\s*)(.*)$/.exec(line);
      if (!m) return /^\s*[#;]/.test(line) ? commentLine(line, t) : /^\s*\[/.test(line) ? line : directives ? directiveLine(line, t) : t.take(redactText(line));
      const [, lead, key, sep, value] = m;
      let v: string;
      if (supervisord && key === 'environment') v = supervisordEnvironment(value, t);
      else if (supervisord && key === 'command') v = value; // done above, with its continuation lines
      else v = byKey(key, value, t);
      return `${lead}${key}${sep}${v}`;
    })
    .join('\n');
}

/** nginx: `name args;` directives (one per line, as written in practice). */
function nginxFile(text: string, t: Tally): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s*)([a-z_][a-z0-9_]*)(\s+)([^;#]*)(;?.*)$/.exec(line);
      if (!m) return line;
      const [, lead, name, sp, args, rest] = m;
      // proxy_pass, fastcgi_pass …: not secret (redact.ts); ssl_certificate_key /path: a file, kept.
      const cls = secretClass(name);
      if (cls && args.trim() !== '' && !keeps(cls, args.trim())) {
        t.count++;
        return `${lead}${name}${sp}${REDACTED}${rest}`;
      }
      // proxy_set_header Authorization "Bearer x"; fastcgi_param DB_PASSWORD x;
      const body = args.trimEnd();
      const h = /^(\S+)(\s+)(.+)$/.exec(body);
      if (h && /(_set_header|^add_header|^more_set_headers|_param|^set|^env)$/.test(name) && (secretClass(h[1].replace(/^\$/, '')) || /^(proxy-)?authorization$|^cookie$/i.test(h[1]))) {
        t.count++;
        const q = /^["']/.test(h[3]) ? h[3][0] : '';
        const inner = q ? h[3].slice(1, -1) : h[3];
        return `${lead}${name}${sp}${h[1]}${h[2]}${q}${redactHeaderValue(inner)}${q}${args.slice(body.length)}${rest}`;
      }
      return `${lead}${name}${sp}${t.take(redactText(args))}${rest}`;
    })
    .join('\n');
}

/** JSON: values under secret keys, `Env`-style "NAME=value" lists, shapes in every string. */
function jsonValue(v: unknown, key: string | null, t: Tally): unknown {
  if (typeof v === 'string') {
    if (key !== null && secretClass(key) && v !== '' && v !== REDACTED) {
      t.count++;
      return REDACTED;
    }
    return t.take(redactText(v));
  }
  if (Array.isArray(v)) {
    if (key !== null && /^env(ironment)?$/i.test(key)) {
      return v.map((e) => {
        if (typeof e !== 'string' || e.indexOf('=') <= 0) return jsonValue(e, null, t);
        const eq = e.indexOf('=');
        return `${e.slice(0, eq + 1)}${t.take(redactEnvValue(e.slice(0, eq), e.slice(eq + 1)))}`;
      });
    }
    return v.map((e) => jsonValue(e, key, t));
  }
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x, k, t)]));
  return v;
}

function jsonFile(text: string, t: Tally): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return iniFile(text, t, false); // not JSON after all: as text
  }
  const before = t.count;
  const out = jsonValue(parsed, null, t);
  // Unchanged files stay byte for byte; changed ones are written as JSON again.
  return t.count === before ? text : JSON.stringify(out, null, 2) + '\n';
}

/**
 * A configuration file's text (latin1, as captured) with its secrets replaced, by what the file is
 * (configKind). Lines sockdoc reads are unchanged.
 */
export function redactConfig(hostPath: string, text: string): Redacted<string> {
  const t = new Tally();
  // PEM private keys first: a block spans lines, which the line handlers see one at a time.
  let value = t.take(redactPem(text));
  switch (configKind(hostPath)) {
    case 'systemd':
      value = systemdFile(value, t);
      break;
    case 'supervisord':
      value = iniFile(value, t, true);
      break;
    case 'nginx':
      value = nginxFile(value, t);
      break;
    case 'json':
      value = jsonFile(value, t);
      break;
    case 'pam':
      value = iniFile(value, t, false, false);
      break;
    default:
      value = iniFile(value, t, false);
  }
  return { value, count: t.count };
}

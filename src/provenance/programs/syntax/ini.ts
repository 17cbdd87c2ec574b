/**
 * INI-like configurations: `[section]` headers, `key = value` lines, comments on lines starting with
 * `#` or `;`. The programs differ in details, given as options: MySQL's my.cnf (`key` alone is a
 * flag, `!include FILE` and `!includedir DIR`), PgBouncer (`%include FILE`), php-fpm (`include=GLOB`,
 * values in double quotes), PostgreSQL (no sections; `include 'FILE'`, `include_dir`, values in
 * single quotes, `#` after a value starts a comment).
 *
 * A character scan per line (indexOf, no RegExp over the host's text), bounded in lines.
 */

export interface IniEntry {
  /** Lower-cased section name ("" before any header). */
  section: string;
  key: string;
  /** Unquoted value; "" for a bare key. */
  value: string;
  file: string;
  line: number;
}

const MAX_LINES = 200_000;

/** Strips one level of matching quotes; `'` doubled inside single quotes is one quote (PostgreSQL). */
export function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    const inner = v.slice(1, -1);
    return v[0] === "'" ? inner.split("''").join("'") : inner;
  }
  return v;
}

/** The value before a trailing comment (`#` or `;` after a blank, outside quotes). */
function stripComment(v: string, marks: string): string {
  let quote: string | null = null;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (marks.includes(c) && (i === 0 || v[i - 1] === ' ' || v[i - 1] === '\t')) return v.slice(0, i);
  }
  return v;
}

/**
 * The entries of one file, in order. `inlineComments`: characters that start a comment after a
 * value (MySQL and PostgreSQL `#`; php-fpm `;`). Lines that are directives of the file format
 * (`!include`, `%include`, `include`) come back as entries with key "!include" etc. for the caller.
 */
export function parseIni(text: string, file: string, opts: { inlineComments?: string; sectionless?: boolean } = {}): IniEntry[] {
  const out: IniEntry[] = [];
  let section = '';
  const lines = text.split('\n', MAX_LINES);
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '' || t[0] === '#' || t[0] === ';') continue;
    if (t[0] === '[' && !opts.sectionless) {
      const end = t.indexOf(']');
      if (end > 0) section = t.slice(1, end).trim().toLowerCase();
      continue;
    }
    if (t[0] === '!' || t[0] === '%') {
      const sp = t.search(/[ \t]/);
      out.push({ section, key: sp < 0 ? t : t.slice(0, sp), value: sp < 0 ? '' : unquote(t.slice(sp + 1).trim()), file, line: i + 1 });
      continue;
    }
    const eq = t.indexOf('=');
    let key: string;
    let value: string;
    if (eq < 0) {
      // PostgreSQL allows "name value"; MySQL a bare flag.
      const sp = t.search(/[ \t]/);
      key = sp < 0 ? t : t.slice(0, sp);
      value = sp < 0 ? '' : t.slice(sp + 1);
    } else {
      key = t.slice(0, eq);
      value = t.slice(eq + 1);
    }
    value = stripComment(value, opts.inlineComments ?? '').trim();
    out.push({ section, key: key.trim(), value: unquote(value), file, line: i + 1 });
  }
  return out;
}

/** The last entry whose key, with `-` read as `_` (MySQL accepts both), is `key`, in one of `sections`. */
export function lastEntry(entries: readonly IniEntry[], key: string, sections?: readonly string[]): IniEntry | undefined {
  let hit: IniEntry | undefined;
  const want = key.replaceAll('-', '_').toLowerCase();
  for (const e of entries) {
    if (sections && !sections.includes(e.section)) continue;
    if (e.key.replaceAll('-', '_').toLowerCase() === want) hit = e;
  }
  return hit;
}

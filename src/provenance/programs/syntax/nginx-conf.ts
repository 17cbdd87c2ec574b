/**
 * nginx's configuration syntax (src/core/ngx_conf_file.c ngx_conf_read_token): words separated by
 * blanks; `;` ends a directive, `{` opens its block, `}` closes it; `#` at the start of a word
 * comments to the end of the line; "double" and 'single' quoted words with `\` escapes. `include`
 * inserts the files a pattern names at that point, in the same block (relative patterns against
 * the directory of the main file, nginx's conf prefix).
 *
 * A character loop over the text (never a RegExp), bounded: MAX_TOKENS words per file, MAX_NESTING
 * blocks deep, includes through the ConfigReader's budget (files, bytes, depth).
 */
import { ConfigReader, MAX_DEPTH, dirname } from '../config-reader.js';

/** One directive: its name, arguments, where it was written, and its block when it has one. */
export interface NginxDirective {
  name: string;
  args: string[];
  file: string;
  line: number;
  block?: NginxDirective[];
}

const MAX_TOKENS = 500_000;
const MAX_NESTING = 64;

type Token = { t: 'word'; v: string; line: number } | { t: ';' | '{' | '}'; line: number };

const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** The words and punctuation of one file. */
export function tokenizeNginx(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n && out.length < MAX_TOKENS) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === ';' || c === '{' || c === '}') {
      out.push({ t: c, line });
      i++;
      continue;
    }
    const start = line;
    let v = '';
    if (c === '"' || c === "'") {
      i++;
      while (i < n && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < n) {
          const e = text[i + 1];
          v += e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e;
          i += 2;
          continue;
        }
        if (text[i] === '\n') line++;
        v += text[i++];
      }
      i++;
      out.push({ t: 'word', v, line: start });
      continue;
    }
    while (i < n && !isBlank(text[i]) && text[i] !== ';' && text[i] !== '{' && text[i] !== '}') {
      // A variable in braces ("${host}") keeps its braces as part of the word.
      if (text[i] === '$' && text[i + 1] === '{') {
        const end = text.indexOf('}', i);
        if (end < 0) break;
        v += text.slice(i, end + 1);
        i = end + 1;
        continue;
      }
      if (text[i] === '\\' && i + 1 < n) {
        v += text[i + 1];
        i += 2;
        continue;
      }
      v += text[i++];
    }
    out.push({ t: 'word', v, line: start });
  }
  return out;
}

/** What parsing could not do, one sentence each (an unbalanced brace, an include not found). */
export interface NginxParse {
  directives: NginxDirective[];
  problems: string[];
}

/**
 * Parses `file` and every file it includes, through `reader` (which bounds the whole read). `prefix`
 * is the directory relative includes are read against (the main file's).
 */
export function parseNginxConfig(reader: ConfigReader, file: string, prefix = dirname(file)): NginxParse {
  const problems: string[] = [];
  const directives = parseFile(reader, file, prefix, 0, problems);
  return { directives: directives ?? [], problems };
}

function parseFile(reader: ConfigReader, file: string, prefix: string, depth: number, problems: string[]): NginxDirective[] | null {
  const r = reader.read(file);
  if (r.text === null) {
    if (r.error === null) problems.push(`${file}: not found`);
    return null;
  }
  const tokens = tokenizeNginx(r.text);
  let pos = 0;
  // One block's directives; includes are spliced in place.
  const block = (nesting: number): NginxDirective[] => {
    const list: NginxDirective[] = [];
    let words: Array<{ v: string; line: number }> = [];
    while (pos < tokens.length) {
      const tk = tokens[pos++];
      if (tk.t === 'word') {
        words.push(tk);
        continue;
      }
      if (tk.t === '}') {
        if (words.length) problems.push(`${file}:${words[0].line}: a directive has no ";" before "}"`);
        if (nesting === 0) problems.push(`${file}:${tk.line}: unexpected "}"`);
        else return list;
        words = [];
        continue;
      }
      if (words.length === 0) {
        if (tk.t === '{') problems.push(`${file}:${tk.line}: block without a directive`);
        continue;
      }
      const d: NginxDirective = { name: words[0].v, args: words.slice(1).map((w) => w.v), file, line: words[0].line };
      words = [];
      if (tk.t === '{') {
        if (nesting >= MAX_NESTING) {
          problems.push(`${file}:${d.line}: blocks nested more than ${MAX_NESTING} deep; the rest of the file was not read`);
          pos = tokens.length;
          return list;
        }
        d.block = block(nesting + 1);
        list.push(d);
        continue;
      }
      if (d.name === 'include' && d.args.length === 1) {
        if (depth >= MAX_DEPTH) {
          problems.push(`${file}:${d.line}: includes nested more than ${MAX_DEPTH} deep; this one was not read`);
          continue;
        }
        const files = reader.glob(d.args[0], prefix);
        if (!files.length && !/[*?[]/.test(d.args[0])) problems.push(`${file}:${d.line}: the file this include names was not found`);
        for (const f of files) list.push(...(parseFile(reader, f, prefix, depth + 1, problems) ?? []));
        continue;
      }
      list.push(d);
    }
    if (words.length) problems.push(`${file}:${words[0].line}: a directive has no ending ";"`);
    if (nesting > 0) problems.push(`${file}: a block is not closed ("}" missing at the end)`);
    return list;
  };
  return block(0);
}

/** The directives named `name` in a block (not in nested blocks). */
export function directivesIn(list: readonly NginxDirective[] | undefined, name: string): NginxDirective[] {
  return (list ?? []).filter((d) => d.name === name);
}

/** The last directive named `name` in a block: nginx refuses most duplicates, and the last one is what a reader would edit. */
export function lastIn(list: readonly NginxDirective[] | undefined, name: string): NginxDirective | undefined {
  const all = directivesIn(list, name);
  return all[all.length - 1];
}

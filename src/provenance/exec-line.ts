/**
 * A unit's ExecStart= command line split into words as systemd does (man systemd.service, "Command
 * lines"; src/basic/extract-word.c with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE): words separated by
 * blanks, "double" and 'single' quotes, `\` escapes; `$NAME` expands to the variable's value split
 * at whitespace into several words, `${NAME}` to its whole value as one word; `$$` is a `$`. The
 * prefixes `@-:+!` before the executable are dropped. Each word remembers which variable it came
 * from, so a flag found in `$OPTIONS` is traced to the environment file that set it.
 *
 * A character loop, not a RegExp over the host's text.
 */

/** One word of the command line, and the variable it came from (null: written in the unit itself). */
export interface ExecWord {
  word: string;
  fromVar: string | null;
}

const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isVarChar = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '_';

/** Words read at most from one line (with its variables expanded): a bound for a hostile unit. */
const MAX_WORDS = 4096;

/** Splits a value at whitespace, as `$NAME` expands (empty words dropped). */
function splitBlanks(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const c of value) {
    if (isBlank(c)) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/**
 * The words of `line` with `env` applied. An unset `$NAME` expands to nothing (systemd ≥ 245 logs
 * it); `${NAME}` unset to an empty word.
 * @example splitExecLine('/usr/sbin/dockerd -H fd:// $DOCKER_OPTS', new Map([['DOCKER_OPTS', '--default-ulimit nofile=1024:2048']]))
 */
export function splitExecLine(line: string, env: ReadonlyMap<string, string>): ExecWord[] {
  const out: ExecWord[] = [];
  let cur = '';
  let has = false;
  let i = 0;
  const n = line.length;
  // Prefixes of the executable (man systemd.service, table "Special executable prefixes").
  while (i < n && isBlank(line[i])) i++;
  while (i < n && '@-:+!'.includes(line[i])) i++;
  const flush = () => {
    if (has) out.push({ word: cur, fromVar: null });
    cur = '';
    has = false;
  };
  while (i < n && out.length < MAX_WORDS) {
    const c = line[i];
    if (isBlank(c)) {
      flush();
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      has = true;
      i++;
      while (i < n && line[i] !== c) {
        if (line[i] === '\\' && i + 1 < n && c === '"') {
          cur += line[i + 1];
          i += 2;
          continue;
        }
        cur += line[i++];
      }
      i++;
      continue;
    }
    if (c === '\\' && i + 1 < n) {
      cur += line[i + 1];
      has = true;
      i += 2;
      continue;
    }
    if (c === '$' && line[i + 1] === '$') {
      cur += '$';
      has = true;
      i += 2;
      continue;
    }
    if (c === '$' && line[i + 1] === '{') {
      const end = line.indexOf('}', i + 2);
      if (end > 0) {
        const name = line.slice(i + 2, end);
        cur += env.get(name) ?? '';
        has = true;
        i = end + 1;
        continue;
      }
    }
    if (c === '$' && i + 1 < n && isVarChar(line[i + 1]) && !has) {
      // $NAME alone as a word: its value split into words (a $NAME inside a word stays literal).
      let j = i + 1;
      while (j < n && isVarChar(line[j])) j++;
      if (j >= n || isBlank(line[j])) {
        const name = line.slice(i + 1, j);
        for (const w of splitBlanks(env.get(name) ?? '')) out.push({ word: w, fromVar: name });
        i = j;
        continue;
      }
    }
    cur += c;
    has = true;
    i++;
  }
  flush();
  return out.slice(0, MAX_WORDS);
}

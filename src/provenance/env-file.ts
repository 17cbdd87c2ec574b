/**
 * Environment files as systemd reads them for EnvironmentFile= (man systemd.exec; src/basic/env-file.c
 * parse_env_file_internal), and as /etc/default/* and /etc/sysconfig/* are written for it and for
 * init scripts: `KEY=VALUE` lines, an optional `export `, values in "double" or 'single' quotes or
 * bare, `\` escapes and line continuation, comments on lines starting with `#` or `;`.
 *
 * A character loop, not a RegExp over the host's text: the file is whatever its owner wrote.
 */

/** One assignment: the variable, its value after unquoting, where its line starts. */
export interface EnvAssignment {
  key: string;
  value: string;
  file: string;
  /** 1-based line of the key. */
  line: number;
}

/** Most assignments kept from one file: a real one has a handful. */
const MAX_ASSIGNMENTS = 10_000;

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r';
const isKeyChar = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '_';

/**
 * Parses an environment file. Lines that are not assignments are skipped, as systemd skips them
 * (with a warning); a later assignment of a key wins when applied (see envFromFiles).
 * @example parseEnvFile('OPTIONS="--default-ulimit nofile=1024:2048"\n', '/etc/sysconfig/docker')[0].value
 */
export function parseEnvFile(text: string, file: string): EnvAssignment[] {
  const out: EnvAssignment[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n && out.length < MAX_ASSIGNMENTS) {
    // Start of a line: leading blanks, then a comment, an assignment or something skipped.
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    const startLine = line;
    if (text[i] === '\n') {
      i++;
      line++;
      continue;
    }
    if (text[i] === '#' || text[i] === ';') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    let keyStart = i;
    while (i < n && isKeyChar(text[i])) i++;
    if (text.slice(keyStart, i) === 'export' && i < n && isSpace(text[i])) {
      while (i < n && isSpace(text[i])) i++;
      keyStart = i;
      while (i < n && isKeyChar(text[i])) i++;
    }
    const key = text.slice(keyStart, i);
    while (i < n && isSpace(text[i])) i++;
    if (key === '' || text[i] !== '=') {
      // Not an assignment: skip to the end of the line.
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    i++; // '='
    while (i < n && isSpace(text[i])) i++;
    let value = '';
    let pendingSpace = '';
    while (i < n && text[i] !== '\n') {
      const c = text[i];
      if (c === '"' || c === "'") {
        value += pendingSpace;
        pendingSpace = '';
        i++;
        while (i < n && text[i] !== c) {
          if (c === '"' && text[i] === '\\' && i + 1 < n) {
            i++;
            if (text[i] === '\n') line++;
            else value += text[i];
            i++;
            continue;
          }
          if (text[i] === '\n') line++;
          value += text[i++];
        }
        i++; // closing quote (or the end of the text)
        continue;
      }
      if (c === '\\' && i + 1 < n) {
        value += pendingSpace;
        pendingSpace = '';
        if (text[i + 1] === '\n') line++;
        else value += text[i + 1];
        i += 2;
        continue;
      }
      if (isSpace(c)) {
        pendingSpace += c; // trailing blanks of a bare value are dropped
        i++;
        continue;
      }
      value += pendingSpace + c;
      pendingSpace = '';
      i++;
    }
    out.push({ key, value, file, line: startLine });
  }
  return out;
}

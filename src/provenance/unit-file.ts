/**
 * The systemd configuration syntax (man systemd.syntax), shared by unit files, drop-ins and
 * system.conf: `[Section]`, `Key=Value`, full-line comments starting with `#` or `;`, and a
 * trailing backslash continuing the line (the pieces are joined with a space).
 */
import { ParseError } from '../probe/read-file.js';

/** One `Key=Value` assignment, where it was written. */
export interface UnitAssignment {
  section: string;
  key: string;
  /** Trimmed; "" is an empty assignment (it resets a list or a limit to its default). */
  value: string;
  file: string;
  /** 1-based line of the key (the first line of a continued value). */
  line: number;
}

/**
 * Parses systemd's INI dialect. A line that is neither a section, a comment nor `Key=Value` is
 * malformed; systemd warns and ignores it, we refuse the file so the reader names it.
 * @example parseUnitFile('[Service]\nLimitNOFILE=4096\n', 'x.service')[0].value === '4096'
 */
export function parseUnitFile(text: string, file: string): UnitAssignment[] {
  const out: UnitAssignment[] = [];
  const lines = text.split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i].replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    // Continuations: the value goes on while a line ends in a backslash (src/shared/conf-parser.c).
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i].replace(/\r$/, '').trim();
      // Comment lines inside a continuation are skipped, as conf-parser.c does.
      if (next.startsWith('#') || next.startsWith(';')) continue;
      line = line.slice(0, -1) + ' ' + next;
    }
    if (line.endsWith('\\')) line = line.slice(0, -1);
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new ParseError(file, lineNo, 'unterminated section header');
      section = line.slice(1, -1);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ParseError(file, lineNo, 'expected Key=Value');
    out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), file, line: lineNo });
  }
  return out;
}

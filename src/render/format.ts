/**
 * Text helpers shared by the terminal renderers: ANSI styles, address formatting, word wrap and
 * aligned tables. No dependency: a terminal report must work on a bare server.
 */
import { terminalSafe } from '../safety/terminal.js';

/** The only styles sockdoc uses (SGR codes, ECMA-48 §8.3.117): nothing a 16-colour terminal lacks. */
export type Style = 'red' | 'yellow' | 'cyan' | 'green' | 'dim' | 'bold' | 'redBold';

const SGR: Record<Style, string> = {
  red: '31',
  yellow: '33',
  cyan: '36',
  green: '32',
  dim: '2',
  bold: '1',
  redBold: '1;31',
};

/** Applies a style, or returns the text untouched: colour off must mean not one escape byte. */
export type Painter = (style: Style | null, text: string) => string;

/** The painter for colour off: one function, so `table` can recognise it and skip the styles. */
const plain: Painter = (_style, text) => text;

export function painter(color: boolean): Painter {
  if (!color) return plain;
  return (style, text) => (style === null || text === '' ? text : `\x1b[${SGR[style]}m${text}\x1b[0m`);
}

/** Strips SGR sequences: widths are measured on what the eye sees. */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** "127.0.0.1:80", "[::]:8889": brackets keep the port readable after an IPv6 address (RFC 3986 §3.2.2). */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** "37482/server" as netstat -p prints owners; "37482" when the process was not seen. */
export function pidName(pid: number, name: string | null | undefined): string {
  return name ? `${pid}/${name}` : String(pid);
}

/**
 * A percentage for humans, rounded like the findings' evidence ("85%" for 870/1024), but never
 * "100%" short of the limit nor "0%" above nothing: "99%", "0.4%".
 */
export function percent(ratio: number): string {
  const p = ratio * 100;
  if (p > 0 && p < 1) return `${p.toFixed(1)}%`;
  const r = Math.round(p);
  return `${r >= 100 && p < 100 ? 99 : r}%`;
}

/** "1.0 s", "500 ms". */
export function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/**
 * Greedy word wrap to `width` characters. Paragraph breaks (blank lines) and explicit newlines are
 * kept; a word longer than the width (a path, a URL) gets a line of its own, unbroken, so it can
 * still be copied.
 */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(10, width);
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    const words = paragraph.split(/\s+/).filter(Boolean);
    if (words.length === 0) {
      out.push('');
      continue;
    }
    let line = '';
    for (const word of words) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= w) line += ' ' + word;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out;
}

/** Packs items (already short, e.g. "key=value") into lines of at most `width`, separated by `sep`. */
export function pack(items: string[], width: number, sep = '  '): string[] {
  const out: string[] = [];
  let line = '';
  for (const item of items) {
    if (line === '') line = item;
    else if (line.length + sep.length + item.length <= width) line += sep + item;
    else {
      out.push(line);
      line = item;
    }
  }
  if (line !== '') out.push(line);
  return out;
}

export interface Column<R> {
  header: string;
  /** Numbers read best right-aligned, so their digits line up. */
  align?: 'left' | 'right';
  cell: (row: R) => string;
  /** Style for a cell, applied after padding so widths stay right. */
  style?: (row: R) => Style | null;
  /** The cells come escaped already (terminalSafe, or text sockdoc makes: numbers, state names): not escaped again. */
  escaped?: boolean;
}

/**
 * Rows a table reads by index: an array, or a cursor that fills one reused object per call (the
 * million rows of `sockdoc sockets` without an object each). A cursor's row is read before the
 * next call only.
 */
export interface RowsAt<R> {
  readonly length: number;
  at(k: number): R;
}

function rowsAt<R>(rows: readonly R[]): RowsAt<R> {
  return { length: rows.length, at: (k) => rows[k] };
}

/**
 * An aligned table: a dim header row and one line per row, two spaces between columns, no trailing
 * spaces. The last column is never padded (it may be long: process lists, paths).
 */
export function table<R>(rows: readonly R[], columns: readonly Column<R>[], paint: Painter, indent = ''): string[] {
  const lines: string[] = [];
  const out: string[] = [];
  for (const _ of tableLines(rowsAt(rows), columns, paint, indent, out)) {
    lines.push(out.join(''));
    out.length = 0;
  }
  return lines;
}

/** The same table as one string, each line ending in "\n". */
export function tableText<R>(rows: readonly R[], columns: readonly Column<R>[], paint: Painter, indent = ''): string {
  return [...tableChunks(rowsAt(rows), columns, paint, indent)].join('');
}

/**
 * The table of tableText in pieces of about `linesPerChunk` lines, made as they are asked for: a
 * writer that waits for its reader keeps one piece in memory, whatever the number of rows (the
 * cells are made twice, once to measure the columns and once to lay them out, rather than held).
 * Lines are joined a few thousand at a time: one join over a million pieces measured 3x slower in
 * Node 20 than joining chunks. `cellWidths`: the widest (escaped) cell of each column, when the
 * caller can tell it without making the cells; the measuring pass is then skipped.
 */
export function* tableChunks<R>(rows: RowsAt<R>, columns: readonly Column<R>[], paint: Painter, indent = '', linesPerChunk = 4096, cellWidths?: readonly number[]): Generator<string> {
  const out: string[] = [];
  let lines = 0;
  for (const _ of tableLines(rows, columns, paint, indent, out, cellWidths)) {
    out.push('\n');
    if (++lines >= linesPerChunk) {
      yield out.join('');
      out.length = 0;
      lines = 0;
    }
  }
  if (out.length > 0) yield out.join('');
}

/** Runs of spaces, shared: padding is a piece of its own, not a copy of every cell. */
function spaces(cache: string[], n: number): string {
  return (cache[n] ??= ' '.repeat(n));
}

/**
 * Appends each line of the table to `out` as pieces (cells, shared padding), then yields, and the
 * caller may empty `out`. Joining pieces copies every byte once; building lines by concatenation
 * made a rope node per cell and a flattening copy per line. Relies on `paint(null, text)` returning
 * `text`, as every Painter from `painter` does.
 */
function* tableLines<R>(rows: RowsAt<R>, columns: readonly Column<R>[], paint: Painter, indent: string, out: string[], cellWidths?: readonly number[]): Generator<void> {
  const n = columns.length;
  const widths = columns.map((c, i) => Math.max(c.header.length, cellWidths?.[i] ?? 0));
  // Cells hold host text (process names, addresses from a capture): escaped, so a newline cannot split a row.
  for (let r = 0; r < (cellWidths ? 0 : rows.length); r++) {
    const row = rows.at(r);
    for (let i = 0; i < n; i++) {
      const len = terminalSafe(columns[i].cell(row)).length;
      if (len > widths[i]) widths[i] = len;
    }
  }
  const pad: string[] = [];
  const styled = paint !== plain;
  // r = -1 is the header.
  for (let r = -1; r < rows.length; r++) {
    const row = r < 0 ? undefined : rows.at(r);
    const start = out.length;
    let last = '';
    if (indent !== '') out.push(indent);
    for (let i = 0; i < n; i++) {
      const c = columns[i];
      const v = row === undefined ? c.header : c.escaped ? c.cell(row) : terminalSafe(c.cell(row));
      const style = !styled ? null : row === undefined ? 'dim' : c.style ? c.style(row) ?? null : null;
      const fill = widths[i] - v.length;
      if (i > 0) out.push('  ');
      if (style !== null) {
        // Padding painted with its cell, as ever: a red right-aligned number starts at its padding.
        out.push((last = paint(style, c.align === 'right' ? v.padStart(widths[i]) : i === n - 1 ? v : v.padEnd(widths[i]))));
      } else if (c.align === 'right') {
        if (fill > 0) out.push(spaces(pad, fill));
        out.push((last = v));
      } else {
        out.push((last = v));
        if (fill > 0 && i < n - 1) out.push((last = spaces(pad, fill)));
      }
    }
    // No trailing white space: the line ends in it only when its last piece does, or is empty.
    const end = last.charCodeAt(last.length - 1);
    if (last === '' || end === 32 || (end >= 9 && end <= 13) || end >= 0xa0) out.push(out.splice(start).join('').trimEnd());
    yield;
  }
}

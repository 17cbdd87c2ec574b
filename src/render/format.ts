/**
 * Text helpers shared by the terminal renderers: ANSI styles, address formatting, word wrap and
 * aligned tables. No dependency: a terminal report must work on a bare server.
 */

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

export function painter(color: boolean): Painter {
  if (!color) return (_style, text) => text;
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
}

/**
 * An aligned table: a dim header row and one line per row, two spaces between columns, no trailing
 * spaces. The last column is never padded (it may be long: process lists, paths).
 */
export function table<R>(rows: readonly R[], columns: readonly Column<R>[], paint: Painter, indent = ''): string[] {
  const cells = rows.map((r) => columns.map((c) => c.cell(r)));
  // A loop, not Math.max(...spread): a table of 500k sockets would overflow the argument stack.
  const widths = columns.map((c) => c.header.length);
  for (const row of cells) row.forEach((v, i) => (widths[i] = Math.max(widths[i], v.length)));
  const line = (values: string[], styleOf: (i: number) => Style | null): string => {
    const parts = values.map((v, i) => {
      const last = i === values.length - 1;
      const padded = last && columns[i].align !== 'right' ? v : columns[i].align === 'right' ? v.padStart(widths[i]) : v.padEnd(widths[i]);
      return paint(styleOf(i), padded);
    });
    return (indent + parts.join('  ')).trimEnd();
  };
  const out = [line(columns.map((c) => c.header), () => 'dim')];
  rows.forEach((r, ri) => out.push(line(cells[ri], (i) => columns[i].style?.(r) ?? null)));
  return out;
}

/**
 * Cells of the watch screen: host strings made safe and fitted to a width in terminal columns.
 * Process names and addresses come from the host (untrusted): they go through the project's one
 * terminal-escaping function (src/safety/terminal.ts), so control and bidi characters show as
 * visible escapes and never reach the terminal raw.
 */
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';
import { terminalSafe } from '../safety/terminal.js';

/** A host string safe to write to a terminal (terminalSafe). */
export const safe = terminalSafe;

/** Display width in terminal columns (wide CJK = 2, combining marks = 0). */
export function width(text: string): number {
  return stringWidth(text);
}

/** Cut to at most `cols` columns, with … when cut. No escape sequences expected (style after fitting). */
export function fit(text: string, cols: number): string {
  if (cols <= 0) return '';
  if (width(text) <= cols) return text;
  let out = '';
  let w = 0;
  for (const ch of text) {
    const cw = width(ch);
    if (w + cw > cols - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

/** Fit then pad to exactly `cols` columns (right-aligned when `right`). */
export function pad(text: string, cols: number, right = false): string {
  const t = fit(text, cols);
  const gap = ' '.repeat(Math.max(0, cols - width(t)));
  return right ? gap + t : t + gap;
}

/** A styled line cut to `cols` columns, escape sequences kept intact (the terminal must never wrap a row). */
export function clip(line: string, cols: number): string {
  return stringWidth(line) <= cols ? line : sliceAnsi(line, 0, cols) + (line.includes('\x1b[') ? '\x1b[0m' : '');
}

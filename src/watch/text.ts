/**
 * Cells of the watch screen: host strings made safe and fitted to a width in terminal columns.
 * Process names and addresses come from the host (untrusted): control characters (C0, DEL, C1,
 * which could move the cursor or retitle the terminal) are shown as U+FFFD, never written raw.
 */
import sliceAnsi from 'slice-ansi';
import stringWidth from 'string-width';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A host string with every control character replaced: safe to write to a terminal. */
export function safe(text: string): string {
  return text.replace(CONTROL, '\ufffd');
}

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

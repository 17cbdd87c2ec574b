/**
 * THE terminal-escaping function. Every terminal renderer passes every string that came from the host
 * or a capture (process names, cmdlines, paths, unit names, config lines, hostnames, notes built from
 * them) through terminalSafe before laying it out. JSON output needs none of this: JSON.stringify
 * escapes control characters itself.
 *
 * Why: a process may name itself anything (prctl(PR_SET_NAME), argv), and a capture is a stranger's
 * text. Raw, an ESC sequence retitles or clears the terminal (ECMA-48), a newline splits a table row,
 * and a bidi override (Unicode TR9: U+202A–U+202E, U+2066–U+2069) makes "evil.conf‮fnoc.doog" read
 * as something else. Shown escaped, they are visible and inert.
 *
 * @example terminalSafe('a\x1b]0;pwned\x07b') // "a\\x1b]0;pwned\\x07b"
 * @example terminalSafe('x\u202ey') // "x\\u202ey"
 */

// C0 controls (newline and tab included), DEL, C1 controls (0x9b is a one-byte CSI for some
// terminals), the Arabic letter mark, LRM/RLM, line and paragraph separators, bidi embeddings,
// overrides and isolates; and lone surrogates: a byte of a host name that is not UTF-8, kept as
// U+DC80+byte (host-bytes.ts), or a broken UTF-16 string from a capture.
const UNSAFE_CLASS = String.raw`[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]`;
const UNSAFE = new RegExp(UNSAFE_CLASS, 'g');
const UNSAFE_TEST = new RegExp(UNSAFE_CLASS);
/**
 * A host's own backslash where a reader could take it for the start of an escape: before x, u, n,
 * r, t or another backslash, or before a character that is itself escaped. Shown as \\, so the
 * literal path `/tmp/a\x1b` and the path holding an ESC byte never read alike; any other backslash
 * (`C:\path`, `\[`) cannot be mistaken and is left as it is.
 */
const AMBIGUOUS_BACKSLASH = new RegExp(String.raw`\\(?=[xunrt\\]|${UNSAFE_CLASS})`, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/**
 * The escape shown for one unsafe character: \n, \r, \t, \\; \xHH for a byte — a C0 control or
 * DEL (one byte each in UTF-8) or a kept byte that is not UTF-8; \uHHHH for any other character,
 * C1 controls included (U+0085 is the two bytes C2 85: shown as \x85 it would read as the lone byte).
 */
function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16).padStart(2, '0')}`;
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control, separator, bidi character and byte that is not UTF-8 shown as an
 * escape, and a backslash that could be read as one shown as \\; unchanged (same string) when none.
 * A reader decodes it without doubt: \\ is a backslash, \xNN the byte NN, \n \r \t \uNNNN a
 * character, any other backslash itself.
 */
export function terminalSafe(text: string): string {
  if (!UNSAFE_TEST.test(text) && !text.includes('\\')) return text;
  return text.replace(AMBIGUOUS_BACKSLASH, '\\\\').replace(UNSAFE, escapeChar);
}

/**
 * A shell line (a fix line) for the terminal: controls and kept bytes escaped as terminalSafe does,
 * backslashes left as they are. Host words in it came through shellQuote, whose quoting already
 * makes them exact ($'\xNN' for a byte, '...' for a backslash), and the line must paste as written
 * (`printf '[Service]\nLimitNOFILE=65536\n'`).
 */
export function shellLineSafe(line: string): string {
  return UNSAFE_TEST.test(line) ? line.replace(UNSAFE, escapeChar) : line;
}

/** True when terminalSafe would change `text`. */
export function needsEscape(text: string): boolean {
  return UNSAFE_TEST.test(text);
}

// Our own SGR colour sequences (src/render/format.ts painter), kept by terminalGuard; anything else unsafe is escaped.
const GUARD = new RegExp(String.raw`\x1b\[[0-9;]*m|\n|${UNSAFE_CLASS}`, 'g');

/**
 * Last line of defence for a whole rendered terminal report: escapes what terminalSafe would, except
 * newlines (the report's own lines) and SGR colour sequences (the report's own colours). A renderer
 * that forgot terminalSafe on a field still cannot move the cursor, retitle or clear the screen.
 * It cannot tell a host's newline from the report's: that is what terminalSafe per field is for.
 */
export function terminalGuard(rendered: string): string {
  if (!UNSAFE_TEST.test(rendered.replace(/\x1b\[[0-9;]*m|\n/g, ''))) return rendered; // eslint-disable-line no-control-regex
  return rendered.replace(GUARD, (m) => (m === '\n' || m.length > 1 ? m : escapeChar(m)));
}

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
// overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_TEST = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The escape shown for one unsafe character: \n, \r, \t, \xHH below U+0100, \uHHHH above. */
function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control, separator and bidi character shown as an escape; unchanged (same string) when none. */
export function terminalSafe(text: string): string {
  return UNSAFE_TEST.test(text) ? text.replace(UNSAFE, escapeChar) : text;
}

/** True when terminalSafe would change `text`. */
export function needsEscape(text: string): boolean {
  return UNSAFE_TEST.test(text);
}

// Our own SGR colour sequences (src/render/format.ts painter), kept by terminalGuard; anything else unsafe is escaped.
// eslint-disable-next-line no-control-regex
const GUARD = /\x1b\[[0-9;]*m|\n|[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

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

/**
 * THE Prometheus label-value sanitizer. Every label value `sockdoc serve` exports passes through
 * labelSafe (src/render/prometheus.ts applies it to every sample), because most come from the host:
 * program names (comm, set by the process itself with prctl(PR_SET_NAME)), container and pod names,
 * unit names, config paths.
 *
 * Why more than prom-client's escaping: the text format only escapes `\`, `"` and newline
 * (Prometheus exposition formats), so an ESC sequence, a bidi override or another C0/C1 control
 * would reach Prometheus, Alertmanager notifications, Grafana tables and the terminal of whoever
 * curls /metrics raw. Shown as escapes by the same rule as the terminal (terminalSafe), they are
 * visible and inert, and one name reads the same in `sockdoc` and in an alert. A byte of a host name
 * that is not UTF-8 is shown as \xNN, as in the terminal; other lone UTF-16 surrogates (text from a
 * capture's JSON) become U+FFFD so the output is valid UTF-8; a value
 * is cut to `max` code points (default 128) so one process cannot blow up a series' size.
 *
 * @example labelSafe('a\x1b]0;x\x07b') // "a\\x1b]0;x\\x07b"
 * @example labelSafe('x'.repeat(300)).length // 128 ("x" × 127 + "…")
 */
import { terminalSafe } from './terminal.js';
import { escapedByteAt } from './host-bytes.js';

/** The longest label value exported, in code points (an ellipsis ends a cut one). */
export const LABEL_VALUE_MAX = 128;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` made safe for a label value: controls and bidi characters escaped, valid UTF-8, at most `max` code points. */
export function labelSafe(text: string, max = LABEL_VALUE_MAX): string {
  // terminalSafe shows a kept byte (U+DC80+byte) as \xNN and an ambiguous backslash as \\, so two
  // paths that differ only there stay two series; any other lone surrogate becomes U+FFFD.
  const safe = terminalSafe(text.replace(LONE_SURROGATE, (c) => (escapedByteAt(c, 0) === null ? '\ufffd' : c)));
  if (safe.length <= max) return safe;
  const points = Array.from(safe);
  return points.length <= max ? safe : `${points.slice(0, max - 1).join('')}…`;
}

/**
 * ROOT/sockdoc-capture.json: what `sockdoc capture` records about itself, so a report of the
 * capture shows the capture's own time, never the time it is read. Older captures lack it: the
 * time is then unknown (null), and the report says so.
 *
 * Shape: {"format": 1, "takenAt": "2026-11-30T10:11:53.000Z", "sockdoc": "0.1.0"}.
 */
import { readOptionalUnder } from './read-file.js';

export const CAPTURE_META = 'sockdoc-capture.json';

/** The capture time (ISO 8601, UTC), or null when absent, unreadable or not a time. */
export function parseCaptureMeta(text: string): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null; // a damaged file proves no time: unknown, like an absent one
  }
  const t = (doc as { takenAt?: unknown } | null)?.takenAt;
  if (typeof t !== 'string' || Number.isNaN(new Date(t).getTime())) return null;
  return new Date(t).toISOString();
}

export function readCaptureTime(root: string): string | null {
  try {
    // Through the confined reader: a capture is a stranger's tree (a link out of it is refused).
    const text = readOptionalUnder(root, CAPTURE_META, 'config');
    return text === null ? null : parseCaptureMeta(text);
  } catch {
    return null; // unreadable or refused: the time is unknown, nothing else depends on it
  }
}

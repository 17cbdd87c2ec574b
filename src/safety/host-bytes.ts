/**
 * Bytes from the host (a unix socket's sun_path, a name the kernel keeps as bytes) as a JS string
 * without losing any: valid UTF-8 is decoded, and each byte of an invalid sequence becomes the lone
 * surrogate U+DC80+byte (PEP 383 "surrogateescape"; U+DC80–U+DCFF never come out of valid UTF-8).
 * Decoded with U+FFFD instead, /tmp/a\xff and /tmp/a\xfe would be one path in every report.
 *
 * The terminal escape (terminal.ts) shows such a byte as \xNN, the shell quote (shell-quote.ts)
 * writes it back as the byte ($'\xNN'), the label escape (label-value.ts) as \xNN, and JSON keeps
 * it as the escaped surrogate "\udcNN" (docs/json-schema.md), from which the byte is exact.
 */
const utf8 = new TextDecoder('utf-8');

/** The code point a valid UTF-8 sequence at `i` encodes and its length, or null (WHATWG Encoding, UTF-8 decoder). */
function sequenceAt(b: Uint8Array, i: number, end: number): [number, number] | null {
  const c = b[i];
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && b[i + k] >= lo && b[i + k] <= hi;
  if (c >= 0xc2 && c <= 0xdf && cont(1)) return [((c & 0x1f) << 6) | (b[i + 1] & 0x3f), 2];
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    if (cont(1, lo, hi) && cont(2)) return [((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f), 3];
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    if (cont(1, lo, hi) && cont(2) && cont(3)) return [((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f), 4];
  }
  return null;
}

/**
 * Node's Buffer decodes a slice natively through utf8Slice (what toString('utf8', a, b) ends in,
 * without its argument handling): 10x faster than TextDecoder per short string, and a socket dump
 * has one name per bound or accepted socket (measured: 0.7 against 10 ms for 5,000 names).
 */
type Utf8Sliceable = Uint8Array & { utf8Slice?: (start: number, end: number) => string };

/** Bytes [start, end) of `bytes` as text, invalid UTF-8 bytes kept as U+DC80+byte. */
export function hostText(bytes: Utf8Sliceable, start = 0, end = bytes.length): string {
  // Nearly every name is valid UTF-8: decoded natively, and only a name that decoded to a U+FFFD
  // (an invalid byte, or a real U+FFFD) is decoded again byte by byte.
  const fast = typeof bytes.utf8Slice === 'function' ? bytes.utf8Slice(start, end) : utf8.decode(bytes.subarray(start, end));
  if (!fast.includes('\ufffd')) return fast;
  const view = bytes.subarray(start, end);
  let out = '';
  for (let i = 0; i < view.length; ) {
    if (view[i] < 0x80) {
      out += String.fromCharCode(view[i++]);
      continue;
    }
    const seq = sequenceAt(view, i, view.length);
    if (seq) {
      out += String.fromCodePoint(seq[0]);
      i += seq[1];
    } else out += String.fromCharCode(0xdc00 + view[i++]);
  }
  return out;
}

/** A U+DC80–U+DCFF lone surrogate (not the second half of a pair) at `i` of `text`: the byte it keeps, else null. */
export function escapedByteAt(text: string, i: number): number | null {
  const c = text.charCodeAt(i);
  if (c < 0xdc80 || c > 0xdcff) return null;
  const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
  return prev >= 0xd800 && prev <= 0xdbff ? null : c - 0xdc00;
}

/** The bytes `text` stands for: hostText's inverse (a kept byte is written back as itself). */
export function hostBytes(text: string): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const byte = escapedByteAt(text, i);
    if (byte === null) continue;
    parts.push(Buffer.from(text.slice(from, i), 'utf8'), Buffer.from([byte]));
    from = i + 1;
  }
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * Long outputs written as bytes (UTF-8), not as strings: `sockdoc sockets` at 100k sockets is 100k
 * lines of ~10 cells. Made as strings, every number became a string, every line a join of pieces,
 * and every piece was encoded to UTF-8 again by the stream. Here a number is written as its digits,
 * and text rows share (an address, a process's name, a state) is encoded once and copied.
 *
 * @example
 * const w = new ByteWriter(64 * 1024);
 * const name = textPiece('nginx');
 * w.bytes(name.bytes); w.byte(0x20); w.uint(8080); w.byte(0x0a);
 * stream.write(w.take());
 */

/** Text encoded once: its UTF-8 bytes, and its length in UTF-16 code units (what a column's width counts). */
export interface TextPiece {
  bytes: Uint8Array;
  length: number;
}

export function textPiece(text: string): TextPiece {
  return { bytes: Buffer.from(text, 'utf8'), length: text.length };
}

/** Decimal digits of a non-negative integer (String(n).length without the string). */
export function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  let d = 6;
  for (let p = 1000000; n >= p && d < 17; p *= 10) d++;
  return d;
}

const SPACE = 0x20;

export class ByteWriter {
  private buf: Buffer;
  /** Bytes written into `buf` so far. */
  pos = 0;

  /** @param size bytes of each piece's buffer (grown when one piece needs more). */
  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    const buf = this.buf;
    const at = this.pos;
    // A loop beats TypedArray.set for the few bytes of a cell.
    if (n <= 24) for (let j = 0; j < n; j++) buf[at + j] = b[j];
    else buf.set(b, at);
    this.pos = at + n;
  }

  /** The digits of a non-negative integer (below 2^53), as String(n) writes them. */
  uint(n: number): void {
    const d = digitCount(n);
    this.room(d);
    const buf = this.buf;
    let at = this.pos + d;
    this.pos = at;
    if (n < 0x80000000) {
      // Small integer arithmetic (nearly every number: ports, queues, fds).
      do {
        const q = (n / 10) | 0;
        buf[--at] = 48 + n - q * 10;
        n = q;
      } while (n > 0);
      return;
    }
    do {
      const q = Math.floor(n / 10);
      buf[--at] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  spaces(n: number): void {
    if (n <= 0) return;
    this.room(n);
    const buf = this.buf;
    const at = this.pos;
    // A loop, not Buffer#fill: a column's padding is a few bytes, and fill is a call into C++ each.
    for (let j = 0; j < n; j++) buf[at + j] = SPACE;
    this.pos = at + n;
  }

  /** The byte at `at` (an offset written before). */
  at(at: number): number {
    return this.buf[at];
  }

  /** Bytes written from `start` on, as text (a line to check or rewrite). */
  textFrom(start: number): string {
    return this.buf.toString('utf8', start, this.pos);
  }

  /** Drops what was written from `start` on (then write it again, changed). */
  rewind(start: number): void {
    this.pos = start;
  }

  /**
   * The bytes written since the last take, in a buffer of their own: the writer starts a new one,
   * so a stream may keep the piece until it is sent.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return out;
  }
}

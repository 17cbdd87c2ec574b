/**
 * gzip for /metrics (Prometheus asks with `Accept-Encoding: gzip`), without compressing the same
 * host text again for every scrape. A scrape's body is the exporter's own few lines (new at every
 * scrape) followed by the host's series (the same for every scrape sharing a snapshot, often
 * hundreds of KB). The host part is deflated once per snapshot; each scrape deflates only its own
 * lines with a sync flush (a byte-aligned, non-final block) and appends the cached part: one
 * deflate stream in ONE gzip member (RFC 1951 §3.2.3, RFC 1952 §2.3), which every client decodes,
 * unlike concatenated members, which some stop reading after the first.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

/** The cacheable part: its bytes' CRC-32 and length, and its raw deflate stream (final block included). */
export interface DeflatedTail {
  raw: Buffer;
  bytes: Buffer;
}

/** Deflates `text` once, to end any number of gzip bodies (gzipBody). */
export function deflateTail(text: string): DeflatedTail {
  const bytes = Buffer.from(text, 'utf8');
  return { raw: deflateRawSync(bytes), bytes };
}

// ID1 ID2, CM = deflate, no flags, MTIME 0 (no time: it is not a file), XFL 0, OS 3 (Unix).
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/**
 * CRC-32 of `bytes` continued from `crc`. An empty buffer leaves it as it is: zlib's crc32() with a
 * NULL buffer (an empty Buffer's backing store) returns 0, its "initial value", not `crc`.
 */
function crcAfter(bytes: Buffer, crc: number): number {
  return bytes.length === 0 ? crc : crc32(bytes, crc);
}

/** A gzip body of `head` followed by the text of `tail`. */
export function gzipBody(head: string, tail: DeflatedTail): Buffer {
  const headBytes = Buffer.from(head, 'utf8');
  const headRaw = deflateRawSync(headBytes, { finishFlush: constants.Z_SYNC_FLUSH });
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crcAfter(tail.bytes, crcAfter(headBytes, 0)), 0);
  // ISIZE: the uncompressed length modulo 2^32.
  trailer.writeUInt32LE((headBytes.length + tail.bytes.length) % 0x1_0000_0000, 4);
  return Buffer.concat([HEADER, headRaw, tail.raw, trailer]);
}

/**
 * True when the request's Accept-Encoding takes gzip (RFC 9110 §12.5.3): `gzip` or `*` listed
 * without q=0. Absent header: identity.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  let gzip: number | null = null;
  let any: number | null = null;
  for (const part of text.split(',')) {
    const [coding, ...params] = part.toLowerCase().split(';');
    const name = coding.trim();
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
    const weight = q ? Number(q[1]) : 1;
    if (name === 'gzip' || name === 'x-gzip') gzip = weight;
    else if (name === '*') any = weight;
  }
  return (gzip ?? any ?? 0) > 0;
}

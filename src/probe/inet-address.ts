/**
 * IP address text shared by the net probes, so that /proc/net/tcp, sock_diag and `ss` name the same
 * socket with the same string (listener keys are compared as strings).
 */
import { endianness } from 'node:os';

/**
 * /proc/net/tcp prints each 32-bit address word with "%08X" of the in-memory (network-order) value,
 * i.e. as a native integer (net/ipv4/tcp_ipv4.c get_tcp4_sock): on little-endian hosts the bytes
 * appear reversed ("0100007F" = 127.0.0.1).
 */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Value of one hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  const l = c | 32; // A-F -> a-f
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Parses `len` hex digits of `text` at `start`; -1 when any is not hex. At most 8 digits (u32). */
export function hexAt(text: string, start: number, len: number): number {
  let v = 0;
  for (let i = start, end = start + len; i < end; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Bytes of a native u32 word in memory order. */
function wordBytes(w: number, out: number[], at: number): void {
  if (LITTLE_ENDIAN) {
    out[at] = w & 0xff;
    out[at + 1] = (w >>> 8) & 0xff;
    out[at + 2] = (w >>> 16) & 0xff;
    out[at + 3] = w >>> 24;
  } else {
    out[at] = w >>> 24;
    out[at + 1] = (w >>> 16) & 0xff;
    out[at + 2] = (w >>> 8) & 0xff;
    out[at + 3] = w & 0xff;
  }
}

/** "0100007F" at `start` -> "127.0.0.1"; null when not hex. */
export function procIPv4At(text: string, start: number): string | null {
  const w = hexAt(text, start, 8);
  if (w < 0) return null;
  const b = [0, 0, 0, 0];
  wordBytes(w, b, 0);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** 32 hex digits (four native words) at `start` -> RFC 5952 text; null when not hex. */
export function procIPv6At(text: string, start: number, groups = new Uint16Array(8)): string | null {
  for (let i = 0; i < 4; i++) {
    const w = hexAt(text, start + i * 8, 8);
    if (w < 0) return null;
    // memory order of the word's bytes, two per group
    if (LITTLE_ENDIAN) {
      groups[2 * i] = ((w & 0xff) << 8) | ((w >>> 8) & 0xff);
      groups[2 * i + 1] = (((w >>> 16) & 0xff) << 8) | (w >>> 24);
    } else {
      groups[2 * i] = w >>> 16;
      groups[2 * i + 1] = w & 0xffff;
    }
  }
  return formatIPv6Groups(groups);
}

/** Distinct addresses remembered per file: beyond this (a host talking to 64k+ peers) caching buys little. */
const CACHE_MAX = 1 << 16;

/**
 * A reader of /proc/net/tcp{,6} address fields that remembers what it formatted: on a busy host
 * most sockets share a few local addresses, and formatting dominates the parse. Make one per file.
 */
export function procAddressReader(family: 4 | 6): (text: string, start: number) => string | null {
  if (family === 4) {
    const cache = new Map<number, string>();
    return (text, start) => {
      const w = hexAt(text, start, 8);
      if (w < 0) return null;
      let s = cache.get(w);
      if (s === undefined) {
        s = procIPv4At(text, start) as string;
        if (cache.size < CACHE_MAX) cache.set(w, s);
      }
      return s;
    };
  }
  const cache = new Map<string, string | null>();
  const groups = new Uint16Array(8);
  return (text, start) => {
    const key = text.slice(start, start + 32);
    let s = cache.get(key);
    if (s === undefined) {
      s = procIPv6At(text, start, groups);
      if (cache.size < CACHE_MAX) cache.set(key, s);
    }
    return s;
  };
}

/** Four network-order bytes -> dotted quad. */
export function formatIPv4Bytes(b: ArrayLike<number>, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** Sixteen network-order bytes -> RFC 5952 text (see formatIPv6Groups). */
export function formatIPv6Bytes(b: ArrayLike<number>, at: number): string {
  const g = new Uint16Array(8);
  for (let i = 0; i < 8; i++) g[i] = (b[at + 2 * i] << 8) | b[at + 2 * i + 1];
  return formatIPv6Groups(g);
}

/**
 * Eight 16-bit groups -> RFC 5952 text: lower-case hex, no leading zeros, the longest run (first
 * on a tie) of two or more zero groups as "::", and v4-mapped addresses as "::ffff:a.b.c.d"
 * (RFC 5952 section 5), since a dual-stack listener sees its IPv4 clients that way.
 */
export function formatIPv6Groups(g: ArrayLike<number>): string {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${g[6] >>> 8}.${g[6] & 0xff}.${g[7] >>> 8}.${g[7] & 0xff}`;
  }
  let best = -1;
  let bestLen = 1; // a single zero group is not compressed (RFC 5952 4.2.2)
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += g[i].toString(16);
  }
  return out;
}

/**
 * Parses IPv6 text as tools print it (inet_ntop: "::1", "fe80::1", "::ffff:127.0.0.1",
 * "::127.0.0.1") into 16 bytes; null when it is not an IPv6 address.
 */
export function parseIPv6Text(text: string): number[] | null {
  let s = text;
  const tailBytes: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    const v4 = parseIPv4Text(s.slice(lastColon + 1));
    if (!v4) return null;
    tailBytes.push(...v4);
    s = s.slice(0, lastColon + 1) + '0:0'; // placeholder groups, replaced below
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const h of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(h)) return null;
      out.push(parseInt(h, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes: number[] = [];
  for (const x of groups) bytes.push(x >> 8, x & 0xff);
  if (tailBytes.length) bytes.splice(12, 4, ...tailBytes);
  return bytes;
}

/** "127.0.0.1" -> 4 bytes; null when not a dotted quad. */
export function parseIPv4Text(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

/**
 * Decimal numbers as the kernel prints them (%d, %u, %lu, %llu: digits only, no sign for unsigned,
 * no "0x", no exponent, no spaces) and within the range the kernel could print. Anything else in a
 * kernel file is malformed input, not a value: Number() would take "1e23", "0x10", " 7" or "".
 */

/** Kernel ranges used by the probes. */
export const RANGE = {
  /** include/linux/threads.h PID_MAX_LIMIT (64-bit). */
  pid: 4194304,
  /** uid_t/gid_t: 32 bits, and (uid_t)-1 means "no id". */
  id: 0xfffffffe,
  /** An int (FDSize: fdt->max_fds). */
  int: 0x7fffffff,
  /** fs/file.c sysctl_nr_open_max: __const_min(INT_MAX, ~(size_t)0 / sizeof(void *)) & -BITS_PER_LONG. */
  nrOpen: 2147483584,
  /** What a JS number holds exactly; u64 counters beyond it are not yet reachable. */
  safe: Number.MAX_SAFE_INTEGER,
} as const;

const UNSIGNED = /^\d{1,20}$/;

/** The unsigned decimal `token` when it is one and ≤ max, else null. */
export function unsignedDecimal(token: string, max: number): number | null {
  if (!UNSIGNED.test(token)) return null;
  const n = Number(token);
  return n <= max ? n : null;
}

/** A u64 as /proc prints it (%llu), ≤ 2^64 - 1; as a JS number (it rounds above 2^53). Null otherwise. */
export function u64Decimal(token: string): number | null {
  if (!UNSIGNED.test(token)) return null;
  // Up to 19 digits is below 2^64 (20 digits): no BigInt for the common case (every counter of every namespace).
  return token.length <= 19 || BigInt(token) <= 0xffffffffffffffffn ? Number(token) : null;
}

/** A signed decimal (%d, %ld) within ±2^63; null otherwise. */
export function signedDecimal(token: string): number | null {
  if (!/^-?\d{1,19}$/.test(token)) return null;
  if (token.length <= 18) return Number(token); // at most 18 digits: within ±2^63
  const b = BigInt(token);
  return b >= -0x8000000000000000n && b <= 0x7fffffffffffffffn ? Number(token) : null;
}

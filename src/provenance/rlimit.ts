/**
 * RLIMIT_NOFILE values as configuration files write them and as /proc/PID/limits shows them.
 * A configured side may be "infinity"; the kernel never shows that for nofile, because
 * setrlimit(RLIMIT_NOFILE) above fs.nr_open fails with EPERM (kernel/sys.c do_prlimit).
 */
import { u64Decimal } from '../probe/kernel-number.js';

export type Rlim = number | 'infinity';

/** A soft:hard pair as a configuration asks for it. */
export interface NofilePair {
  soft: Rlim;
  hard: Rlim;
}

/** A soft:hard pair as a running process has it; null = could not be read. */
export interface Effective {
  soft: number | null;
  hard: number | null;
}

/** "1024:524288", or "65536" when soft == hard. */
export function formatPair(p: NofilePair | Effective): string {
  const s = p.soft ?? '?';
  const h = p.hard ?? '?';
  return s === h ? String(s) : `${s}:${h}`;
}

/** Always "S:H": the form to paste into LimitNOFILE=, prlimit and --ulimit. */
export function formatSH(soft: Rlim | null, hard: Rlim | null): string {
  return `${soft ?? '?'}:${hard ?? '?'}`;
}

export function sameEffective(a: Effective, b: Effective): boolean {
  return a.soft === b.soft && a.hard === b.hard;
}

/**
 * What a configured value becomes when systemd applies it. systemd's setrlimit_closest()
 * (src/basic/rlimit-util.c) retries a refused value clamped to the hard limit the manager itself
 * holds, so `infinity` ends up as that limit (the manager raises its own to fs.nr_open at boot).
 */
export function resolveInfinity(p: NofilePair, ceiling: number | null): { soft: number | null; hard: number | null } {
  const r = (v: Rlim) => (v === 'infinity' ? ceiling : ceiling !== null ? Math.min(v, ceiling) : v);
  return { soft: r(p.soft), hard: r(p.hard) };
}

/** True when a running process's limit is what `configured` yields under a manager holding `ceiling`. */
export function matchesConfigured(actual: Effective, configured: NofilePair, ceilings: Array<number | null>): boolean {
  const candidates = ceilings.length ? ceilings : [null];
  return candidates.some((c) => {
    const r = resolveInfinity(configured, c);
    return r.soft === actual.soft && r.hard === actual.hard;
  });
}

/**
 * Parses a systemd limit value: `N` (soft = hard), `S:H`, either side `infinity`
 * (src/basic/rlimit-util.c rlimit_parse: soft > hard is refused with EILSEQ). null = invalid.
 * @example parseLimitValue('1024:524288') // { soft: 1024, hard: 524288 }
 */
export function parseLimitValue(value: string): NofilePair | null {
  const parts = value.split(':');
  if (parts.length > 2) return null;
  const one = (s: string): Rlim | null => {
    const t = s.trim();
    if (t === 'infinity') return 'infinity';
    // systemd parses rlim_t with safe_atollu: more than 2^64 - 1 is ERANGE, an invalid line.
    return u64Decimal(t);
  };
  const soft = one(parts[0]);
  const hard = parts.length === 2 ? one(parts[1]) : soft;
  if (soft === null || hard === null) return null;
  if (soft !== 'infinity' && hard !== 'infinity' && soft > hard) return null;
  if (soft === 'infinity' && hard !== 'infinity') return null;
  return { soft, hard };
}

/**
 * What systemd's exec child ends up with for a configured value (src/core/execute.c setup_rlimits →
 * setrlimit_closest, src/basic/rlimit-util.c). The child holds the manager's limits and, for the
 * system manager, CAP_SYS_RESOURCE: setrlimit() succeeds as written up to fs.nr_open. A refused
 * value (above fs.nr_open, `infinity`, or any raise of the hard limit without CAP_SYS_RESOURCE)
 * is retried clamped to the manager's own hard limit.
 */
export function appliedBySystemd(p: NofilePair, manager: { hard: number | null; canRaise: boolean | null }, nrOpen: number | null): Effective {
  const asNumber = (v: Rlim) => (v === 'infinity' ? Infinity : v);
  const soft = asNumber(p.soft);
  const hard = asNumber(p.hard);
  const ceiling = manager.canRaise === false ? manager.hard : nrOpen;
  const accepted = hard !== Infinity && (ceiling === null || hard <= ceiling);
  if (accepted) return { soft, hard };
  const clamp = manager.hard;
  if (clamp === null) return { soft: soft === Infinity ? null : soft, hard: null };
  return { soft: Math.min(soft, clamp), hard: Math.min(hard, clamp) };
}

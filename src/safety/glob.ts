/**
 * THE glob matcher for patterns that come from the host (supervisord `[include] files`, shell
 * startup directories, any configuration that names files by wildcard). A pattern is never turned
 * into a RegExp: `*a*a*a…*a*b` beside a long file name makes a backtracking engine explore every
 * way to split the name between the stars (exponential), and the pattern is whatever a local user
 * wrote in their own config. Here matching is the classic two-pointer wildcard algorithm: on a
 * mismatch only the last `*` is retried one character further, so one match costs at most
 * O(name × pattern) steps, and a pattern that needs more characters than the name has is refused
 * before any step.
 *
 * Dialects, because the programs that read these patterns disagree:
 * - `python`: Python's fnmatch.translate (what supervisord's glob.glob uses): `*`, `?`, `[...]`,
 *   `[!...]`; `^` is literal; a backslash is an ordinary character; `[` without a closing `]` is
 *   literal; a range whose ends are reversed (`[z-a]`) matches nothing.
 * - `posix`: fnmatch(3) / glob(7) as glibc and bash read a shell glob: the same plus `\x` escapes
 *   the next character, `[^...]` negates like `[!...]`, and `[:alpha:]`-style classes inside brackets.
 * Both: `*` and `?` match any character (a pattern is matched against one path component), and a
 * bracket expression whose first character (after `!`) is `]` takes it literally.
 *
 * @example globMatch(compileGlob('*.conf', 'python'), 'web.conf') // true
 * @example globMatch(compileGlob('[!.]*', 'python'), '.hidden') // false
 */

export type GlobDialect = 'python' | 'posix';

type Range = readonly [number, number];

/** One pattern element: `*`, `?`, a literal code point, or a bracket expression. */
type Token =
  | { t: 'star' }
  | { t: 'any' }
  | { t: 'lit'; c: number }
  | { t: 'set'; negate: boolean; ranges: Range[]; classes: string[] };

export interface CompiledGlob {
  readonly tokens: readonly Token[];
  /** Characters any match needs (every token but `*`): a shorter name is refused at once. */
  readonly minLength: number;
  readonly hasStar: boolean;
  /** The pattern starts with a literal `.`: only then may it match a hidden name (glob(7), Python's glob). */
  readonly dotFirst: boolean;
  /** The pattern can match nothing (posix: a trailing unescaped backslash, which glibc's fnmatch and bash fail on). */
  readonly never: boolean;
}

/** The POSIX character classes of a bracket expression, as the C locale defines them. */
const CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => CLASSES.alpha(c) || CLASSES.digit(c),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  xdigit: (c) => CLASSES.digit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  cntrl: (c) => c < 32 || c === 127,
  graph: (c) => c > 32 && c < 127,
  print: (c) => c >= 32 && c < 127,
};

/** Code points of a string (a name is at most 255 bytes, so this stays small). */
function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0) as number);
  return out;
}

/**
 * A bracket expression starting after `[` at index i of p: the token and the index after `]`, or
 * null when there is no closing `]` (the `[` is then literal).
 */
function bracket(p: readonly number[], i: number, dialect: GlobDialect): { token: Token; next: number } | null {
  const BANG = 33;
  const CARET = 94;
  const CLOSE = 93;
  const DASH = 45;
  const BACKSLASH = 92;
  let j = i;
  let negate = false;
  if (j < p.length && (p[j] === BANG || (dialect === 'posix' && p[j] === CARET))) {
    negate = true;
    j++;
  }
  const ranges: Array<[number, number]> = [];
  const classes: string[] = [];
  let first = true;
  while (j < p.length) {
    let c = p[j];
    if (c === CLOSE && !first) return { token: { t: 'set', negate, ranges, classes }, next: j + 1 };
    first = false;
    if (dialect === 'posix' && c === 91 && p[j + 1] === 58) {
      // [:name:] inside brackets (POSIX.1 XBD 9.3.5).
      const end = p.indexOf(58, j + 2);
      if (end > 0 && p[end + 1] === 93) {
        const name = String.fromCodePoint(...p.slice(j + 2, end));
        if (CLASSES[name]) {
          classes.push(name);
          j = end + 2;
          continue;
        }
      }
    }
    if (dialect === 'posix' && c === BACKSLASH && j + 1 < p.length) c = p[++j];
    let hi = c;
    if (p[j + 1] === DASH && j + 2 < p.length && p[j + 2] !== CLOSE) {
      hi = p[j + 2];
      j += 2;
      if (dialect === 'posix' && hi === BACKSLASH && j + 1 < p.length) hi = p[++j];
    }
    // A reversed range matches nothing (Python removes it; glibc fails the match for it).
    if (c <= hi) ranges.push([c, hi]);
    j++;
  }
  return null;
}

/**
 * Compiles a pattern (one path component). Consecutive stars are one star: `**` matches what `*`
 * does, and fewer stars are fewer retry points.
 */
export function compileGlob(pattern: string, dialect: GlobDialect): CompiledGlob {
  const p = codePoints(pattern);
  const tokens: Token[] = [];
  let never = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === 42) {
      if (tokens[tokens.length - 1]?.t !== 'star') tokens.push({ t: 'star' });
    } else if (c === 63) tokens.push({ t: 'any' });
    else if (c === 91) {
      const b = bracket(p, i + 1, dialect);
      if (b) {
        tokens.push(b.token);
        i = b.next - 1;
      } else tokens.push({ t: 'lit', c });
    } else if (dialect === 'posix' && c === 92) {
      if (i + 1 < p.length) tokens.push({ t: 'lit', c: p[++i] });
      else never = true;
    } else tokens.push({ t: 'lit', c });
  }
  const first = tokens[0];
  return {
    tokens,
    minLength: tokens.filter((t) => t.t !== 'star').length,
    hasStar: tokens.some((t) => t.t === 'star'),
    dotFirst: first !== undefined && first.t === 'lit' && first.c === 46,
    never,
  };
}

/** Does a single-character token accept code point c? */
function accepts(t: Token, c: number): boolean {
  switch (t.t) {
    case 'any':
      return true;
    case 'lit':
      return t.c === c;
    case 'set': {
      let hit = false;
      for (const [lo, hi] of t.ranges) if (c >= lo && c <= hi) hit = true;
      for (const k of t.classes) if (CLASSES[k](c)) hit = true;
      return hit !== t.negate;
    }
    case 'star':
      return false;
  }
}

/**
 * Does `name` match? Two pointers over the name and the pattern; on a mismatch the last `*` takes
 * one more character and matching resumes after it. Earlier stars never need retrying: whatever
 * they matched, the last star can absorb (glob stars are unanchored wildcards), so this is exact.
 */
export function globMatch(g: CompiledGlob, name: string, stats?: { steps: number }): boolean {
  const s = codePoints(name);
  if (g.never || s.length < g.minLength) return false;
  if (!g.hasStar && s.length !== g.minLength) return false;
  const p = g.tokens;
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (stats) stats.steps++;
    const t = p[pi];
    if (t !== undefined && t.t === 'star') {
      starP = pi++;
      starS = si;
    } else if (t !== undefined && accepts(t, s[si])) {
      pi++;
      si++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else return false;
  }
  while (pi < p.length && p[pi].t === 'star') pi++;
  return pi === p.length;
}

/** True when a path component has a wildcard in this dialect (else it is a plain name). */
export function hasWildcard(component: string, dialect: GlobDialect): boolean {
  const g = compileGlob(component, dialect);
  return g.tokens.some((t) => t.t !== 'lit');
}

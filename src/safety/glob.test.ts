/**
 * The glob matcher against the programs whose patterns it reads: Python's fnmatch (supervisord's
 * [include]) and glibc's fnmatch(3) (shell and C globs), over generated patterns and names; and the
 * adversarial pattern of issue 18 (`*a*a…*b` beside a long name), whose cost is counted in steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { compileGlob, globMatch, type GlobDialect } from './glob.js';

/** A small deterministic generator (mulberry32): the same cases on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATTERN_ATOMS = ['a', 'b', '-', '.', '*', '*', '?', '[', ']', '!', '^', '\\', '[ab]', '[!a]', '[a-c]', '[c-a]', '[]a]', '[-a]', '[a-]', '[!]', '[^a]'];
const NAME_CHARS = ['a', 'b', 'c', '-', '.', '!', '^', ']', '[', '\\'];

function cases(seed: number, count: number): Array<[string, string]> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const out: Array<[string, string]> = [];
  for (let i = 0; i < count; i++) {
    let p = '';
    for (let n = 1 + Math.floor(r() * 5); n > 0; n--) p += pick(PATTERN_ATOMS);
    let s = '';
    for (let n = Math.floor(r() * 6); n > 0; n--) s += pick(NAME_CHARS);
    out.push([p, s]);
  }
  return out;
}

function ours(list: Array<[string, string]>, dialect: GlobDialect): boolean[] {
  return list.map(([p, s]) => globMatch(compileGlob(p, dialect), s));
}

test('python dialect: the same answers as Python fnmatch.fnmatchcase over 3000 generated cases', () => {
  const list = cases(18, 3000);
  const py = spawnSync('python3', ['-c', 'import sys, json, fnmatch\nprint(json.dumps([fnmatch.fnmatchcase(s, p) for p, s in json.load(sys.stdin)]))'], { input: JSON.stringify(list), encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const want = JSON.parse(py.stdout) as boolean[];
  const got = ours(list, 'python');
  const diff = list.filter((_, i) => want[i] !== got[i]).map(([p, s], i) => `${JSON.stringify(p)} vs ${JSON.stringify(s)}: python ${want[i]}`);
  assert.deepEqual(diff, []);
});

test('posix dialect: the same answers as glibc fnmatch(3) without flags over 3000 generated cases', () => {
  const list = cases(19, 3000);
  // glibc's own fnmatch, called through ctypes (0 = match); C locale, so ranges are code point ranges.
  const code = 'import sys, json, ctypes, locale\nlocale.setlocale(locale.LC_ALL, "C")\nf = ctypes.CDLL("libc.so.6").fnmatch\nprint(json.dumps([f(p.encode(), s.encode(), 0) == 0 for p, s in json.load(sys.stdin)]))';
  const py = spawnSync('python3', ['-c', code], { input: JSON.stringify(list), encoding: 'utf8', env: { LC_ALL: 'C', PATH: process.env.PATH } });
  assert.equal(py.status, 0, py.stderr);
  const want = JSON.parse(py.stdout) as boolean[];
  const got = ours(list, 'posix');
  const diff = list.filter((_, i) => want[i] !== got[i]).map(([p, s]) => `${JSON.stringify(p)} vs ${JSON.stringify(s)}`);
  assert.deepEqual(diff, []);
});

test('the examples a reader expects', () => {
  const m = (p: string, s: string, d: GlobDialect = 'python') => globMatch(compileGlob(p, d), s);
  assert.ok(m('*.conf', 'web.conf'));
  assert.ok(!m('*.conf', 'web.conf.bak'));
  assert.ok(m('conf-?.ini', 'conf-1.ini'));
  assert.ok(m('[!.]*', 'x') && !m('[!.]*', '.x'));
  assert.ok(m('[^a]', '^') && !m('[^a]', 'b'), 'python: ^ is literal in brackets');
  assert.ok(!m('[^a]', 'a', 'posix') && m('[^a]', 'b', 'posix'), 'posix: ^ negates as ! does');
  assert.ok(m('\\*', '\\x') && !m('\\*', '*x', 'posix') && m('\\*', '*', 'posix'), 'a backslash escapes in posix only');
  assert.ok(m('[[:digit:]]*', '9lives', 'posix') && !m('[[:digit:]]*', 'lives', 'posix'));
  assert.ok(m('é*', 'été'), 'code points, not bytes');
  assert.ok(compileGlob('.*', 'python').dotFirst && !compileGlob('[.]*', 'python').dotFirst);
});

test('the adversarial pattern of issue 18 costs at most name × pattern steps, not exponential', () => {
  const pattern = `${'*a'.repeat(24)}*b`;
  const g = compileGlob(pattern, 'python');
  for (const len of [64, 128, 255]) {
    const stats = { steps: 0 };
    assert.equal(globMatch(g, 'a'.repeat(len), stats), false);
    assert.ok(stats.steps <= (len + 1) * (g.tokens.length + 1), `${stats.steps} steps for a name of ${len}`);
  }
  // A pattern needing more characters than the name has is refused without a step.
  const long = compileGlob('?'.repeat(300), 'python');
  const stats = { steps: 0 };
  assert.equal(globMatch(long, 'a'.repeat(255), stats), false);
  assert.equal(stats.steps, 0);
  // Many stars are one retry point each, collapsed when adjacent.
  assert.equal(compileGlob('a*****b', 'python').tokens.length, 3);
});

/**
 * One finding as the person on call reads it: severity and title first (what is wrong), then who,
 * the numbers, why, and the fix. Everything after the title hangs on one column so the eye can run
 * down it; fix lines are printed verbatim, never wrapped, so a selection pastes as a command.
 */
import { shellLineSafe, terminalSafe } from '../safety/terminal.js';
import type { Finding, Severity } from '../rules/types.js';
import { findingRef } from '../rules/support/refs.js';
import { hostPort, pack, pidName, wrap, type Painter, type Style } from './format.js';
import { remedyFirst } from './fix-lines.js';
import { groupFindings, groupTitle, WORST_SHOWN, type FindingGroup, type Identities } from './groups.js';

const TAG: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };
export const SEVERITY_STYLE: Record<Severity, Style> = { critical: 'redBold', warning: 'yellow', info: 'cyan' };
const TAG_WIDTH = 8;
const LABEL_WIDTH = 10;

/** "37482/server · [::]:8889": who and where, as much as the finding says. */
export function subjectText(f: Finding): string {
  const s = f.subject;
  const parts: string[] = [];
  if (s.uid !== undefined) parts.push(`uid ${s.uid}${s.user ? ` (${s.user})` : ''}${s.userns !== undefined ? ` in userns ${s.userns}` : ''}`);
  if (s.pid !== undefined) parts.push(pidName(s.pid, s.name));
  if (s.path !== undefined) parts.push(s.path);
  else if (s.address !== undefined && s.port !== undefined) parts.push(hostPort(s.address, s.port));
  else if (s.port !== undefined) parts.push(`port ${s.port}`);
  return parts.join(' · ');
}

/**
 * key=value; strings with spaces or quotes are JSON-quoted so the pair stays one token. Unknown
 * (null) values are left out: "x=?" tells the reader nothing, and the JSON keeps them.
 */
export function evidenceItems(evidence: Finding['evidence']): string[] {
  return Object.entries(evidence).filter(([, v]) => v !== null).map(([k, v]) => {
    if (typeof v === 'string' && (v === '' || /[\s"=]/.test(v))) return `${k}=${JSON.stringify(v)}`;
    return `${k}=${String(v)}`;
  });
}

/** "fd-limit-exhausted@37482 (see [2])" when the linked finding is in this report. */
function relatedItems(f: Finding, indexByRef: ReadonlyMap<string, number>): string[] {
  return (f.related ?? []).map((ref) => {
    const i = indexByRef.get(ref);
    return i === undefined ? ref : `${ref} (see [${i}])`;
  });
}

export interface FindingLayout {
  /** Total line width to fill. */
  width: number;
  /** Width of the widest "[n]" in this report, so titles of [9] and [10] line up. */
  indexWidth: number;
  /** Everything: all evidence, the whole explanation, related links. Default: the short form. */
  verbose?: boolean;
}

/** Abbreviations whose dot ends no sentence. */
const ABBREVIATION = /\b(e\.g|i\.e|etc|vs|cf)\.$/;

/** A paragraph cut into sentences: a dot, ! or ? (maybe closing a quote or parenthesis), then a space. */
export function sentences(text: string): string[] {
  const out: string[] = [];
  for (const piece of text.trim().split(/(?<=[.!?]["')]?)\s+/)) {
    if (out.length && ABBREVIATION.test(out[out.length - 1])) out[out.length - 1] += ' ' + piece;
    else out.push(piece);
  }
  return out.filter((x) => x !== '');
}

/** What the findings printed so far have already said: shared paragraphs and fix lines are said once. */
export interface SaidSoFar {
  /** sentence -> number of the finding that said it */
  sentences: Map<string, number>;
  /** fix command (comment stripped) -> number of the finding that gave it */
  fixes: Map<string, number>;
}

export function newSaidSoFar(): SaidSoFar {
  return { sentences: new Map(), fixes: new Map() };
}

/** The command of a fix line without its trailing "# comment": the same command is given once. */
function fixKey(line: string): string {
  const t = line.trim();
  return t.startsWith('#') ? t : t.replace(/\s+#.*$/, '');
}

/** Short form: this many sentences of why at most, and no more than fit on 2 lines (the first always). */
const SHORT_SENTENCES = 2;
/** Short form: this many fix lines at most (the first commands are the fix; --verbose has them all). */
const SHORT_FIX_LINES = 2;
const SHORT_WHY_LINES = 2;

/** The line itself when it fits, else cut at a word with " …". */
function cutTo(line: string, width: number): string {
  return line.length <= width ? line : cut(line, width);
}

/** A line ending in " …", within the width. */
function cut(line: string, width: number): string {
  return line.length + 2 <= width ? `${line} …` : `${line.slice(0, line.lastIndexOf(' ', width - 2))} …`;
}

/**
 * Lines for finding number `index` (1-based). Short by default: title, one evidence line with the
 * id, one or two sentences of why and the fix; `layout.verbose` gives every evidence item, the
 * whole explanation and the related links. Sentences and fix commands an earlier finding already
 * printed are not printed again (tcp_abort_on_overflow, "not calling accept() fast enough" ...):
 * the reader is pointed at that finding. Fix lines are printed verbatim, never wrapped.
 */
export function renderFinding(
  f: Finding,
  index: number,
  indexByRef: ReadonlyMap<string, number>,
  layout: FindingLayout,
  paint: Painter,
  said: SaidSoFar = newSaidSoFar(),
  group?: FindingGroup,
): string[] {
  const head = `[${index}]`.padEnd(layout.indexWidth) + ' ';
  const contentCol = head.length + TAG_WIDTH + 2;
  const pad = ' '.repeat(contentCol);
  const labelPad = ' '.repeat(contentCol - LABEL_WIDTH);
  const textWidth = Math.max(20, layout.width - contentCol);
  const out: string[] = [];

  // A labelled block: the label once, continuation lines on the content column.
  const block = (label: string, lines: string[], style: Style | null = null): void => {
    lines.forEach((l, i) => out.push(((i === 0 ? labelPad + paint('dim', label.padEnd(LABEL_WIDTH)) : pad) + paint(style, l)).trimEnd()));
  };
  // Every field may hold host text (process names, paths, config lines): escaped before layout.
  const title = wrap(terminalSafe(group ? groupTitle(group) : f.title), textWidth);
  out.push(head + paint(SEVERITY_STYLE[f.severity], TAG[f.severity].padEnd(TAG_WIDTH)) + '  ' + paint('bold', title[0]));
  for (const t of title.slice(1)) out.push(pad + paint('bold', t));

  const evidence = evidenceItems(f.evidence).map(terminalSafe);
  if (group) {
    // The worst few, one line each (their titles carry the numbers); the rest counted.
    block('worst', group.findings.slice(0, WORST_SHOWN).map((m) => cutTo(terminalSafe(m.title), textWidth)));
    const rest = group.findings.length - WORST_SHOWN;
    const places = group.namespaces.map(terminalSafe);
    const more = rest > 0 ? `${rest} more (--verbose)` : '';
    if (places.length > 1) block('in', [cutTo(`${more ? more + '; ' : ''}${places.length} namespaces: ${places.join(', ')}`, textWidth)], 'dim');
    else if (more) block('', [more], 'dim');
  } else if (layout.verbose) {
    const who = terminalSafe(subjectText(f));
    for (const l of pack(who ? [f.id, who] : [f.id], textWidth, ' · ')) out.push(pad + paint('dim', l));
    if (evidence.length) block('evidence', pack(evidence, textWidth));
  } else {
    // The id (for `sockdoc explain ID`) and as much evidence as fits on one line.
    const lines = pack(evidence, textWidth - f.id.length - 3);
    const more = lines.length > 1 ? ' …' : '';
    out.push(pad + paint('dim', f.id + (lines.length ? ' · ' : '')) + (lines[0] ?? '') + paint('dim', more));
  }

  const whyParts: string[] = [];
  const sharedWith = new Set<number>();
  // A per-user finding (inotify: per uid and user namespace) shares text only with findings of the
  // same user: "More in [n]" between two uids would link what the kernel keeps apart.
  const owner = f.subject.uid !== undefined ? `uid ${f.subject.uid}/${f.subject.userns ?? ''}\u0000` : '';
  for (const sentence of sentences(terminalSafe(f.explain))) {
    const earlier = said.sentences.get(owner + sentence);
    if (earlier !== undefined && earlier !== index) {
      sharedWith.add(earlier);
      continue;
    }
    if (!layout.verbose && whyParts.length > 0 && (whyParts.length >= SHORT_SENTENCES || wrap([...whyParts, sentence].join(' '), textWidth).length > 2)) break;
    whyParts.push(sentence);
    said.sentences.set(owner + sentence, index);
  }
  const shared = [...sharedWith].map((n) => `[${n}]`).join(', ');
  if (whyParts.length === 0 && shared) whyParts.push(`as ${shared}`);
  else if (layout.verbose && shared) whyParts.push(`(More in ${shared}.)`);
  if (whyParts.length) {
    let lines = wrap(whyParts.join(' '), textWidth);
    // Short form: two lines of why at most; the rest is one --verbose away.
    // A warning or info gets one line: the critical findings carry the story.
    const most = f.severity === 'critical' && !group ? SHORT_WHY_LINES : 1;
    if (!layout.verbose && lines.length > most) lines = [...lines.slice(0, most - 1), cut(lines[most - 1], textWidth)];
    block('why', lines);
  }

  const fixLines: string[] = [];
  const fixShared = new Set<number>();
  // Short form: the remedy first, the commands that only count after it (src/render/fix-lines.ts);
  // --verbose keeps the rule's order.
  for (const entry of layout.verbose ? f.fix : remedyFirst(f.fix)) {
    const lines = entry.split('\n');
    const key = owner + fixKey(entry);
    const earlier = said.fixes.get(key);
    if (earlier !== undefined && earlier !== index && lines.length === 1) {
      fixShared.add(earlier);
      continue;
    }
    said.fixes.set(key, index);
    fixLines.push(...lines.map(shellLineSafe));
  }
  const onlyComments = fixLines.every((l) => l.trimStart().startsWith('#'));
  if (fixShared.size && (layout.verbose || onlyComments)) fixLines.unshift(`# and the fix of ${[...fixShared].map((n) => `[${n}]`).join(', ')}`);
  // A group's block gives the first step for its worst member; the rest are one --verbose away.
  // What is left out is said, never dropped silently: the remedy may be the step after the first checks.
  // What is left out is said in the header, never dropped silently (the remedy may come after the
  // first checks); the header keeps the report's line budget.
  let left = 0;
  if (!layout.verbose) {
    const keep = group ? 1 : SHORT_FIX_LINES;
    left = fixLines.slice(keep).filter((l) => !l.trimStart().startsWith('#')).length;
    fixLines.splice(keep);
  }
  const more = left > 0 ? `${left} more: --verbose` : '';
  // Each fix line on a line of its own, nothing before it but spaces: a triple-click pastes a command.
  const forWhom = group ? ` (for ${subjectText(f) || 'the first'}; the others alike${more ? `; ${more}` : ''})` : more ? ` (${more})` : '';
  if (fixLines.length) block('fix', [(fixLines.length > 1 ? 'copy-paste, in order' : 'copy-paste') + forWhom + ':'], 'dim');
  for (const line of fixLines) out.push((pad + paint(line.trimStart().startsWith('#') ? 'dim' : null, line)).trimEnd());
  if (layout.verbose) {
    const related = relatedItems(f, indexByRef).map(terminalSafe);
    // Commas stay at the end of each item, so a wrapped list still reads as a list.
    if (related.length) block('related', pack(related.map((r, i) => (i < related.length - 1 ? r + ',' : r)), textWidth, ' '), 'dim');
  }
  return out;
}

/**
 * A consequence already told by the finding it follows from: one line, not a second block
 * ("the same SYN problem twice"). Only in the short form; --verbose prints every finding whole.
 * A group of consequences ("30 namespaces: listen-overflows") folds the same way, into one line.
 */
function foldedLine(f: Finding, index: number, causes: number[], layout: FindingLayout, paint: Painter, group?: FindingGroup): string[] {
  const head = `[${index}]`.padEnd(layout.indexWidth) + ' ';
  const pad = ' '.repeat(head.length + TAG_WIDTH + 2);
  const from = causes.length > WORST_SHOWN ? `${causes.slice(0, WORST_SHOWN).map((n) => `[${n}]`).join(', ')} …` : causes.map((n) => `[${n}]`).join(', ');
  const line = group ? `${groupTitle(group)} — follows from ${from}` : `${f.title} — follows from ${from} (${f.id})`;
  const text = wrap(terminalSafe(line), Math.max(20, layout.width - pad.length));
  return [head + paint(SEVERITY_STYLE[f.severity], TAG[f.severity].padEnd(TAG_WIDTH)) + '  ' + text[0], ...text.slice(1).map((t) => pad + t)];
}

/** Findings that are consequences, folded into a line when what they follow from is in the report. */
const FOLDABLE = new Set(['syn-queue-pressure', 'listen-overflows']);

/**
 * All findings, in the order given (most severe first: the rules sort them), blank line between.
 * Short form: findings of one group (src/render/groups.ts) are one numbered block (the group, its
 * worst members, the fix of the worst); --verbose prints every finding whole.
 */
export function renderFindings(findings: readonly Finding[], width: number, paint: Painter, verbose = false, identities?: Identities): string[] {
  // Units: each finding alone (--verbose) or each group; every member's ref points at its unit's number.
  const units: FindingGroup[] = verbose ? findings.map((f) => groupFindings([f])[0]) : groupFindings(findings, identities);
  const indexByRef = new Map<string, number>();
  units.forEach((u, i) => {
    for (const f of u.findings) {
      const ref = findingRef(f);
      if (!indexByRef.has(ref)) indexByRef.set(ref, i + 1);
    }
  });
  const layout: FindingLayout = { width, indexWidth: `[${units.length}]`.length, verbose };
  const said = newSaidSoFar();
  const out: string[] = [];
  units.forEach((u, i) => {
    const f = u.findings[0];
    const group = u.findings.length > 1 ? u : undefined;
    const causes = new Set<number>();
    if (FOLDABLE.has(f.id) && !verbose) {
      for (const m of u.findings) {
        for (const r of m.related ?? []) {
          const n = indexByRef.get(r);
          if (n !== undefined && n !== i + 1 && !FOLDABLE.has(units[n - 1].id)) causes.add(n);
        }
      }
    }
    const folded = causes.size > 0;
    if (i > 0 && (!folded || !out[out.length - 1].includes('— follows from'))) out.push('');
    if (folded) out.push(...foldedLine(f, i + 1, [...causes].sort((a, b) => a - b), layout, paint, group));
    else out.push(...renderFinding(f, i + 1, indexByRef, layout, paint, said, group));
  });
  return out;
}

/**
 * One finding as the person on call reads it: severity and title first (what is wrong), then who,
 * the numbers, why, and the fix. Everything after the title hangs on one column so the eye can run
 * down it; fix lines are printed verbatim, never wrapped, so a selection pastes as a command.
 */
import { terminalSafe } from '../safety/terminal.js';
import type { Finding, Severity } from '../rules/types.js';
import { findingRef } from '../rules/support/refs.js';
import { hostPort, pack, pidName, wrap, type Painter, type Style } from './format.js';

const TAG: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };
export const SEVERITY_STYLE: Record<Severity, Style> = { critical: 'redBold', warning: 'yellow', info: 'cyan' };
const TAG_WIDTH = 8;
const LABEL_WIDTH = 10;

/** "37482/server · [::]:8889": who and where, as much as the finding says. */
export function subjectText(f: Finding): string {
  const s = f.subject;
  const parts: string[] = [];
  if (s.pid !== undefined) parts.push(pidName(s.pid, s.name));
  if (s.address !== undefined && s.port !== undefined) parts.push(hostPort(s.address, s.port));
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
}

/**
 * Lines for finding number `index` (1-based). `sameAs`: the number of an earlier finding with the
 * same id, whose explanation this one shares (rules explain by template): five processes out of
 * fds then read as five short blocks, not five copies of one paragraph. Fix lines are always
 * printed in full, since they name this finding's pid or port.
 */
export function renderFinding(
  f: Finding,
  index: number,
  indexByRef: ReadonlyMap<string, number>,
  layout: FindingLayout,
  paint: Painter,
  sameAs?: number,
): string[] {
  const head = `[${index}]`.padEnd(layout.indexWidth) + ' ';
  const contentCol = head.length + TAG_WIDTH + 2;
  const pad = ' '.repeat(contentCol);
  const labelPad = ' '.repeat(contentCol - LABEL_WIDTH);
  const textWidth = Math.max(20, layout.width - contentCol);
  const out: string[] = [];

  // Every field may hold host text (process names, paths, config lines): escaped before layout.
  const title = wrap(terminalSafe(f.title), textWidth);
  out.push(head + paint(SEVERITY_STYLE[f.severity], TAG[f.severity].padEnd(TAG_WIDTH)) + '  ' + paint('bold', title[0]));
  for (const t of title.slice(1)) out.push(pad + paint('bold', t));
  const who = terminalSafe(subjectText(f));
  for (const l of pack(who ? [f.id, who] : [f.id], textWidth, ' · ')) out.push(pad + paint('dim', l));

  // A labelled block: the label once, continuation lines on the content column.
  const block = (label: string, lines: string[], style: Style | null = null): void => {
    lines.forEach((l, i) => out.push(((i === 0 ? labelPad + paint('dim', label.padEnd(LABEL_WIDTH)) : pad) + paint(style, l)).trimEnd()));
  };
  const evidence = evidenceItems(f.evidence).map(terminalSafe);
  if (evidence.length) block('evidence', pack(evidence, textWidth));
  if (sameAs !== undefined) block('why', [`as [${sameAs}]`], 'dim');
  else if (f.explain.trim()) block('why', wrap(terminalSafe(f.explain.trim()), textWidth));
  if (f.fix.length) {
    block('fix', [f.fix.length > 1 ? 'copy-paste, in order:' : 'copy-paste:'], 'dim');
    for (const entry of f.fix) {
      for (const line of entry.split('\n').map(terminalSafe)) out.push((pad + paint(line.trimStart().startsWith('#') ? 'dim' : null, line)).trimEnd());
    }
  }
  const related = relatedItems(f, indexByRef).map(terminalSafe);
  // Commas stay at the end of each item, so a wrapped list still reads as a list.
  if (related.length) block('related', pack(related.map((r, i) => (i < related.length - 1 ? r + ',' : r)), textWidth, ' '), 'dim');
  return out;
}

/** All findings, in the order given (most severe first: the rules sort them), blank line between. */
export function renderFindings(findings: readonly Finding[], width: number, paint: Painter): string[] {
  const indexByRef = new Map<string, number>();
  findings.forEach((f, i) => {
    const ref = findingRef(f);
    if (!indexByRef.has(ref)) indexByRef.set(ref, i + 1);
  });
  const layout: FindingLayout = { width, indexWidth: `[${findings.length}]`.length };
  const firstOfId = new Map<string, number>();
  const out: string[] = [];
  findings.forEach((f, i) => {
    if (i > 0) out.push('');
    out.push(...renderFinding(f, i + 1, indexByRef, layout, paint, firstOfId.get(f.id)));
    if (!firstOfId.has(f.id)) firstOfId.set(f.id, i + 1);
  });
  return out;
}

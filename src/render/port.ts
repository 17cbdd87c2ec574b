/**
 * `sockdoc port P`: the answer first (one line), why, the fix, the listeners as ss shows them with
 * their queues and their owners' fd limits, then the port's findings.
 */
import type { Finding } from '../rules/types.js';
import { portAnswer, type PortCheck, type PortListener } from '../port/check.js';
import type { ForwardHop } from '../port/forwarders.js';
import { findingJson, type FindingJson } from './json.js';
import { painter, pidName, table, wrap, type Column } from './format.js';
import { renderFindings } from './terminal-findings.js';
import { MAX_WIDTH, MIN_WIDTH } from './terminal.js';
import { shellLineSafe, terminalGuard, terminalSafe } from '../safety/terminal.js';

const VERDICT_STYLE = { ok: 'green', warning: 'yellow', critical: 'redBold' } as const;
const VERDICT_TAG = { ok: '✓', warning: 'WARNING ', critical: 'CRITICAL' } as const;

function owners(l: PortListener): string {
  if (l.owners.length === 0) return '-';
  const seen = new Set<number>();
  return l.owners
    .filter((o) => !seen.has(o.pid) && seen.add(o.pid))
    .map((o) => `${pidName(o.pid, o.name)} fds ${o.openFds ?? '?'}/${o.softLimit ?? '?'}`)
    .join(', ');
}

const COLUMNS: Column<PortListener>[] = [
  { header: 'netns', cell: (l) => l.netns },
  { header: 'local', cell: (l) => l.ssLocal },
  { header: 'v6only', cell: (l) => (l.family === 4 ? '-' : l.v6only === null ? '?' : l.v6only ? 'yes' : 'no') },
  { header: 'reach', cell: (l) => (l.reach === 'any' ? `any${l.ipv4 === false ? ' (IPv6)' : l.ipv6 ? '' : ' (IPv4)'}` : l.reach) },
  { header: 'queue/backlog', align: 'right', cell: (l) => `${l.acceptQueue}/${l.backlog ?? '?'}` },
  { header: 'syn_recv', align: 'right', cell: (l) => String(l.synRecv) },
  { header: 'owners (open fds/soft limit)', cell: owners },
];

const HOP_STATUS: Record<ForwardHop['status'], string> = { reachable: 'reachable', refused: 'REFUSED', 'loopback-only': 'LOOPBACK ONLY', 'queue-full': 'QUEUE FULL', elsewhere: 'not here', unknown: '?' };

const HOP_COLUMNS: Column<ForwardHop>[] = [
  { header: 'by', cell: (h) => h.by },
  { header: 'listens', cell: (h) => h.listen.join(', ') || '-' },
  { header: 'to', cell: (h) => (h.target.address.includes(':') ? `[${h.target.address}]:${h.target.port}` : `${h.target.address}:${h.target.port}`) },
  { header: 'in', cell: (h) => h.targetName ?? '-' },
  { header: 'target listens', cell: (h) => h.targetListeners.join(', ') || '-' },
  { header: 'hop', cell: (h) => HOP_STATUS[h.status] },
];

const RANK = { ok: 0, info: 0, warning: 1, critical: 2 } as const;

/**
 * Whether the findings' fixes come before the verdict's: when a finding is worse than the verdict,
 * or the verdict is loopback-only (often deliberate, and its advice is a change of exposure) and a
 * finding fails now. JSON carries the same order as `fixOrder`.
 */
export function fixFindingsFirst(check: PortCheck, findings: readonly Finding[]): boolean {
  const worst = Math.max(0, ...findings.map((f) => RANK[f.severity]));
  if (worst > RANK[check.severity]) return true;
  return check.verdict === 'loopback-only' && worst >= RANK.warning;
}

export function renderPortCheck(check: PortCheck, findings: readonly Finding[], exitCode: number, opts: { color: boolean; columns: number }): string {
  const paint = painter(opts.color);
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.floor(opts.columns) || MAX_WIDTH));
  const sections: string[][] = [];
  // Namespace and container names in the prose come from the host: escaped like every host string.
  // The answer: the verdict, or the worst finding on the port when that is worse (a full queue).
  const answer = portAnswer(check, findings);
  sections.push([paint(VERDICT_STYLE[answer.severity], VERDICT_TAG[answer.severity]) + '  ' + paint('bold', terminalSafe(answer.headline))]);
  const why = wrap(terminalSafe(check.explain.join(' ')), width - 4).map((l) => `    ${l}`);
  if (why.length) sections.push(why);
  // Fix order: what fails now first. A finding worse than the verdict (a critical cap or fd limit
  // behind a loopback-only warning) is fixed, with its relief, before the verdict's own advice.
  const findingsFirst = fixFindingsFirst(check, findings);
  const findingsSection = findings.length ? [paint('bold', `Findings on port ${check.port}`), ...renderFindings(findings, width, paint)] : [];
  if (findingsFirst) sections.push(findingsSection);
  if (check.fix.length) sections.push([findingsFirst ? `  then, for the port's verdict (after the findings above):` : '  fix', ...check.fix.map((f) => `    ${shellLineSafe(f)}`)]);
  if (check.listeners.length) sections.push([paint('bold', `Listeners on port ${check.port}`), ...table(check.listeners, COLUMNS, paint, '  ')]);
  if (check.forwarders.length) sections.push([paint('bold', `Forwarded: where port ${check.port} goes`), ...table(check.forwarders, HOP_COLUMNS, paint, '  ')]);
  if (!findingsFirst && findingsSection.length) sections.push(findingsSection);
  sections.push([`exit ${exitCode}`]);
  return terminalGuard(sections.map((s) => s.join('\n')).join('\n\n') + '\n');
}

export interface PortCheckJson extends Omit<PortCheck, 'listeners'> {
  schemaVersion: 1;
  /** The first line of the terminal answer: the verdict, or the worst finding on the port when worse (additive). */
  answer: { severity: PortCheck['severity']; headline: string };
  /** Which fixes to apply first: the findings' (a critical finding behind a warning verdict) or the verdict's (additive). */
  fixOrder: 'findings-first' | 'verdict-first';
  listeners: PortListener[];
  findings: FindingJson[];
  partial: boolean;
  notes: string[];
  exitCode: 0 | 1 | 2;
}

export function portCheckToJson(check: PortCheck, findings: readonly Finding[], exitCode: 0 | 1 | 2, partial: boolean, notes: readonly string[]): PortCheckJson {
  return { schemaVersion: 1, ...check, answer: portAnswer(check, findings), fixOrder: fixFindingsFirst(check, findings) ? 'findings-first' : 'verdict-first', listeners: check.listeners.map((l) => ({ ...l, owners: l.owners.map((o) => ({ ...o })) })), forwarders: check.forwarders.map((h) => structuredClone(h)), findings: findings.map(findingJson), partial, notes: [...notes], exitCode };
}

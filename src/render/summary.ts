/**
 * `sockdoc --summary`: one line in the monitoring-plugin format (Nagios plugin guidelines,
 * "Plugin Output" and "Performance data"), for Nagios, Icinga, Sensu and the like:
 *
 *   SOCKDOC CRITICAL - python3 (pid 30705) is out of file descriptors: 64 open, soft limit 64 (+2 critical, 1 warning) | queue=129;102;128;0;128 fds=64;51;60;0;64 ...
 *
 * The status word follows the exit code (0 OK, 1 WARNING, 2 CRITICAL; 3 UNKNOWN is written by the
 * command when it could not run). Perfdata: 'label'=value;warn;crit;min;max, thresholds the ones
 * the rules used: the accept queue of the listener the text names (else the busiest: the most
 * clients waiting or dropped, src/render/groups.ts compareWorst) against its backlog, the process
 * the text names when it is about fds (else the one nearest its fd limit) against its soft limit, CLOSE_WAIT sockets, listen drops (a counter: "c"), and the longest a
 * client has waited in an accept queue (seconds, against --accept-wait; only when measured).
 */
import type { Diagnosis } from './report.js';
import { DEFAULT_RULE_OPTIONS, type Finding, type RuleOptions, type Severity } from '../rules/types.js';
import { findingRef, listenerRef } from '../rules/support/refs.js';
import { reportOrder } from './answer.js';
import { groupFindings, groupTitle } from './groups.js';
import { terminalSafe } from '../safety/terminal.js';
import { plural } from '../rules/support/text.js';
import { ACCEPT_WAIT_CRITICAL_FACTOR } from '../rules/support/levels.js';
import { busiestListeners, fdRatio, nearestFdLimit } from './terminal-tables.js';
import { filterListeners, filterProcesses } from './filter.js';
import { socketTableOf, tcpStateNumber } from '../snapshot/socket-table.js';

const STATUS = ['OK', 'WARNING', 'CRITICAL'] as const;

/** The plugin line must stay one line with no '|' of its own: host strings cannot break it. */
function oneLine(text: string): string {
  return terminalSafe(text).replace(/\|/g, '/');
}

/**
 * The perfdata's listener and process: the ones the headline finding names, so the text and the
 * numbers speak of the same listener; else the busiest listener and the process nearest its limit.
 */
function perfdata(d: Diagnosis, options: RuleOptions, headline: Finding | undefined): string[] {
  const out: string[] = [];
  const listeners = filterListeners(d.snapshot, d.filter);
  const named = headline && (headline.subject.port !== undefined || headline.subject.path !== undefined) ? listeners.find((l) => listenerRef(headline.id, l, d.snapshot) === findingRef(headline)) : undefined;
  const listener = named ?? busiestListeners(listeners)[0];
  if (listener && listener.backlog !== null) {
    const b = listener.backlog;
    out.push(`queue=${listener.acceptQueue};${Math.floor(options.queueWarning * b)};${b};0;${b + 1}`);
  }
  const processes = filterProcesses(d.snapshot, d.filter);
  const fdHeadline = headline && headline.subject.pid !== undefined && headline.subject.port === undefined && headline.subject.path === undefined && typeof headline.evidence.soft === 'number';
  const proc = (fdHeadline ? processes.find((p) => p.pid === headline.subject.pid) : undefined) ?? nearestFdLimit(processes)[0];
  if (proc && fdRatio(proc) !== null && proc.fds.soft !== null) {
    const s = proc.fds.soft;
    out.push(`fds=${proc.fds.open};${Math.ceil(options.fdWarning * s)};${Math.ceil(options.fdCritical * s)};0;${s}`);
  }
  // Counted on the socket columns: a socket object each (100k of them) for one number was most of --summary's cost.
  const closeWait = socketTableOf(d.snapshot).countState(tcpStateNumber('CLOSE_WAIT'));
  out.push(`close_wait=${closeWait};;;0;`);
  const c = d.snapshot.counters;
  if ('TcpExt.ListenDrops' in c.values) out.push(`listen_drops=${c.values['TcpExt.ListenDrops']}c`);
  const waits = filterListeners(d.snapshot, d.filter).filter((l) => l.acceptWait);
  if (waits.length) {
    const longest = Math.max(...waits.map((l) => l.acceptWait!.maxMs)) / 1000;
    const warn = options.acceptWaitMs / 1000;
    out.push(`accept_wait=${longest}s;${warn};${warn * ACCEPT_WAIT_CRITICAL_FACTOR};0;`);
  }
  return out;
}

export function renderSummary(d: Diagnosis, options: RuleOptions = DEFAULT_RULE_OPTIONS): string {
  // The report's own order: the headline is finding [1] of the terminal report, the root cause first.
  const findings = reportOrder(d.findings);
  const worst = findings.find((f) => f.severity !== 'info');
  let text: string;
  // The finding the text names: perfdata quotes its listener (or process), not another one.
  let headline: Finding | undefined = worst;
  const port = d.portCheck && d.portCheck.severity !== 'ok' ? d.portCheck : undefined;
  if (port && (!worst || (port.severity === 'critical' && worst.severity !== 'critical'))) {
    // The port's verdict set the exit code (--port): it is the headline, as in the terminal report.
    text = port.headline + (worst ? ` (and ${findings.filter((f) => f.severity !== 'info').length} more)` : '');
  } else if (worst) {
    // The headline is the worst finding's group when it has company ("100 listeners of nginx in 10
    // namespaces: accept-queue-full; worst: …"); the rest is counted by group, then by finding.
    const groups = groupFindings(findings, d.snapshot.identities);
    const head = groups.find((g) => g.findings.includes(worst))!;
    const counts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
    const groupCounts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
    for (const g of groups) {
      if (g === head) continue;
      groupCounts[g.severity]++;
      counts[g.severity] += g.findings.length;
    }
    const word = (s: Severity, n: number) => (s === 'warning' && n > 1 ? 'warnings' : s);
    const part = (s: Severity, plus: boolean) =>
      counts[s] ? `${plus ? '+' : ''}${counts[s]} ${word(s, counts[s])}${groupCounts[s] < counts[s] ? ` in ${plural(groupCounts[s], 'group')}` : ''}` : '';
    const more = [part('critical', true), part('warning', !counts.critical)].filter(Boolean).join(', ');
    headline = head.findings[0];
    const title = head.findings.length > 1 ? `${groupTitle(head)}; worst: ${headline.title}` : worst.title;
    text = title + (more ? ` (${more})` : '');
  } else text = `no problems found (${plural(d.snapshot.listeners.length, "listener")}, ${plural(d.snapshot.processes.length, "process", "processes")})`;
  if (d.snapshot.partial) {
    const h = d.snapshot.host;
    text += h.root === '/' && !h.asRoot ? " [partial: not root, other users' processes not seen]" : ' [partial: some inputs missing]';
  }
  return `SOCKDOC ${STATUS[d.exitCode]} - ${oneLine(text)} | ${perfdata(d, options, headline).join(' ')}\n`;
}

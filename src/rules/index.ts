/** Every rule, and running them all over one snapshot. */
import type { Snapshot } from '../snapshot/types.js';
import { DEFAULT_RULE_OPTIONS, SEVERITY_ORDER, SharedWork, type Finding, type FindingSubject, type Rule, type RuleContext, type RuleOptions } from './types.js';
import { rule as acceptQueueFilling } from './accept-queue-filling.js';
import { rule as acceptQueueFull } from './accept-queue-full.js';
import { rule as acceptWaitLong } from './accept-wait-long.js';
import { rule as backlogClamped } from './backlog-clamped.js';
import { rule as closeWaitChurn } from './close-wait-churn.js';
import { rule as closeWaitLeak } from './close-wait-leak.js';
import { rule as closeWaitUnaccepted } from './close-wait-unaccepted.js';
import { rule as conntrackTableFull } from './conntrack-table-full.js';
import { rule as conntrackTableNear } from './conntrack-table-near.js';
import { rule as ephemeralPortsExhausted } from './ephemeral-ports-exhausted.js';
import { rule as ephemeralPortsNear } from './ephemeral-ports-near.js';
import { rule as fdExhaustionForecast } from './fd-exhaustion-forecast.js';
import { rule as fdLimitExhausted } from './fd-limit-exhausted.js';
import { rule as fdLimitNear } from './fd-limit-near.js';
import { rule as inotifyInstancesExhausted } from './inotify-instances-exhausted.js';
import { rule as inotifyInstancesNear } from './inotify-instances-near.js';
import { rule as inotifyWatchesExhausted } from './inotify-watches-exhausted.js';
import { rule as inotifyWatchesNear } from './inotify-watches-near.js';
import { rule as listenOverflows } from './listen-overflows.js';
import { rule as netdevBacklogDrops } from './netdev-backlog-drops.js';
import { rule as programCapNear } from './program-cap-near.js';
import { rule as programCapReached } from './program-cap-reached.js';
import { rule as synQueuePressure } from './syn-queue-pressure.js';
import { rule as systemFileTableNear } from './system-file-table-near.js';
import { rule as tcpMemoryPressure } from './tcp-memory-pressure.js';
import { rule as tcpOrphans } from './tcp-orphans.js';

/** Alphabetical by id; src/rules/index.test.ts checks it matches the files. */
export const RULES: Rule[] = [
  acceptQueueFilling,
  acceptQueueFull,
  acceptWaitLong,
  backlogClamped,
  closeWaitChurn,
  closeWaitLeak,
  closeWaitUnaccepted,
  conntrackTableFull,
  conntrackTableNear,
  ephemeralPortsExhausted,
  ephemeralPortsNear,
  fdExhaustionForecast,
  fdLimitExhausted,
  fdLimitNear,
  inotifyInstancesExhausted,
  inotifyInstancesNear,
  inotifyWatchesExhausted,
  inotifyWatchesNear,
  listenOverflows,
  netdevBacklogDrops,
  programCapNear,
  programCapReached,
  synQueuePressure,
  systemFileTableNear,
  tcpMemoryPressure,
  tcpOrphans,
];

/** Host-wide findings (no subject) first, then by port, address (code points, not locale), pid. */
function compareSubjects(a: FindingSubject, b: FindingSubject): number {
  const rank = (s: FindingSubject) => (s.address === undefined && s.pid === undefined ? 0 : 1);
  const addrA = a.address ?? '';
  const addrB = b.address ?? '';
  return (
    rank(a) - rank(b) ||
    (a.port ?? -1) - (b.port ?? -1) ||
    (addrA < addrB ? -1 : addrA > addrB ? 1 : 0) ||
    (a.pid ?? -1) - (b.pid ?? -1)
  );
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
    compareSubjects(a.subject, b.subject)
  );
}

/** Runs every rule; findings most severe first, then by id, then by subject. `context`: see RuleContext. */
export function runRules(snapshot: Snapshot, options: RuleOptions = DEFAULT_RULE_OPTIONS, rules: Rule[] = RULES, context: RuleContext = {}): Finding[] {
  const shared = context.shared?.snapshot === snapshot ? context.shared : new SharedWork(snapshot);
  return rules.flatMap((r) => r.check(snapshot, options, { ...context, shared })).sort(compareFindings);
}

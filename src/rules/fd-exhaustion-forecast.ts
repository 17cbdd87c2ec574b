/**
 * A process whose open descriptors climb steadily will reach its soft RLIMIT_NOFILE: when, from
 * the history of its open count (src/history/forecast.ts). Warning when the trend reaches the
 * limit within the horizon the window supports; critical under an hour. Needs history: without
 * it (a one-shot diagnosis) the rule is silent.
 */
import type { Rule } from './types.js';
import { reliefLine } from './support/relief.js';
import { closeWaitCount, fdFindingId, percent } from './support/levels.js';
import { leaksCloseWait } from './support/close-wait.js';
import { processRef, processSubject, processTitle, uniqueRefs } from './support/refs.js';
import { approxDuration, ratePerMinute } from './support/text.js';
import { fdComposition, leakFixLines } from './support/fd-kinds.js';
import { kindEvidence } from './support/fd-limit.js';

/** Under this, the forecast is critical: someone must act before the hour is out. */
export const FORECAST_CRITICAL_MS = 3600_000;

export const rule: Rule = {
  id: 'fd-exhaustion-forecast',
  description: 'A process leaks file descriptors at a steady rate and will reach its soft RLIMIT_NOFILE soon (needs history: watch, serve, diagnose --interval >= 10s).',
  check(snapshot, options, context) {
    const history = context?.history;
    if (!history) return [];
    const out = [];
    for (const p of snapshot.processes) {
      const { open, soft } = p.fds;
      if (open === null || soft === null) continue;
      // At the limit fd-limit-exhausted speaks; a forecast of "now" would only repeat it.
      if (fdFindingId(p, options) === 'fd-limit-exhausted') continue;
      const f = history.fdForecast(p.pid, p.name, soft);
      if (f.etaMs === null || f.perSecond === null) continue;
      const who = `${p.name} (pid ${p.pid})`;
      const eta = approxDuration(f.etaMs);
      const rate = ratePerMinute(f.perSecond);
      const windowSeconds = Math.round(f.spanMs / 1000);
      // What grows: a climbing count is a leak whatever the kind (the forecast says it climbs).
      const kinds = fdComposition(p, history.fdKindGrowth?.(p.pid, p.name));
      const related: string[] = [];
      const near = fdFindingId(p, options);
      if (near) related.push(processRef(near, p.pid));
      if (leaksCloseWait(snapshot, p)) related.push(processRef('close-wait-leak', p.pid));
      out.push({
        id: rule.id,
        severity: f.etaMs < FORECAST_CRITICAL_MS ? ('critical' as const) : ('warning' as const),
        subject: processSubject(p, snapshot),
        title: `${processTitle(snapshot, p)} will run out of file descriptors in ${eta}: ${open} of ${soft} open, ${rate}`,
        evidence: {
          open,
          soft,
          usedPercent: percent(open, soft),
          perMinute: Math.round(f.perSecond * 600) / 10,
          secondsToLimit: Math.round(f.etaMs / 1000),
          windowSeconds,
          samples: f.samples,
          tau: Math.round((f.tau ?? 0) * 100) / 100,
          restarted: f.restarted,
          closeWait: closeWaitCount(p),
          ...kindEvidence(kinds),
        },
        explain: [
          `Over the last ${approxDuration(f.spanMs).slice(1)} (${f.samples} samples) the open descriptors of ${who} rose steadily, ${rate}` +
            ` (Theil–Sen trend; ${Math.round((f.tau ?? 0) * 100)}% of sample pairs agree it rises).`,
          `At that rate it reaches its soft RLIMIT_NOFILE of ${soft} in ${eta}; from then on open(), socket() and accept() fail with EMFILE` +
            ' ("too many open files"): its listen queue fills and clients hang, time out or are reset.',
          f.restarted ? 'The count dropped sharply once in the window (a restart?): only the climb since then was used.' : '',
          kinds ? kinds.sentence : '',
          'A count that only grows while the load stays the same is a leak: descriptors (often sockets in CLOSE_WAIT, or files) opened and never closed.' +
            ' Raising the limit buys time; the program must be fixed or restarted.',
        ]
          .filter(Boolean)
          .join(' '),
        fix: [
          ...(kinds && (kinds.verdict === 'leak' || kinds.growing) ? leakFixLines(p, { ...kinds, culprits: kinds.growing ? [kinds.growing.kind] : kinds.culprits }).slice(0, -1) : [
            `ls -l /proc/${p.pid}/fd | awk '{print $NF}' | sed 's/[0-9]*]$/]/' | sort | uniq -c | sort -rn | head   # what kind of descriptor is piling up`,
          ]),
          `sockdoc sockets --pid ${p.pid}   # sockets by state: many CLOSE_WAIT = the program never close()s them`,
          reliefLine(p, snapshot.host.canRaiseLimits, snapshot.tunables['fs.nr_open'], 'buys time; lost at restart'),
          `sockdoc limits ${p.pid}   # where the limit is set, for a durable change`,
        ],
        related: uniqueRefs(related),
      });
    }
    return out;
  },
};

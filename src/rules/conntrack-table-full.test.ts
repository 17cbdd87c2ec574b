import { conntrackTable, healthySnapshot, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './conntrack-table-full.js';
import { runRuleCases } from './support/rule-cases.js';

runRuleCases(rule, {
  valid: [
    { name: 'healthy host with conntrack loaded', snapshot: healthySnapshot() },
    { name: 'nf_conntrack not loaded', snapshot: snapshot({ conntrack: null }) },
    { name: 'near but not full', snapshot: snapshot({ conntrack: conntrackTable({ count: 250000, max: 262144 }) }) },
    {
      name: 'drops since boot only (that is conntrack-table-near, as info)',
      snapshot: snapshot({ conntrack: conntrackTable({ count: 10, stats: { drop: 40, early_drop: 3 }, statDeltas: { drop: 0, early_drop: 0 } }) }),
    },
  ],
  invalid: [
    {
      name: 'count at the limit, packets dropped in the window',
      snapshot: snapshot({
        conntrack: conntrackTable({ count: 65536, max: 65536, buckets: 16384, stats: { drop: 900, early_drop: 50, insert_failed: 2 }, statDeltas: { drop: 37, early_drop: 0, insert_failed: 0 } }),
      }),
      findings: [
        {
          severity: 'critical',
          subject: {},
          evidence: { netns: 'host', count: 65536, max: 65536, usedPercent: 100, dropDelta: 37, earlyDropDelta: 0, dropTotal: 900, insertFailedTotal: 2 },
          explainIncludes: ['table full, dropping packet', 'host-wide nf_conntrack_max', 'SYN_SENT'],
          fixIncludes: ['net.netfilter.nf_conntrack_max=131072', '/etc/sysctl.d/90-conntrack.conf', 'hashsize', 'NOTRACK', 'conntrack -S'],
        },
      ],
    },
    {
      name: 'count below the max but drops during the window (the table was full a moment ago)',
      snapshot: snapshot({ conntrack: conntrackTable({ count: 1000, max: 65536, stats: { drop: 5 }, statDeltas: { drop: 5 } }) }),
      findings: [{ severity: 'critical', subject: {}, evidence: { dropDelta: 5, count: 1000 }, explainIncludes: ['dropped 5 packets'] }],
    },
    {
      name: 'a captured tree (one reading): a full table is still critical',
      snapshot: snapshot({ deltas: null, conntrack: conntrackTable({ count: 262144, max: 262144, statDeltas: null, intervalMs: 0 }) }),
      findings: [{ severity: 'critical', subject: {}, evidence: { dropDelta: null, count: 262144 } }],
    },
  ],
});

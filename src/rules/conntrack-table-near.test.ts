import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conntrackTable, healthySnapshot, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './conntrack-table-near.js';
import { runRuleCases } from './support/rule-cases.js';
import { DEFAULT_RULE_OPTIONS } from './types.js';

runRuleCases(rule, {
  valid: [
    { name: 'healthy host with conntrack loaded', snapshot: healthySnapshot() },
    { name: 'not loaded', snapshot: snapshot({ conntrack: null }) },
    { name: 'full is the other rule', snapshot: snapshot({ conntrack: conntrackTable({ count: 262144 }) }) },
    { name: 'a quiet table', snapshot: snapshot({ conntrack: conntrackTable({ count: 200000, max: 262144 }) }) },
  ],
  invalid: [
    {
      name: '80% of the max',
      snapshot: snapshot({ conntrack: conntrackTable({ count: 220000, max: 262144 }) }),
      findings: [{ severity: 'warning', subject: {}, evidence: { count: 220000, max: 262144, usedPercent: 83.9 }, explainIncludes: ['83.9% used'] }],
    },
    {
      name: 'early drops during the window: the table touched its limit',
      snapshot: snapshot({ conntrack: conntrackTable({ count: 1000, stats: { early_drop: 9 }, statDeltas: { early_drop: 9 } }) }),
      findings: [{ severity: 'warning', subject: {}, evidence: { earlyDropDelta: 9 }, explainIncludes: ['evicted 9 unconfirmed entries'] }],
    },
    {
      name: 'drops since boot, none now: info',
      snapshot: snapshot({ conntrack: conntrackTable({ count: 10, stats: { drop: 40, early_drop: 3 }, statDeltas: { drop: 0, early_drop: 0 } }) }),
      findings: [{ severity: 'info', subject: {}, evidence: { dropTotal: 40, earlyDropTotal: 3, dropDelta: 0 }, explainIncludes: ['since boot', 'None of that happened'] }],
    },
    {
      name: '--conntrack-warning 0.5',
      snapshot: snapshot({ conntrack: conntrackTable({ count: 140000, max: 262144 }) }),
      options: { conntrackWarning: 0.5 },
      findings: [{ severity: 'warning', subject: {}, evidence: { count: 140000 } }],
    },
  ],
});

test('each namespace is judged on its own count, against the host-wide max; the fix says to raise it on the host', () => {
  const s = snapshot({ conntrack: conntrackTable({ count: 100 }) });
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532999, kind: 'docker', name: 'web', conntrack: conntrackTable({ count: 230000 }) });
  const found = rule.check(s, DEFAULT_RULE_OPTIONS);
  assert.equal(found.length, 1);
  assert.equal(found[0].evidence.netns, 'web');
  assert.match(found[0].title, /network namespace web/);
  assert.match(found[0].explain, /raise it on the host, not inside the container/);
});

import { healthySnapshot, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './netdev-backlog-drops.js';
import { runRuleCases } from './support/rule-cases.js';

const softnet = (dropped: number[], droppedDelta: number | null) => ({
  cpus: dropped.map((d, cpu) => ({ cpu, processed: 1000, dropped: d, timeSqueeze: 0 })),
  dropped: dropped.reduce((a, b) => a + b, 0),
  droppedDelta,
  timeSqueeze: 0,
  intervalMs: droppedDelta === null ? 0 : 1000,
});

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'no drops', snapshot: snapshot({ softnet: softnet([0, 0], 0) }) },
    { name: 'softnet_stat unreadable', snapshot: snapshot({ softnet: null }) },
  ],
  invalid: [
    {
      name: 'drops in the window',
      snapshot: snapshot({ softnet: softnet([10, 500], 120) }),
      findings: [{ severity: 'warning', subject: {}, evidence: { droppedDelta: 120, droppedTotal: 510, busiestCpu: 1, busiestCpuDropped: 500, netdevMaxBacklog: 1000 }, fixIncludes: ['netdev_max_backlog=2000'] }],
    },
    {
      name: 'since boot only (a capture)',
      snapshot: snapshot({ softnet: softnet([7, 0], null) }),
      findings: [{ severity: 'info', subject: {}, evidence: { droppedDelta: null, droppedTotal: 7 }, explainIncludes: ['only one reading'] }],
    },
  ],
});

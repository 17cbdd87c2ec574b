import { healthySnapshot, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './system-file-table-near.js';
import { runRuleCases } from './support/rule-cases.js';

const table = (allocated: number, max: number, fileMax: number | null = max) =>
  ({ 'fs.file-nr': [allocated, 0, max] as [number, number, number], 'fs.file-max': fileMax });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host (file-max = LONG_MAX)', snapshot: healthySnapshot() },
    { name: 'below 80%', snapshot: snapshot({ tunables: table(79_999, 100_000) }) },
    { name: 'fs.file-nr unreadable', snapshot: snapshot({ tunables: { 'fs.file-nr': null } }) },
    { name: 'file-max 0 (nonsense): no division', snapshot: snapshot({ tunables: table(10, 0) }) },
  ],
  invalid: [
    {
      name: 'exactly 80%: warning, biggest holder named',
      snapshot: snapshot({
        tunables: table(80_000, 100_000),
        processes: [proc({ pid: 10, name: 'small', open: 50 }), proc({ pid: 20, name: 'leaky', open: 70_000, soft: 1_048_576 })],
      }),
      findings: [
        {
          severity: 'warning',
          subject: {},
          evidence: { allocated: 80_000, fileMax: 100_000, usedPercent: 80, topPid: 20, topOpen: 70_000 },
          fixIncludes: ['sysctl -w fs.file-max=200000', '/etc/sysctl.d/90-file-max.conf', "dmesg | grep 'file-max limit'"],
          explainIncludes: ['ENFILE', 'leaky (pid 20) 70000'],
        },
      ],
    },
    {
      name: '95%: critical',
      snapshot: snapshot({ tunables: table(95_000, 100_000) }),
      findings: [{ severity: 'critical', subject: {}, evidence: { usedPercent: 95, topPid: null, topOpen: null } }],
    },
    {
      name: 'fs.file-max unreadable: the max column of fs.file-nr is used',
      snapshot: snapshot({ tunables: table(9_900, 10_000, null) }),
      findings: [{ severity: 'critical', subject: {}, evidence: { fileMax: 10_000, usedPercent: 99 } }],
    },
    {
      name: 'threshold from options',
      options: { fileTableWarning: 0.5 },
      snapshot: snapshot({ tunables: table(60_000, 100_000) }),
      findings: [{ severity: 'warning', subject: {}, evidence: { usedPercent: 60 } }],
    },
  ],
});

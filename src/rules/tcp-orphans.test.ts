import { connections, healthySnapshot, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './tcp-orphans.js';
import { runRuleCases } from './support/rule-cases.js';

const sockstat = (orphan: number) => ({ tcpInuse: 100, tcpOrphan: orphan, tcpTimeWait: 0, tcpAlloc: 120, tcpMemPages: 10 });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'below 80%', snapshot: snapshot({ tunables: { 'net.ipv4.tcp_max_orphans': 1000 }, sockstat: sockstat(799) }) },
    { name: 'tcp_max_orphans unreadable (a namespace)', snapshot: snapshot({ tunables: { 'net.ipv4.tcp_max_orphans': null }, sockstat: sockstat(5000) }) },
  ],
  invalid: [
    {
      name: 'at the limit, orphans seen in FIN_WAIT1',
      snapshot: snapshot({
        tunables: { 'net.ipv4.tcp_max_orphans': 1000 },
        sockstat: sockstat(1000),
        sockets: connections(30, { firstPort: 50000, remoteAddress: '10.0.0.9', remotePort: 443, state: 'FIN_WAIT1' }),
      }),
      findings: [{ severity: 'critical', subject: {}, evidence: { orphans: 1000, maxOrphans: 1000, finWait1: 30 }, explainIncludes: ['too many orphaned sockets', '30 FIN_WAIT1'] }],
    },
    {
      name: 'near',
      snapshot: snapshot({ tunables: { 'net.ipv4.tcp_max_orphans': 1000 }, sockstat: sockstat(850) }),
      findings: [{ severity: 'warning', subject: {}, evidence: { usedPercent: 85 } }],
    },
  ],
});

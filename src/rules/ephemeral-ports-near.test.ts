import { connections, healthySnapshot, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './ephemeral-ports-near.js';
import { runRuleCases } from './support/rule-cases.js';

const range = { 'net.ipv4.ip_local_port_range': [40000, 40099] as [number, number] };

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: '79 of 100', snapshot: snapshot({ tunables: range, sockets: connections(79, { firstPort: 40000, remoteAddress: '10.1.1.1', remotePort: 443 }) }) },
    { name: 'exhausted is the other rule', snapshot: snapshot({ tunables: { ...range, 'net.ipv4.tcp_tw_reuse': 0 }, sockets: connections(100, { firstPort: 40000, remoteAddress: '10.1.1.1', remotePort: 443 }) }) },
  ],
  invalid: [
    {
      name: '85 of 100 ports to one destination',
      snapshot: snapshot({ tunables: range, sockets: connections(85, { firstPort: 40000, remoteAddress: '10.1.1.1', remotePort: 443, state: 'SYN_SENT' }) }),
      findings: [{ severity: 'warning', subject: { address: '10.1.1.1', port: 443 }, evidence: { inUse: 85, usable: 100, usedPercent: 85, synSent: 85 } }],
    },
    {
      name: 'TIME_WAIT to loopback with tcp_tw_reuse=2: recycled, so only near',
      snapshot: snapshot({ tunables: { ...range, 'net.ipv4.tcp_tw_reuse': 2 }, sockets: connections(100, { firstPort: 40000, remoteAddress: '127.0.0.1', remotePort: 8080, state: 'TIME_WAIT' }) }),
      findings: [{ severity: 'warning', subject: { address: '127.0.0.1', port: 8080 }, evidence: { inUse: 100, timeWait: 100, tcpTwReuse: 2 }, explainIncludes: ['delays rather than blocks'] }],
    },
  ],
});

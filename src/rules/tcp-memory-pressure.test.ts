import { healthySnapshot, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './tcp-memory-pressure.js';
import { runRuleCases } from './support/rule-cases.js';

const sockstat = (mem: number, orphan = 0) => ({ tcpInuse: 100, tcpOrphan: orphan, tcpTimeWait: 10, tcpAlloc: 120, tcpMemPages: mem });
const tcpMem = { 'net.ipv4.tcp_mem': [1000, 2000, 3000] as [number, number, number] };

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'below pressure', snapshot: snapshot({ tunables: tcpMem, sockstat: sockstat(1999) }) },
    { name: 'sockstat unreadable, counters quiet', snapshot: snapshot({ tunables: tcpMem, sockstat: null }) },
  ],
  invalid: [
    {
      name: 'above the max',
      snapshot: snapshot({ tunables: tcpMem, sockstat: sockstat(3000) }),
      findings: [{ severity: 'critical', subject: {}, evidence: { memPages: 3000, tcpMemMax: 3000 }, explainIncludes: ['out of memory -- consider tuning tcp_mem'], fixIncludes: ['net.ipv4.tcp_mem="2000 4000 6000"'] }],
    },
    {
      name: 'above pressure',
      snapshot: snapshot({ tunables: tcpMem, sockstat: sockstat(2500) }),
      findings: [{ severity: 'warning', subject: {}, evidence: { memPages: 2500, tcpMemPressure: 2000 }, explainIncludes: ['shrinks every socket buffer'] }],
    },
    {
      name: 'aborts on memory in the window',
      snapshot: snapshot({ tunables: tcpMem, sockstat: sockstat(10), values: { 'TcpExt.TCPAbortOnMemory': 12 }, deltas: { 'TcpExt.TCPAbortOnMemory': 4 } }),
      findings: [{ severity: 'critical', subject: {}, evidence: { abortOnMemoryDelta: 4, abortOnMemoryTotal: 12 } }],
    },
    {
      name: 'pressure since boot only: info',
      snapshot: snapshot({ tunables: tcpMem, sockstat: sockstat(10), values: { 'TcpExt.TCPMemoryPressures': 3 }, deltas: null }),
      findings: [{ severity: 'info', subject: {}, evidence: { memoryPressuresTotal: 3, memoryPressuresDelta: null }, explainIncludes: ['only one reading'] }],
    },
  ],
});

/**
 * TCP memory is short host-wide. /proc/net/sockstat `mem` (pages, tcp_memory_allocated) against
 * net.ipv4.tcp_mem [min, pressure, max] (net/core/sock.c `__sk_mem_raise_allocated`): above
 * `pressure` the kernel enters memory pressure (TcpExt.TCPMemoryPressures) and shrinks socket
 * buffers; above `max` it refuses new buffer memory, logs "TCP: out of memory -- consider tuning
 * tcp_mem" and resets connections (net/ipv4/tcp_timer.c `tcp_out_of_resources` ->
 * TcpExt.TCPAbortOnMemory).
 */
import type { Finding, Rule } from './types.js';
import { delta, percent, total } from './support/levels.js';

export const rule: Rule = {
  id: 'tcp-memory-pressure',
  description: 'TCP is short of memory host-wide (sockstat mem vs net.ipv4.tcp_mem): buffers shrink, connections are reset.',
  check(snapshot): Finding[] {
    const sockstat = snapshot.sockstat;
    const tcpMem = snapshot.tunables['net.ipv4.tcp_mem'] ?? null;
    const { counters } = snapshot;
    const pressuresDelta = delta(counters, 'TcpExt.TCPMemoryPressures');
    const abortDelta = delta(counters, 'TcpExt.TCPAbortOnMemory');
    const pressuresTotal = total(counters, 'TcpExt.TCPMemoryPressures');
    const abortTotal = total(counters, 'TcpExt.TCPAbortOnMemory');
    const mem = sockstat?.tcpMemPages ?? null;
    const overMax = mem !== null && tcpMem !== null && mem >= tcpMem[2];
    const overPressure = mem !== null && tcpMem !== null && mem > tcpMem[1];
    let severity: Finding['severity'] | null = null;
    if (overMax || (abortDelta ?? 0) > 0) severity = 'critical';
    else if (overPressure || (pressuresDelta ?? 0) > 0) severity = 'warning';
    else if (((pressuresDelta ?? 0) === 0 && (abortDelta ?? 0) === 0 && (pressuresTotal ?? 0) + (abortTotal ?? 0) > 0)) severity = 'info';
    if (severity === null) return [];
    const seconds = Math.round(counters.intervalMs / 100) / 10;
    const memText = mem !== null && tcpMem !== null
      ? `TCP holds ${mem} pages of memory (${Math.round((mem * 4) / 1024)} MiB with 4 KiB pages); net.ipv4.tcp_mem is ${tcpMem.join(' ')} (min, pressure, max; ${percent(mem, tcpMem[2])}% of max).`
      : `TCP memory use (${mem ?? 'unknown'} pages) or net.ipv4.tcp_mem (${tcpMem?.join(' ') ?? 'unknown'}) could not be read.`;
    const parts = [memText];
    if (severity === 'info') {
      parts.push(
        `Since boot the kernel entered TCP memory pressure ${pressuresTotal ?? 0} times and reset ${abortTotal ?? 0} connections for lack of memory (TCPAbortOnMemory), ` +
          (counters.deltas === null ? 'but only one reading was taken, so sockdoc cannot tell whether it is still happening.' : `none of it during the last ${seconds} s.`),
      );
    } else {
      if ((pressuresDelta ?? 0) > 0) parts.push(`During the last ${seconds} s the kernel entered memory pressure ${pressuresDelta} times (TCPMemoryPressures).`);
      if ((abortDelta ?? 0) > 0) parts.push(`It reset ${abortDelta} connections for lack of memory or too many orphans during the window (TCPAbortOnMemory).`);
      parts.push(
        overMax || (abortDelta ?? 0) > 0
          ? 'Above the max the kernel refuses socket buffer memory: it logs "TCP: out of memory -- consider tuning tcp_mem", drops incoming data and resets connections; clients see resets and stalls.'
          : 'Under pressure the kernel shrinks every socket buffer: throughput drops and latency rises for all connections on the host.',
      );
    }
    parts.push(
      'Memory is usually held by many sockets with unread data (a slow reader: large Recv-Q) or unsent data to slow peers (large Send-Q); raising tcp_mem only helps when the host really has the memory.',
    );
    const fix = [
      'cat /proc/net/sockstat; sysctl net.ipv4.tcp_mem   # mem is in pages, like tcp_mem',
      "ss -tmn | awk '/skmem/ {print}' | sort -t, -k1 | tail   # sockets holding the most buffer memory (r = receive, t = transmit)",
      "ss -tn | awk '$2 > 65536 || $3 > 65536' | head   # connections with large unread (Recv-Q) or unsent (Send-Q) data",
      ...(tcpMem ? [`sysctl -w net.ipv4.tcp_mem="${tcpMem[0] * 2} ${tcpMem[1] * 2} ${tcpMem[2] * 2}"   # only if the host has the memory; persist in /etc/sysctl.d/`] : []),
      'dmesg | grep -E "out of memory -- consider tuning tcp_mem|too many orphaned sockets"',
    ];
    return [
      {
        id: 'tcp-memory-pressure',
        severity,
        subject: {},
        title:
          severity === 'info'
            ? `TCP ran short of memory ${pressuresTotal ?? 0} times since boot${counters.deltas === null ? '' : `, none in the last ${seconds} s`}`
            : severity === 'critical'
              ? `TCP is out of memory: ${mem ?? '?'} pages, tcp_mem max ${tcpMem?.[2] ?? '?'}${(abortDelta ?? 0) > 0 ? `, ${abortDelta} connections reset` : ''}`
              : `TCP is under memory pressure: ${mem ?? '?'} pages, pressure threshold ${tcpMem?.[1] ?? '?'}`,
        evidence: {
          memPages: mem,
          tcpMemMin: tcpMem?.[0] ?? null,
          tcpMemPressure: tcpMem?.[1] ?? null,
          tcpMemMax: tcpMem?.[2] ?? null,
          memoryPressuresDelta: pressuresDelta,
          abortOnMemoryDelta: abortDelta,
          memoryPressuresTotal: pressuresTotal,
          abortOnMemoryTotal: abortTotal,
          intervalMs: counters.intervalMs,
        },
        explain: parts.join(' '),
        fix,
      },
    ];
  },
};

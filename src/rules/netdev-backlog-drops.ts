/**
 * Packets dropped before TCP ever saw them: the per-CPU input backlog held
 * net.core.netdev_max_backlog packets (net/core/dev.c `enqueue_to_backlog`), counted in the
 * second column of /proc/net/softnet_stat. Host-wide (one file, initial-namespace sysctl).
 */
import type { Finding, Rule } from './types.js';

export const rule: Rule = {
  id: 'netdev-backlog-drops',
  description: 'The kernel dropped received packets because a CPU input queue held net.core.netdev_max_backlog packets.',
  check(snapshot): Finding[] {
    const sn = snapshot.softnet;
    if (!sn || sn.dropped === 0) return [];
    const max = snapshot.tunables['net.core.netdev_max_backlog'] ?? null;
    const active = (sn.droppedDelta ?? 0) > 0;
    const seconds = Math.round(sn.intervalMs / 100) / 10;
    const busiest = [...sn.cpus].sort((a, b) => b.dropped - a.dropped || a.cpu - b.cpu)[0];
    const newMax = Math.max(2000, (max ?? 1000) * 2);
    return [
      {
        id: 'netdev-backlog-drops',
        severity: active ? 'warning' : 'info',
        subject: {},
        title: active
          ? `${sn.droppedDelta} received packets dropped in ${seconds} s: CPU input backlog full (netdev_max_backlog ${max ?? '?'})`
          : `${sn.dropped} received packets dropped since boot on full CPU input backlogs${sn.droppedDelta === null ? '' : `, none in the last ${seconds} s`}`,
        evidence: {
          droppedDelta: sn.droppedDelta,
          droppedTotal: sn.dropped,
          timeSqueezeTotal: sn.timeSqueeze,
          busiestCpu: busiest.cpu,
          busiestCpuDropped: busiest.dropped,
          netdevMaxBacklog: max,
          intervalMs: sn.intervalMs,
        },
        explain: [
          active
            ? `During the last ${seconds} s the kernel threw away ${sn.droppedDelta} received packets before any protocol saw them.`
            : `Since boot the kernel threw away ${sn.dropped} received packets before any protocol saw them (${sn.droppedDelta === null ? 'only one reading was taken' : `none during the last ${seconds} s`}).`,
          `Each CPU queues received packets for the network stack; when a queue holds net.core.netdev_max_backlog (${max ?? 'unknown'}) packets, more are dropped and counted in /proc/net/softnet_stat (CPU ${busiest.cpu} dropped the most: ${busiest.dropped}).`,
          'Dropped SYNs and data look like packet loss to clients: retransmissions, slow connects, timeouts under bursts. This is not the accept queue: no listen counter moves.',
          sn.timeSqueeze > 0 ? `The receive softirq also ran out of budget ${sn.timeSqueeze} times (time_squeeze): the CPUs cannot keep up with the packet rate.` : '',
        ]
          .filter(Boolean)
          .join(' '),
        fix: [
          'awk \'{print NR-1, strtonum("0x"$2)}\' /proc/net/softnet_stat   # drops per CPU (gawk); one hot CPU = spread interrupts (RPS/RSS, irqbalance)',
          `sysctl -w net.core.netdev_max_backlog=${newMax}   # a longer per-CPU queue for bursts; persist in /etc/sysctl.d/`,
          'sysctl -w net.core.netdev_budget=600   # let the softirq process more packets per run when time_squeeze grows',
        ],
      },
    ];
  },
};

/** The kernel's own log lines (dmesg, journalctl -k) for these conditions. */
import type { MessageFamily } from '../types.js';

export const linux: MessageFamily = {
  id: 'linux',
  name: 'Linux kernel log (dmesg)',
  entries: [
    {
      id: 'linux-conntrack-full',
      errno: 'conntrack',
      example: 'nf_conntrack: nf_conntrack: table full, dropping packet',
      source: 'net/netfilter/nf_conntrack_core.c __nf_conntrack_alloc: net_warn_ratelimited("nf_conntrack: table full, dropping packet")',
      pattern: /nf_conntrack: table full, dropping packet/i,
      means: 'A namespace reached nf_conntrack_max: new flows (SYNs, DNS) are dropped, clients time out.',
      conditions: ['conntrack-full'],
    },
    {
      id: 'linux-syn-flooding',
      errno: 'SYN queue',
      example: 'TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:8080. Sending cookies.  Check SNMP counters.',
      source: 'net/ipv4/tcp_input.c tcp_syn_flood_action: "%s: Possible SYN flooding on port %pISpc. %s.  Check SNMP counters."',
      pattern: /Possible SYN flooding on port/i,
      means: "A listener's SYN (or accept) queue overflowed: the kernel answered with syncookies or dropped SYNs. Usually a full accept queue, not an attack.",
      conditions: ['tcp-queue-full'],
    },
    {
      id: 'linux-file-max',
      errno: 'ENFILE',
      example: 'VFS: file-max limit 65536 reached',
      source: 'fs/file_table.c alloc_empty_file: pr_info("VFS: file-max limit %lu reached")',
      pattern: /VFS: file-max limit \d+ reached/i,
      means: 'The host reached fs.file-max: every open() and socket() fails with ENFILE.',
      conditions: ['enfile'],
    },
    {
      id: 'linux-orphans',
      errno: 'orphans',
      example: 'TCP: too many orphaned sockets',
      source: 'net/ipv4/tcp.c tcp_check_oom: net_info_ratelimited("too many orphaned sockets")',
      pattern: /too many orphaned sockets/i,
      means: 'Closed sockets still sending pass tcp_max_orphans: the kernel resets them.',
      conditions: ['tcp-memory'],
    },
    {
      id: 'linux-tcp-mem',
      errno: 'tcp_mem',
      example: 'TCP: out of memory -- consider tuning tcp_mem',
      source: 'net/ipv4/tcp.c tcp_check_oom: net_info_ratelimited("out of memory -- consider tuning tcp_mem")',
      pattern: /out of memory -- consider tuning tcp_mem/i,
      means: 'TCP holds more pages than tcp_mem allows: connections are reset.',
      conditions: ['tcp-memory'],
    },
  ],
};

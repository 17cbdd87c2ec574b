/**
 * Which kernel counters and sysctls become which metric names. Fixed lists (bounded series per
 * namespace), named the way promtool's linter wants: snake_case, counters ending in `_total`.
 */

/** "TCPReqQFullDrop" -> "tcp_req_q_full_drop", "ListenOverflows" -> "listen_overflows". */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** Monotonic counters of /proc/net/netstat (TcpExt) and /proc/net/snmp (Tcp), exported as counters. */
export const EXPORTED_COUNTERS: readonly string[] = [
  // Accept queue and SYN queue (net/ipv4/tcp_ipv4.c, tcp_input.c tcp_conn_request).
  'TcpExt.ListenOverflows',
  'TcpExt.ListenDrops',
  'TcpExt.TCPReqQFullDrop',
  'TcpExt.TCPReqQFullDoCookies',
  'TcpExt.SyncookiesSent',
  'TcpExt.SyncookiesRecv',
  'TcpExt.SyncookiesFailed',
  'TcpExt.EmbryonicRsts',
  'TcpExt.TCPBacklogDrop',
  // Connections the kernel aborted (tcp.c tcp_close, tcp_timer.c).
  'TcpExt.TCPAbortOnData',
  'TcpExt.TCPAbortOnClose',
  'TcpExt.TCPAbortOnMemory',
  'TcpExt.TCPAbortOnTimeout',
  'TcpExt.TCPTimeouts',
  'TcpExt.TCPSynRetrans',
  'Tcp.ActiveOpens',
  'Tcp.PassiveOpens',
  'Tcp.AttemptFails',
  'Tcp.EstabResets',
  'Tcp.RetransSegs',
  'Tcp.InErrs',
  'Tcp.OutRsts',
];

/** "TcpExt.ListenOverflows" -> "sockdoc_tcpext_listen_overflows_total". */
export function counterMetricName(key: string): string {
  const [prefix, name] = key.split('.');
  return `sockdoc_${prefix.toLowerCase()}_${snakeCase(name)}_total`;
}

/** Per-namespace sysctls exported as gauges (the net.* ones are per network namespace). */
export const EXPORTED_SYSCTLS = [
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_abort_on_overflow',
  'net.core.netdev_max_backlog',
] as const;

/** "net.core.somaxconn" -> "sockdoc_sysctl_net_core_somaxconn". */
export function sysctlMetricName(key: string): string {
  return `sockdoc_sysctl_${key.replace(/[.-]/g, '_')}`;
}

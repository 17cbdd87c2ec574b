/**
 * Backlog limits of listening sockets (sk_max_ack_backlog = min(backlog passed to listen(),
 * net.core.somaxconn), net/socket.c __sys_listen). /proc/net/tcp does not show them; only the
 * sock_diag netlink interface does (net/ipv4/tcp_diag.c puts them in idiag_wqueue).
 *
 * Sources, in order: a captured dump under a non-"/" root; the native addon (native/sockdiag.c);
 * `ss -ltnHe`; otherwise unknown, said in the report.
 */
import { existsSync } from 'node:fs';
import { AF_INET, AF_INET6, IPPROTO_TCP, TCP_LISTEN, parseInetDiag, waitFromTcpInfo } from './inet-diag.js';
import { ADDON_PATH, EXT_SKMEMINFO, loadNativeAddon, TCP_TABLE_RAW, TCP_TABLE_WAITS, type NativeAddon } from './native.js';

/** Every TCP state sock_diag lists as /proc does (net-diag.ts TCP_ALL_STATES_MASK; not imported: net-diag imports this module). */
const TCP_ALL_STATES = 0x1ffe;
import { describeError, outcomeOf, readBytesUnder, readUnder, under } from './read-file.js';
import { parseSsListen, runSsListen, SS_ARGS } from './ss-listen.js';
import type { ProbeReport } from '../snapshot/types.js';

export { ADDON_PATH, loadNativeAddon, type NativeAddon } from './native.js';

export interface ListenBacklogs {
  /** listenerKey(...) -> sk_max_ack_backlog. */
  backlogs: Map<string, number>;
  source: 'sock_diag' | 'ss' | null;
  report: ProbeReport;
  /** listenerKey(...) -> IPV6_V6ONLY, from sock_diag only (ss -ltn shows it as *:P vs [::]:P, not parsed). */
  v6only?: Map<string, boolean>;
  /** listenerKey(...) -> drops (sk_drops), from a dump that carried INET_DIAG_SKMEMINFO; absent otherwise. */
  drops?: Map<string, number>;
}

/** Where a captured host tree keeps the raw dump of its TCP listeners (AF_INET then AF_INET6). */
export const CAPTURE_BIN = 'sock_diag/tcp-listen.bin';
/** Where a captured host tree keeps `ss -ltnHe` output, used when the raw dump is missing. */
export const CAPTURE_SS = 'sock_diag/ss-ltnHe.txt';
/**
 * Where a captured host tree keeps the tcp_info replies of the connections that waited in accept
 * queues (native/childinfo.c, ended by NLMSG_DONE). Absent in captures made before it: waits unknown.
 */
export const CAPTURE_WAIT_BIN = 'sock_diag/tcp-waiting.bin';

/**
 * The key a listener is known by across sources. `address` is formatted as /proc/net/tcp formats
 * it ("127.0.0.1", "::", "::ffff:127.0.0.1"); the inode tells apart sockets sharing an address
 * (SO_REUSEPORT).
 */
export function listenerKey(family: 4 | 6, address: string, port: number, inode: number): string {
  return `${family}|${address}|${port}|${inode}`;
}

/** errnos meaning "this kernel has no IPv6 sock_diag handler": nothing to list, not a failure. */
const NO_IPV6 = new Set(['ENOENT', 'EAFNOSUPPORT', 'EPROTONOSUPPORT']);

/** Raw dump of every TCP listener with its drops (INET_DIAG_SKMEMINFO), IPv4 then IPv6, through the addon. Throws on failure. */
export function dumpListenBytes(addon: NativeAddon = loadNativeAddon()): Buffer {
  const mask = 1 << TCP_LISTEN;
  const v4 = addon.inetDiagDump(AF_INET, IPPROTO_TCP, mask, EXT_SKMEMINFO);
  try {
    return Buffer.concat([v4, addon.inetDiagDump(AF_INET6, IPPROTO_TCP, mask, EXT_SKMEMINFO)]);
  } catch (err) {
    if (NO_IPV6.has((err as NodeJS.ErrnoException).code ?? '')) return v4;
    throw err;
  }
}

/** The bytes to store as ROOT/sock_diag/tcp-listen.bin when capturing a host; null without the addon. */
export function captureListenBytes(): Buffer | null {
  try {
    return dumpListenBytes();
  } catch (err) {
    // Capture is best effort: the reader of the captured tree reports the missing file.
    void err;
    return null;
  }
}

/**
 * The bytes to store as ROOT/sock_diag/tcp-waiting.bin: the tcp_info replies of the connections
 * now waiting in accept queues (a dump of every socket, then a lookup per waiting one); null without
 * an addon that makes them.
 */
export function captureWaitBytes(addon?: NativeAddon): Buffer | null {
  try {
    const a = addon ?? loadNativeAddon();
    if (typeof a.tcpDiagTable !== 'function') return null;
    return a.tcpDiagTable(TCP_ALL_STATES, TCP_TABLE_WAITS | TCP_TABLE_RAW).waitBytes ?? null;
  } catch (err) {
    // Best effort, as captureListenBytes: the reader of the tree says the waits are unknown.
    void err;
    return null;
  }
}

/** Backlog limits from raw sock_diag bytes (live or captured). */
export function backlogsFromDiag(bytes: Uint8Array, file = 'sock_diag'): Map<string, number> {
  const map = new Map<string, number>();
  for (const m of parseInetDiag(bytes, file)) {
    if (m.state === 'LISTEN') map.set(listenerKey(m.family, m.localAddress, m.localPort, m.inode), m.wqueue);
  }
  return map;
}

/** IPV6_V6ONLY of each IPv6 listener whose dump carried INET_DIAG_SKV6ONLY. */
export function v6onlyFromDiag(bytes: Uint8Array, file = 'sock_diag'): Map<string, boolean> {
  const map = new Map<string, boolean>();
  for (const m of parseInetDiag(bytes, file)) {
    if (m.state === 'LISTEN' && m.v6only !== null) map.set(listenerKey(m.family, m.localAddress, m.localPort, m.inode), m.v6only);
  }
  return map;
}

/** Drops of each listener whose dump carried them (a dump made before sockdoc asked SKMEMINFO has none). */
export function dropsFromDiag(bytes: Uint8Array, file = 'sock_diag'): Map<string, number> {
  const map = new Map<string, number>();
  for (const m of parseInetDiag(bytes, file)) {
    if (m.state === 'LISTEN' && m.drops !== null) map.set(listenerKey(m.family, m.localAddress, m.localPort, m.inode), m.drops);
  }
  return map;
}

/** The key of a connection across sources: a row of /proc/net/tcp and its tcp_info reply. */
export function connectionKey(family: 4 | 6, localAddress: string, localPort: number, remoteAddress: string, remotePort: number): string {
  return `${family}|${localAddress}|${localPort}|${remoteAddress}|${remotePort}`;
}

/** connectionKey -> ms waited, from the raw tcp_info replies of waiting connections (CAPTURE_WAIT_BIN). */
export function waitsFromDiag(bytes: Uint8Array, file = 'sock_diag'): Map<string, number> {
  const map = new Map<string, number>();
  // Empty: the namespace had no TCP socket in use, so nothing was dumped nor looked up (native/netns.c).
  if (bytes.length === 0) return map;
  for (const m of parseInetDiag(bytes, file)) {
    if (!m.tcpInfo) continue;
    const { lastDataSent, lastDataRecv, lastAckRecv } = m.tcpInfo;
    map.set(connectionKey(m.family, m.localAddress, m.localPort, m.remoteAddress, m.remotePort), waitFromTcpInfo(lastDataSent, lastDataRecv, lastAckRecv));
  }
  return map;
}

/** Backlog limits from `ss -ltnHe` text: Send-Q of a LISTEN socket. */
export function backlogsFromSs(text: string, file = `ss ${SS_ARGS.join(' ')}`): Map<string, number> {
  const map = new Map<string, number>();
  for (const l of parseSsListen(text, file)) map.set(listenerKey(l.family, l.address, l.port, l.inode), l.sendQ);
  return map;
}

/** Node's require errors append a "Require stack" on further lines; reports hold one line. */
function firstLine(text: string): string {
  return text.split('\n')[0];
}

function report(source: string, status: ProbeReport['status'], t0: number, detail?: string): ProbeReport {
  return { probe: 'sock-diag', source, status, ms: performance.now() - t0, ...(detail ? { detail } : {}) };
}

/** A captured tree: the raw dump if present, else captured ss output, else unknown. */
function fromCapture(root: string, t0: number): ListenBacklogs {
  const bin = under(root, CAPTURE_BIN);
  const ss = under(root, CAPTURE_SS);
  try {
    if (existsSync(bin)) {
      const bytes = readBytesUnder(root, CAPTURE_BIN, 'binary');
      const drops = dropsFromDiag(bytes, bin);
      return {
        backlogs: backlogsFromDiag(bytes, bin),
        v6only: v6onlyFromDiag(bytes, bin),
        ...(drops.size ? { drops } : {}),
        source: 'sock_diag',
        report: report(bin, 'ok', t0),
      };
    }
    if (existsSync(ss)) return { backlogs: backlogsFromSs(readUnder(root, CAPTURE_SS, 'proc-table'), ss), source: 'ss', report: report(ss, 'ok', t0) };
  } catch (err) {
    const status = outcomeOf(err) === 'denied' ? 'denied' : 'failed';
    return { backlogs: new Map(), source: null, report: report(bin, status, t0, `backlog limits are unknown: ${describeError(err)}`) };
  }
  return {
    backlogs: new Map(),
    source: null,
    report: report(bin, 'absent', t0, `${bin} was not captured: backlog limits of listeners are unknown (/proc does not show them)`),
  };
}

/**
 * The waits a capture recorded (CAPTURE_WAIT_BIN under `root`), by connectionKey; null when it
 * holds none (a capture made before sockdoc recorded them) or the file is unreadable, with why.
 */
export function readCapturedWaits(root: string): { waits: Map<string, number> | null; report: ProbeReport | null } {
  const t0 = performance.now();
  const bin = under(root, CAPTURE_WAIT_BIN);
  if (!existsSync(bin)) return { waits: null, report: null };
  try {
    return { waits: waitsFromDiag(readBytesUnder(root, CAPTURE_WAIT_BIN, 'binary'), bin), report: report(bin, 'ok', t0) };
  } catch (err) {
    return { waits: null, report: report(bin, outcomeOf(err) === 'denied' ? 'denied' : 'failed', t0, `accept waits are unknown: ${describeError(err)}`) };
  }
}

/**
 * Errors of socket(AF_NETLINK, …, NETLINK_SOCK_DIAG) that mean "not allowed here", not "not built":
 * seccomp filters return EAFNOSUPPORT (systemd RestrictAddressFamilies=) or EPERM/EACCES (docker's
 * default profile, LSMs); a kernel without the module says EPROTONOSUPPORT.
 */
const NETLINK_REFUSED = new Set(['EAFNOSUPPORT', 'EPERM', 'EACCES', 'EPROTONOSUPPORT']);

/**
 * Backlog limit of every TCP listener, keyed by listenerKey. For root "/" it asks the kernel
 * (addon, then ss); for any other root it reads what was captured there. `addonPath` exists for
 * tests of the fallback.
 */
export function readListenBacklogs(root = '/', opts: { addonPath?: string } = {}): ListenBacklogs {
  const t0 = performance.now();
  if (root !== '/') return fromCapture(root, t0);
  const addonPath = opts.addonPath ?? ADDON_PATH;
  let addonWhy: string;
  try {
    const bytes = dumpListenBytes(loadNativeAddon(addonPath));
    const backlogs = backlogsFromDiag(bytes, 'sock_diag');
    return { backlogs, v6only: v6onlyFromDiag(bytes), drops: dropsFromDiag(bytes), source: 'sock_diag', report: report('netlink NETLINK_SOCK_DIAG', 'ok', t0) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (NETLINK_REFUSED.has(code)) {
      // ss would meet the same refusal and fall back to /proc/net/tcp, which has no backlog limits:
      // it then prints Send-Q 0 for every listener, and a limit of 0 would read as "queue full".
      return {
        backlogs: new Map(),
        source: null,
        report: report('netlink NETLINK_SOCK_DIAG', 'denied', t0, `backlog limits of listeners are unknown: the kernel refused sockdoc a sock_diag netlink socket (${code}: ${firstLine(describeError(err))}); a seccomp filter such as systemd's RestrictAddressFamilies= or a container profile does this`),
      };
    }
    addonWhy =
      code === 'MODULE_NOT_FOUND'
        ? `native sock_diag module not built (${addonPath} missing)`
        : `native sock_diag module failed (${firstLine(describeError(err))})`;
  }
  try {
    const backlogs = backlogsFromSs(runSsListen());
    return { backlogs, source: 'ss', report: report(`ss ${SS_ARGS.join(' ')}`, 'ok', t0, `${addonWhy}; used ss instead`) };
  } catch (err) {
    const ssWhy = outcomeOf(err) === 'absent' ? 'ss is not installed (package iproute2)' : `ss failed (${firstLine(describeError(err))})`;
    return {
      backlogs: new Map(),
      source: null,
      report: report('netlink NETLINK_SOCK_DIAG', 'absent', t0, `backlog limits of listeners are unknown: ${addonWhy}; ${ssWhy}`),
    };
  }
}

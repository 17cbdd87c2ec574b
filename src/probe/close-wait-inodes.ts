/**
 * The inodes of the CLOSE_WAIT sockets that have a file (an owner), read at the start of the
 * sampling window: compared with the sockets at its end, a CLOSE_WAIT still there is one the
 * program has not closed for the whole window (a leak), a new one is churn. Only a Set of
 * numbers is kept: the whole socket table is read once more, at the end of the window.
 *
 * Live root: one sock_diag dump filtered by the kernel to CLOSE_WAIT (states mask 1 << 8,
 * include/net/tcp_states.h TCP_CLOSE_WAIT), cheap however many sockets the host has. Otherwise
 * (no addon, SOCKDOC_NET_SOURCE=proc) the /proc/net/tcp{,6} text, filtered here.
 */
import { readNetTcp } from './net-tcp.js';
import { tableFromDiag } from './net-diag.js';
import { ADDON_PATH, loadNativeAddon } from './native.js';
import type { SocketTable } from '../snapshot/socket-table.js';

/** include/net/tcp_states.h: TCP_CLOSE_WAIT = 8; sock_diag's states field is a mask of 1 << state. */
const CLOSE_WAIT = 8;
const CLOSE_WAIT_MASK = 1 << CLOSE_WAIT;

function addCloseWait(t: SocketTable, out: Set<number>): void {
  for (let i = 0; i < t.length; i++) if (t.state[i] === CLOSE_WAIT && t.inode[i] !== 0) out.add(t.inode[i]);
}

/**
 * Inodes (never 0: an unaccepted socket has no file to follow) of CLOSE_WAIT sockets now; null
 * when the sockets could not be read (an empty set would claim there were none).
 */
export function readCloseWaitInodes(root = '/'): Set<number> | null {
  const out = new Set<number>();
  if (root === '/' && process.env.SOCKDOC_NET_SOURCE !== 'proc') {
    try {
      const addon = loadNativeAddon(ADDON_PATH);
      if (typeof addon.tcpDiagTable === 'function') {
        addCloseWait(tableFromDiag(addon.tcpDiagTable(CLOSE_WAIT_MASK)).table, out);
        return out;
      }
    } catch {
      // Not built or the dump failed: the text files below have the same sockets.
    }
  }
  const read = readNetTcp(root, { source: 'proc' });
  if (!read.reports.some((r) => r.status === 'ok' || r.status === 'partial')) return null;
  addCloseWait(read.table, out);
  return out;
}

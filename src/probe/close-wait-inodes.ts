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
import { socketsFromDiagTable } from './net-diag.js';
import { ADDON_PATH, loadNativeAddon } from './native.js';

/** include/net/tcp_states.h: TCP_CLOSE_WAIT = 8; sock_diag's states field is a mask of 1 << state. */
const CLOSE_WAIT_MASK = 1 << 8;

/** Inodes (never 0: an unaccepted socket has no file to follow) of CLOSE_WAIT sockets now. */
export function readCloseWaitInodes(root = '/'): Set<number> {
  const out = new Set<number>();
  if (root === '/' && process.env.SOCKDOC_NET_SOURCE !== 'proc') {
    try {
      const addon = loadNativeAddon(ADDON_PATH);
      if (typeof addon.tcpDiagTable === 'function') {
        for (const s of socketsFromDiagTable(addon.tcpDiagTable(CLOSE_WAIT_MASK)).sockets) {
          if (s.state === 'CLOSE_WAIT' && s.inode !== 0) out.add(s.inode);
        }
        return out;
      }
    } catch {
      // Not built or the dump failed: the text files below have the same sockets.
    }
  }
  for (const s of readNetTcp(root, { source: 'proc' }).sockets) if (s.state === 'CLOSE_WAIT' && s.inode !== 0) out.add(s.inode);
  return out;
}

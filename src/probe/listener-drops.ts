/**
 * Each listener's drops at the start of a sampling window, so that the end can tell "dropping now"
 * from history: sk_drops of every LISTEN socket (INET_DIAG_SKMEMINFO) from a listener-only dump,
 * which walks only the kernel's listening hash (inet_diag_dump_icsk skips the established one when
 * only TCPF_LISTEN is asked): cheap however many connections the host holds.
 */
import { parseInetDiag } from './inet-diag.js';
import { ADDON_PATH, loadNativeAddon } from './native.js';
import { dumpListenBytes } from './sock-diag.js';

/** Listener inode -> drops, from raw LISTEN dump bytes (listeners whose reply carried no drops are left out). */
export function dropsByInode(bytes: Uint8Array, file = 'sock_diag'): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of parseInetDiag(bytes, file)) if (m.state === 'LISTEN' && m.drops !== null) out.set(m.inode, m.drops);
  return out;
}

/** The drops of the listeners of sockdoc's own namespace now; null when the addon cannot dump (then the window has no per-listener delta). */
export function readListenerDrops(addonPath = ADDON_PATH): Map<number, number> | null {
  try {
    return dropsByInode(dumpListenBytes(loadNativeAddon(addonPath)));
  } catch {
    // Not built, refused by a seccomp filter, IPv4 dump failed: the end of the window says why (its own read fails the same way).
    return null;
  }
}

/**
 * The socket inodes of the families sockdoc does not dump (UDP, raw, netlink, packet), from the
 * /proc/net tables of one network namespace: enough to say what a process's other socket fds are.
 * Only the inode column is read:
 *   udp, udp6, raw, raw6  "sl local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt
 *                          uid timeout inode ..." (net/ipv4/udp.c udp4_format_sock, raw.c): 10th field
 *   netlink               "sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode" (net/netlink/af_netlink.c
 *                          netlink_seq_show): 10th field
 *   packet                "sk RefCnt Type Proto Iface R Rmem User Inode" (net/packet/af_packet.c): 9th field
 * A missing file (IPv6 off, no af_packet module) is nothing to find, not an error.
 */
import { readUnder } from './read-file.js';
import type { SocketKind } from '../snapshot/types.js';

interface Table {
  file: string;
  kind: SocketKind;
  /** 0-based field holding the inode. */
  field: number;
  /** The first word of the header line. */
  header: string;
}

const TABLES: readonly Table[] = [
  { file: 'udp', kind: 'udp', field: 9, header: 'sl' },
  { file: 'udp6', kind: 'udp', field: 9, header: 'sl' },
  { file: 'raw', kind: 'raw', field: 9, header: 'sl' },
  { file: 'raw6', kind: 'raw', field: 9, header: 'sl' },
  { file: 'netlink', kind: 'netlink', field: 9, header: 'sk' },
  { file: 'packet', kind: 'packet', field: 8, header: 'sk' },
];

/**
 * Inodes in field `field` of each line after the header; lines too short or not numeric are skipped
 * (the table is only used to name fds, never to count sockets).
 * @example parseInodeColumn('sk Eth ... Inode\n0000 0 0 00000000 0 0 0 2 0 1160\n', 9) // [1160]
 */
export function parseInodeColumn(text: string, field: number): number[] {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].trim().split(/\s+/);
    if (f.length <= field) continue;
    const n = Number(f[field]);
    if (Number.isSafeInteger(n) && n > 0) out.push(n);
  }
  return out;
}

/**
 * inode -> family for the sockets of ROOT/NETDIR/{udp,udp6,raw,raw6,netlink,packet} (NETDIR
 * "proc/net" for the reader's namespace, "proc/PID/net" for PID's). Unreadable files are skipped:
 * their sockets stay "socket" (another family).
 */
export function readSocketInodes(root: string, netDir: string): Map<number, SocketKind> {
  const out = new Map<number, SocketKind>();
  for (const t of TABLES) {
    let text: string;
    try {
      text = readUnder(root, `${netDir}/${t.file}`, 'proc-table');
    } catch (err) {
      void err; // absent (IPv6 off, no af_packet), refused or a broken copy: these fds stay "socket"
      continue;
    }
    if (!text.trimStart().startsWith(t.header)) continue;
    for (const inode of parseInodeColumn(text, t.field)) out.set(inode, t.kind);
  }
  return out;
}

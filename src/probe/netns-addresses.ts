/**
 * The local addresses of a network namespace, to tell which namespace a forwarded connection lands
 * in (docker-proxy's -container-ip, a DNAT target, socat's TCP:host:port). Read through any process
 * of the namespace (/proc/PID/net/* shows its namespace's files):
 * - IPv4: /proc/PID/net/fib_trie (net/ipv4/fib_trie.c fib_trie_seq_show): an address line "|-- A"
 *   followed by "/32 host LOCAL" is an address of the namespace (127.0.0.0/8 is local as a whole);
 * - IPv6: /proc/PID/net/if_inet6 (net/ipv6/addrconf.c if6_seq_show): 32 hex digits per address.
 */
import { outcomeOf, readUnder } from './read-file.js';
import { formatIPv6Bytes } from './inet-address.js';

/** IPv4 addresses marked "/32 host LOCAL" in fib_trie, each once. */
export function parseFibTrie(text: string): string[] {
  const out = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const t = lines[i].trim();
    if (!t.startsWith('|-- ')) continue;
    const next = lines[i + 1].trim();
    if (next.startsWith('/32 host LOCAL')) out.add(t.slice(4));
  }
  return [...out];
}

/** IPv6 addresses of if_inet6, printable ("::1", "fd00::2"). */
export function parseIfInet6(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const hex = line.trim().split(/\s+/)[0];
    if (hex && hex.length === 32 && /^[0-9a-f]{32}$/.test(hex)) out.push(formatIPv6Bytes(Buffer.from(hex, 'hex'), 0));
  }
  return out;
}

export interface NetnsAddresses {
  v4: string[];
  v6: string[];
}

/** The addresses from the fib_trie and if_inet6 files in directory `dir` (proc/PID/net, a capture's netns/INODE/proc/net). */
function readIn(root: string, dir: string): NetnsAddresses | null {
  try {
    const v4 = parseFibTrie(readUnder(root, `${dir}/fib_trie`, 'proc'));
    let v6: string[] = [];
    try {
      v6 = parseIfInet6(readUnder(root, `${dir}/if_inet6`, 'proc'));
    } catch (err) {
      if (outcomeOf(err) !== 'absent') throw err; // no IPv6 in this kernel: none
    }
    return { v4, v6 };
  } catch {
    return null;
  }
}

/**
 * The addresses of a namespace: through one of its processes (ROOT/proc/PID/net/), else, in a
 * capture, its netns/INODE/proc/net/ (`own`: the reader's namespace, ROOT/proc/net/). null when
 * none can be read (gone, denied, not captured).
 */
export function readNetnsAddresses(root: string, ns: { inode: number; pids: readonly number[]; own: boolean }): NetnsAddresses | null {
  if (ns.own) {
    const a = readIn(root, 'proc/net');
    if (a) return a;
  }
  for (const pid of ns.pids.slice(0, 3)) {
    const a = readIn(root, `proc/${pid}/net`);
    if (a) return a;
  }
  return root === '/' ? null : readIn(root, `netns/${ns.inode}/proc/net`);
}

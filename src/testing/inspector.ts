/** Is Node's inspector listening for this process? Read from the kernel's socket table, not guessed. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Node's default inspector port, as /proc/net/tcp writes it (hex, upper case). */
const INSPECTOR_PORT_HEX = (9229).toString(16).toUpperCase().padStart(4, '0');

/**
 * Inodes of LISTEN sockets on port 9229 in the network namespace of `pid` (/proc/PID/net/tcp and
 * tcp6 are that namespace's tables) that `pid` itself holds (/proc/PID/fd). [] when it exited.
 */
export function inspectorSockets(pid: number): string[] {
  const listening = new Set<string>();
  for (const file of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'latin1');
    } catch {
      continue; // exited, or no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[3] === '0A' && cols[1].endsWith(`:${INSPECTOR_PORT_HEX}`)) listening.add(cols[9]);
    }
  }
  if (listening.size === 0) return [];
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const held: string[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && listening.has(m[1])) held.push(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return held;
}

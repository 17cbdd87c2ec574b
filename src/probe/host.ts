/**
 * Which host a snapshot describes: hostname (per UTS namespace) and kernel release, from
 * ROOT/proc/sys/kernel/{hostname,osrelease} (kernel/utsname_sysctl.c), so a captured tree names
 * the machine it came from rather than the one reading it.
 */
import { ParseError, readBytesUnder, runProbe, under } from './read-file.js';
import { hostText } from '../safety/host-bytes.js';
import type { ProbeReport } from '../snapshot/types.js';

/** The single line of a /proc/sys string file, without its newline. Throws ParseError when empty. */
export function parseOneLine(text: string, file = 'proc/sys'): string {
  const line = text.split('\n')[0].trim();
  if (line === '') throw new ParseError(file, 1, 'empty');
  return line;
}

/** Hostname and kernel release; each null when absent or unreadable (its report says why). */
export function readHost(root = '/'): { hostname: string | null; kernel: string | null; reports: ProbeReport[] } {
  const read = (name: string) => {
    const path = under(root, 'proc/sys/kernel', name);
    // Bytes as UTF-8 (a hostname may hold any byte: sethostname(2) does not check), as pid-stat does for comm.
    return runProbe('host', path, () => parseOneLine(hostText(readBytesUnder(root, `proc/sys/kernel/${name}`, 'proc')), path));
  };
  const hostname = read('hostname');
  const kernel = read('osrelease');
  return { hostname: hostname.value, kernel: kernel.value, reports: [hostname.report, kernel.report] };
}

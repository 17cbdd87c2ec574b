/**
 * TCP service names from ROOT/etc/services (man 5 services: `name port/protocol [aliases…] [# comment]`),
 * so `sockdoc port ssh` answers for 22 as getent would from files. Only the file is read, never NSS:
 * a captured tree and the live host give the same answer.
 */
import { readOptionalUnder } from './read-file.js';

/**
 * Name and alias -> port, TCP entries only; the first entry of a name wins (as getservbyname's
 * file backend returns the first match).
 * @example parseServices('ssh\t\t22/tcp\nhttp\t80/tcp\twww\t# WorldWideWeb HTTP\n').get('www') // 80
 */
export function parseServices(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const [entry] = raw.split('#');
    const [name, portProto, ...aliases] = entry.trim().split(/\s+/);
    const m = /^(\d{1,5})\/tcp$/.exec(portProto ?? '');
    if (!name || !m) continue;
    const port = Number(m[1]);
    if (port < 1 || port > 65535) continue;
    for (const n of [name, ...aliases]) if (!out.has(n)) out.set(n, port);
  }
  return out;
}

/** ROOT/etc/services parsed; null when the file is absent (a minimal container without netbase). */
export function readServices(root: string): Map<string, number> | null {
  const text = readOptionalUnder(root, 'etc/services', 'config');
  return text === null ? null : parseServices(text);
}

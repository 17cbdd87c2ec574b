/** Pieces several stories share. */
import type { ClientOutcomes } from '../peers/protocol.js';
import type { Lab } from '../lab.js';
import type { Check } from '../types.js';
import { checkValue } from '../checks.js';

/** somaxconn inside the lab namespace: the pre-5.4 default the seed's host had. */
export const LAB_SOMAXCONN = '128';

/**
 * The backlog the server asks for: Node's and nginx's 511, clamped by the lab's somaxconn of 128.
 * In the host namespace somaxconn is the host's (4096 since Linux 5.4), so ask for 128 outright
 * to keep the same queue limit.
 */
export function serverBacklog(lab: Lab): number {
  return lab.mode === 'netns' ? 511 : 128;
}

/** The kernel's queue limit for that request: min(backlog, somaxconn) (net/socket.c __sys_listen). */
export function queueLimit(lab: Lab, backlog: number): number {
  return Math.min(backlog, lab.somaxconn());
}

/** "150 connected, 50 timed out" — only the non-zero outcomes. */
export function describeOutcomes(o: ClientOutcomes): string {
  const words: Array<[keyof ClientOutcomes, string]> = [
    ['answered', 'answered'],
    ['connected', 'connected'],
    ['pending', 'still connecting'],
    ['timeout', 'timed out connecting'],
    ['reset', 'reset by the server'],
    ['noAnswer', 'connected but got no answer'],
    ['closed', 'closed by the server unanswered'],
    ['refused', 'refused'],
    ['failed', 'failed otherwise'],
  ];
  const parts = words.filter(([k]) => o[k] > 0).map(([k, w]) => `${o[k]} ${w}`);
  return parts.join(', ') || 'no connections';
}

export function outcomeCheck(label: string, clients: ClientOutcomes | null, key: keyof ClientOutcomes, ok: (n: number) => boolean): Check {
  return checkValue(label, clients ? clients[key] : null, ok);
}

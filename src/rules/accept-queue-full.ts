/**
 * A listener's accept queue is full: sk_ack_backlog > sk_max_ack_backlog
 * (include/net/sock.h sk_acceptq_is_full), so new handshakes are dropped.
 */
import type { Rule } from './types.js';
import { acceptQueueFindings } from './support/accept-queue.js';

export const rule: Rule = {
  id: 'accept-queue-full',
  description: 'A listening socket holds more connections than its backlog: the kernel drops new handshakes.',
  check: (snapshot, options) => acceptQueueFindings('accept-queue-full', snapshot, options),
};

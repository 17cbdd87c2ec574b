/** A listener's accept queue is at 80% (queueWarning) of its backlog or more, not yet full. */
import type { Rule } from './types.js';
import { acceptQueueFindings } from './support/accept-queue.js';

export const rule: Rule = {
  id: 'accept-queue-filling',
  description: 'A listening socket has completed connections waiting for accept() near its backlog.',
  check: (snapshot, options) => acceptQueueFindings('accept-queue-filling', snapshot, options),
};

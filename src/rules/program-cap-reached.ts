/**
 * A program holds as many connections as its own cap allows (nginx worker_connections, HAProxy
 * maxconn, Redis maxclients, ...: src/provenance/programs/): it stops taking more while no kernel
 * queue or fd limit is full.
 */
import type { Rule } from './types.js';
import { programCapFindings } from './support/program-cap.js';

export const rule: Rule = {
  id: 'program-cap-reached',
  description: "A program holds as many connections as its own cap allows (worker_connections, maxconn, maxclients, max_connections, ...): it queues, refuses or closes new ones.",
  check: (snapshot, options) => programCapFindings('program-cap-reached', snapshot, options),
};

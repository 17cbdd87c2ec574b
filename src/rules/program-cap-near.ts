/** A program holds most of the connections its own cap allows (warning before program-cap-reached). */
import type { Rule } from './types.js';
import { programCapFindings } from './support/program-cap.js';

export const rule: Rule = {
  id: 'program-cap-near',
  description: "A program holds 80% or more of the connections its own cap allows (worker_connections, maxconn, maxclients, max_connections, ...).",
  check: (snapshot, options) => programCapFindings('program-cap-near', snapshot, options),
};

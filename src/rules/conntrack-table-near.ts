/** The conntrack table of a network namespace is nearly full, or was full at some point since boot. */
import type { Rule } from './types.js';
import { conntrackFindings } from './support/conntrack.js';

export const rule: Rule = {
  id: 'conntrack-table-near',
  description: 'The conntrack table is nearly full (nf_conntrack_count near nf_conntrack_max), or dropped entries since boot.',
  check: (snapshot, options) => conntrackFindings('conntrack-table-near', snapshot, options),
};

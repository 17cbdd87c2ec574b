/** The conntrack table of a network namespace is full (count at nf_conntrack_max, or packets dropped for lack of an entry). */
import type { Rule } from './types.js';
import { conntrackFindings } from './support/conntrack.js';

export const rule: Rule = {
  id: 'conntrack-table-full',
  description: 'The conntrack table is full: the kernel drops the first packet of new flows (nf_conntrack: table full).',
  check: (snapshot, options) => conntrackFindings('conntrack-table-full', snapshot, options),
};

/** Outgoing connections to one destination use most of the usable local ports. */
import type { Rule } from './types.js';
import { ephemeralFindings } from './support/ephemeral-finding.js';

export const rule: Rule = {
  id: 'ephemeral-ports-near',
  description: 'Local ports to one destination are running out (ip_local_port_range less reserved ports).',
  check: (snapshot, options, context) => ephemeralFindings('ephemeral-ports-near', snapshot, options, context?.shared),
};

/** Outgoing connections to one destination have taken (almost) every usable local port: connect() fails with EADDRNOTAVAIL. */
import type { Rule } from './types.js';
import { ephemeralFindings } from './support/ephemeral-finding.js';

export const rule: Rule = {
  id: 'ephemeral-ports-exhausted',
  description: 'Local ports to one destination are used up: connect() fails with "Cannot assign requested address" (EADDRNOTAVAIL).',
  check: (snapshot, options, context) => ephemeralFindings('ephemeral-ports-exhausted', snapshot, options, context?.shared),
};

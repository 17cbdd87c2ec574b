/** A process has used (almost) all the file descriptors its soft RLIMIT_NOFILE allows. */
import type { Rule } from './types.js';
import { fdLimitFindings } from './support/fd-limit.js';

export const rule: Rule = {
  id: 'fd-limit-exhausted',
  description: 'A process has open files at or above 95% of its soft RLIMIT_NOFILE: accept() and open() fail with EMFILE.',
  check: (snapshot, options, context) => fdLimitFindings('fd-limit-exhausted', snapshot, options, context),
};

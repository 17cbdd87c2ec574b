/** A process is approaching its soft RLIMIT_NOFILE (warning before fd-limit-exhausted). */
import type { Rule } from './types.js';
import { fdLimitFindings } from './support/fd-limit.js';

export const rule: Rule = {
  id: 'fd-limit-near',
  description: 'A process has open files at or above 80% of its soft RLIMIT_NOFILE.',
  check: (snapshot, options, context) => fdLimitFindings('fd-limit-near', snapshot, options, context),
};

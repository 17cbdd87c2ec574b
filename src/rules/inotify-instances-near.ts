/** A uid holds 80% or more of the inotify instances fs.inotify.max_user_instances allows it.. Per uid and user namespace (kernel/ucount.c); see support/inotify.ts. */
import type { Rule } from './types.js';
import { inotifyFindings } from './support/inotify.js';

export const rule: Rule = {
  id: 'inotify-instances-near',
  description: 'A uid holds 80% or more of the inotify instances fs.inotify.max_user_instances allows it.',
  check: (snapshot, options) => inotifyFindings('inotify-instances-near', snapshot, options),
};

/** A uid holds as many inotify instances as fs.inotify.max_user_instances (in its user namespace) allows. Per uid and user namespace (kernel/ucount.c); see support/inotify.ts. */
import type { Rule } from './types.js';
import { inotifyFindings } from './support/inotify.js';

export const rule: Rule = {
  id: 'inotify-instances-exhausted',
  description: 'A uid holds as many inotify instances as fs.inotify.max_user_instances (in its user namespace) allows: inotify_init fails with EMFILE, "too many open files", whatever RLIMIT_NOFILE says.',
  check: (snapshot, options) => inotifyFindings('inotify-instances-exhausted', snapshot, options),
};

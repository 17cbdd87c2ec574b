/** A uid holds as many inotify watches as fs.inotify.max_user_watches allows. Per uid and user namespace (kernel/ucount.c); see support/inotify.ts. */
import type { Rule } from './types.js';
import { inotifyFindings } from './support/inotify.js';

export const rule: Rule = {
  id: 'inotify-watches-exhausted',
  description: 'A uid holds as many inotify watches as fs.inotify.max_user_watches allows: inotify_add_watch fails with ENOSPC ("System limit for number of file watchers reached").',
  check: (snapshot, options) => inotifyFindings('inotify-watches-exhausted', snapshot, options),
};

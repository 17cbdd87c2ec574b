/** A uid holds 80% or more of the inotify watches fs.inotify.max_user_watches allows it.. Per uid and user namespace (kernel/ucount.c); see support/inotify.ts. */
import type { Rule } from './types.js';
import { inotifyFindings } from './support/inotify.js';

export const rule: Rule = {
  id: 'inotify-watches-near',
  description: 'A uid holds 80% or more of the inotify watches fs.inotify.max_user_watches allows it.',
  check: (snapshot, options) => inotifyFindings('inotify-watches-near', snapshot, options),
};

/** Everyday tools: coreutils tail -f and systemd, which hit the inotify limits first. */
import type { MessageFamily } from '../types.js';

export const tools: MessageFamily = {
  id: 'tools',
  name: 'tail, systemd',
  entries: [
    {
      id: 'tail-inotify-polling',
      errno: 'EMFILE',
      example: 'tail: inotify cannot be used, reverting to polling: Too many open files',
      source: 'coreutils src/tail.c: error(0, errno, _("inotify cannot be used, reverting to polling"))',
      pattern: /inotify cannot be used, reverting to polling/i,
      means: 'inotify_init() failed: with "Too many open files", the uid holds fs.inotify.max_user_instances instances.',
      conditions: ['inotify-instances', 'emfile'],
      emitter: { label: 'tail', comm: /^tail$/ },
    },
    {
      id: 'tail-inotify-exhausted',
      errno: 'ENOSPC',
      example: 'tail: inotify resources exhausted',
      source: 'coreutils src/tail.c: error(0, 0, _("inotify resources exhausted")) on ENOSPC from inotify_add_watch',
      pattern: /inotify resources exhausted/i,
      means: 'inotify_add_watch() failed with ENOSPC: the uid holds fs.inotify.max_user_watches watches.',
      conditions: ['inotify-watches'],
      emitter: { label: 'tail', comm: /^tail$/ },
    },
    {
      id: 'systemd-directory-watch',
      errno: 'EMFILE',
      example: 'Failed to allocate directory watch: Too many open files',
      source: 'systemd src/core/path.c / sd-event (inotify_init1 failing with EMFILE), as systemd --user logs it',
      pattern: /Failed to allocate (directory|manager) watch: Too many open files/i,
      means: 'inotify_init1() failed with EMFILE: the uid holds fs.inotify.max_user_instances instances.',
      conditions: ['inotify-instances', 'emfile'],
      emitter: { label: 'systemd', comm: /^systemd$/ },
    },
  ],
};

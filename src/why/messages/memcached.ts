/** memcached: its answer at its connection limit. */
import type { MessageFamily } from '../types.js';

export const memcached: MessageFamily = {
  id: 'memcached',
  name: "memcached",
  emitter: { label: "memcached", comm: /^memcached$/ },
  entries: [
    {
      id: "memcached-too-many-connections",
      errno: "program cap",
      example: "ERROR Too many open connections",
      source: "memcached memcached.c (maxconns_fast): \"ERROR Too many open connections\\r\\n\" then close",
      pattern: /ERROR Too many open connections/i,
      means: "memcached holds its -c connections: with maxconns_fast (the default) it answers this error and closes each new one.",
      conditions: ['program-cap', 'emfile'],
    },
  ],
};

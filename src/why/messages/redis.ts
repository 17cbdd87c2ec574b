/** Redis: what its clients are told at its cap (client libraries print the server's error). */
import type { MessageFamily } from '../types.js';

export const redis: MessageFamily = {
  id: 'redis',
  name: "Redis",
  emitter: { label: "Redis", comm: /^redis-server$/ },
  entries: [
    {
      id: "redis-max-clients",
      errno: "program cap",
      example: "ERR max number of clients reached",
      source: "redis src/networking.c acceptCommonHandler: \"-ERR max number of clients reached\" when listLength(server.clients) >= server.maxclients",
      pattern: /max number of clients reached/i,
      means: "Redis holds maxclients connections (or fewer, when it lowered maxclients at start to fit its fd limit): it accepts each new one, sends this error and closes it.",
      conditions: ['program-cap', 'emfile'],
    },
  ],
};

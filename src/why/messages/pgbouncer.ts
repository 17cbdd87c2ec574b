/** PgBouncer: its refusal at max_client_conn. */
import type { MessageFamily } from '../types.js';

export const pgbouncer: MessageFamily = {
  id: 'pgbouncer',
  name: "PgBouncer",
  emitter: { label: "PgBouncer", comm: /^pgbouncer$/ },
  entries: [
    {
      id: "pgbouncer-max-client-conn",
      errno: "program cap",
      example: "ERROR no more connections allowed (max_client_conn)",
      source: "pgbouncer src/client.c: disconnect_client(..., \"no more connections allowed (max_client_conn)\")",
      pattern: /no more connections allowed \(max_client_conn\)/i,
      means: "PgBouncer holds max_client_conn client connections: it refuses new ones (its pools to the server are a separate cap).",
      conditions: ['program-cap', 'emfile'],
    },
  ],
};

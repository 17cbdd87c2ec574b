/** PostgreSQL: the server's refusal at max_connections, as its log and its clients (libpq, JDBC, psycopg) print it. */
import type { MessageFamily } from '../types.js';

export const postgresql: MessageFamily = {
  id: 'postgresql',
  name: "PostgreSQL",
  emitter: { label: "PostgreSQL", comm: /^(postgres|postmaster)$/ },
  entries: [
    {
      id: "postgresql-too-many-clients",
      errno: "program cap",
      example: "FATAL:  sorry, too many clients already",
      source: "postgres src/backend/storage/lmgr/proc.c InitProcess: ereport(FATAL, (errcode(ERRCODE_TOO_MANY_CONNECTIONS), errmsg(\"sorry, too many clients already\")))",
      pattern: /sorry, too many clients already/i,
      means: "Every backend slot (max_connections minus the reserved superuser slots) is taken: the new session is refused at once.",
      conditions: ['program-cap'],
    },
    {
      id: "postgresql-reserved-slots",
      errno: "program cap",
      example: "FATAL:  remaining connection slots are reserved for non-replication superuser connections",
      source: "postgres src/backend/utils/init/postinit.c InitPostgres: errmsg(\"remaining connection slots are reserved for ...\")",
      pattern: /remaining connection slots are reserved/i,
      means: "Only the superuser_reserved_connections slots of max_connections are left: ordinary sessions are refused.",
      conditions: ['program-cap'],
    },
  ],
};

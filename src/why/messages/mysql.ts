/** MySQL and MariaDB: error 1040 at max_connections, as clients and the server print it. */
import type { MessageFamily } from '../types.js';

export const mysql: MessageFamily = {
  id: 'mysql',
  name: "MySQL/MariaDB",
  emitter: { label: "MySQL/MariaDB", comm: /^(mysqld|mariadbd)$/ },
  entries: [
    {
      id: "mysql-too-many-connections",
      errno: "program cap",
      example: "ERROR 1040 (HY000): Too many connections",
      source: "mysql-server include/mysqld_error.h ER_CON_COUNT_ERROR 1040 \"Too many connections\" (sql/conn_handler; MariaDB the same)",
      pattern: /\b1040\b.*Too many connections|(?:mysql|mariadb).*Too many connections|message from server: "Too many connections"|^\s*Too many connections\s*$/i,
      means: "The server holds max_connections sessions (plus one reserved for a SUPER/CONNECTION_ADMIN user): new ones are refused.",
      conditions: ['program-cap', 'emfile'],
    },
  ],
};

/** PHP and PHP-FPM: warnings with strerror texts, PDO errors, the FPM master's pool warnings. */
import type { MessageFamily } from '../types.js';

export const php: MessageFamily = {
  id: 'php',
  name: 'PHP and PHP-FPM',
  emitter: { label: 'PHP-FPM or PHP', comm: /^php/ },
  entries: [
    {
      id: 'php-fpm-max-children',
      errno: 'program cap',
      example: 'WARNING: [pool www] server reached pm.max_children setting (5), consider raising it',
      source: 'php-src sapi/fpm/fpm/fpm_process_ctl.c: zlog(ZLOG_WARNING, "[pool %s] server reached pm.max_children setting (%d), consider raising it")',
      pattern: /server reached pm\.max_children setting/i,
      means: "Every worker of the pool is busy: connections wait in the pool's listen queue (its unix socket or port) until one frees; when the queue is full, nginx's connect() gets EAGAIN.",
      conditions: ['program-cap', 'unix-queue-full', 'tcp-queue-full'],
    },
    {
      id: 'php-stream-unix-eagain',
      errno: 'EAGAIN',
      example: 'stream_socket_client(): Unable to connect to unix:///run/app/app.sock (Resource temporarily unavailable)',
      source: 'php-src main/streams/xp_socket.c: "Unable to connect to %s (%s)" with strerror(EAGAIN)',
      pattern: /Unable to connect to unix:\/\/\S+ \(Resource temporarily unavailable\)/i,
      means: "connect() to a unix-domain socket failed with EAGAIN: its listener's accept queue is full.",
      conditions: ['unix-queue-full', 'program-cap'],
      peer: true,
    },
    {
      id: 'php-emfile',
      errno: 'EMFILE',
      example: 'PHP Warning: fopen(/var/www/cache/x.tmp): Failed to open stream: Too many open files',
      source: 'php-src main/streams/plain_wrapper.c: php_error_docref with strerror(EMFILE)',
      pattern: /Failed to open stream: Too many open files(?! in system)/i,
      means: 'The PHP process is out of file descriptors.',
      conditions: ['emfile'],
    },
    {
      id: 'php-pdo-refused',
      errno: 'ECONNREFUSED',
      example: 'SQLSTATE[HY000] [2002] Connection refused',
      source: 'PDO mysql (mysqlnd CR_CONNECTION_ERROR 2002) with strerror(ECONNREFUSED)',
      pattern: /\[2002\] Connection refused/i,
      means: 'Nothing listens at the database address (or unix socket).',
      conditions: ['nothing-listening', 'program-cap'],
      peer: true,
    },
    {
      id: 'php-pdo-eaddrnotavail',
      errno: 'EADDRNOTAVAIL',
      example: 'SQLSTATE[HY000] [2002] Cannot assign requested address',
      source: 'PDO mysql (mysqlnd 2002) with strerror(EADDRNOTAVAIL): one connection per request, local ports used up',
      pattern: /\[2002\] Cannot assign requested address/i,
      means: 'No free local port towards the database: short connections fill TIME_WAIT.',
      conditions: ['eaddrnotavail'],
      peer: true,
    },
  ],
};

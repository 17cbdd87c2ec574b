/** curl: "curl: (N) <message>" (lib/connect.c failf; curl_easy_strerror). */
import type { MessageFamily } from '../types.js';

export const curl: MessageFamily = {
  id: 'curl',
  name: 'curl',
  entries: [
    {
      id: 'curl-refused',
      errno: 'ECONNREFUSED',
      example: 'curl: (7) Failed to connect to localhost port 8080 after 0 ms: Connection refused',
      source: 'curl lib/connect.c: failf(data, "Failed to connect to %s port %u after %ld ms: %s") (7.8x: the errno text)',
      pattern: /\(7\) Failed to connect to \S+ port \d+[^:]*: (Connection refused|Couldn't connect to server)/i,
      means: 'Nothing listens on that port (curl 8 prints "Couldn\'t connect to server" for any connect error, usually this one).',
      conditions: ['nothing-listening', 'eaddrnotavail', 'program-cap'],
    },
    {
      id: 'curl-timeout',
      errno: 'ETIMEDOUT',
      example: 'curl: (28) Failed to connect to 10.0.0.5 port 443 after 130001 ms: Connection timed out',
      source: 'curl lib/connect.c, CURLE_OPERATION_TIMEDOUT on connect',
      pattern: /\(28\) (Failed to connect|Connection timed out|Operation timed out)/i,
      means: 'The handshake did not complete: SYNs dropped (a full queue, conntrack, packet drops).',
      conditions: ['tcp-queue-full', 'conntrack-full', 'softnet-drops'],
    },
    {
      id: 'curl-reset',
      errno: 'ECONNRESET',
      example: 'curl: (56) Recv failure: Connection reset by peer',
      source: 'curl lib/transfer.c: CURLE_RECV_ERROR "Recv failure: %s"',
      pattern: /\(56\) Recv failure: Connection reset by peer/i,
      means: 'The server reset the connection.',
      conditions: ['abort-on-overflow', 'tcp-memory', 'program-cap'],
    },
  ],
};

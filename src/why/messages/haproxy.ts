/** HAProxy: emergency log lines of src/listener.c / src/backend.c and health-check reasons. */
import type { MessageFamily } from '../types.js';

export const haproxy: MessageFamily = {
  id: 'haproxy',
  name: 'HAProxy',
  emitter: { label: 'HAProxy', comm: /^haproxy$/ },
  entries: [
    {
      id: 'haproxy-process-fd-limit',
      errno: 'EMFILE',
      example: "Proxy http-in reached process FD limit (maxsock=4096). Please check 'ulimit-n' and restart.",
      source: 'haproxy src/listener.c listener_accept / src/sock.c, errno EMFILE',
      pattern: /reached process FD limit/i,
      means: 'accept() or socket() failed with EMFILE: HAProxy is out of file descriptors (ulimit-n, or the limit it inherited).',
      conditions: ['emfile', 'program-cap'],
    },
    {
      id: 'haproxy-system-fd-limit',
      errno: 'ENFILE',
      example: 'Proxy http-in reached system FD limit (maxsock=4096). Please check system tunables.',
      source: 'haproxy src/listener.c, errno ENFILE',
      pattern: /reached system FD limit/i,
      means: 'The host is at fs.file-max.',
      conditions: ['enfile'],
    },
    {
      id: 'haproxy-no-free-ports',
      errno: 'EADDRNOTAVAIL',
      example: 'Connect() failed for backend app: no free ports.',
      source: 'haproxy src/proto_tcp.c tcp_connect_server, errno EADDRNOTAVAIL',
      pattern: /Connect\(\) failed for backend \S+: no free ports/i,
      means: 'No free local port towards that backend.',
      conditions: ['eaddrnotavail'],
      peer: true,
    },
    {
      id: 'haproxy-l4-refused',
      errno: 'ECONNREFUSED',
      example: 'Server app/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused"',
      source: 'haproxy src/check.c: health check result with strerror(ECONNREFUSED)',
      pattern: /Layer4 connection problem, info: "Connection refused"/i,
      means: "The health check's SYN was reset: nothing listens on the server's address and port.",
      conditions: ['nothing-listening', 'program-cap'],
      peer: true,
    },
    {
      id: 'haproxy-l4-timeout',
      errno: 'ETIMEDOUT',
      example: 'Server app/s1 is DOWN, reason: Layer4 timeout',
      source: 'haproxy src/check.c: health check connect timeout',
      pattern: /reason: Layer4 timeout/i,
      means: "The health check's handshake did not complete: SYNs dropped (a full queue, conntrack, packet drops).",
      conditions: ['tcp-queue-full', 'conntrack-full', 'softnet-drops'],
      peer: true,
    },
  ],
};

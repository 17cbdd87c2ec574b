/**
 * The bare strerror texts (glibc's, as every C program prints them) and errno names: the last
 * resort when no program above recognises the line; their conditions cover every call.
 */
import type { MessageFamily } from '../types.js';

export const glibc: MessageFamily = {
  id: 'glibc',
  name: 'strerror texts and errno names (any C program; glibc string/_strerror.c, sysdeps/gnu/errlist.h)',
  entries: [
    {
      id: 'strerror-enfile',
      errno: 'ENFILE',
      example: 'Too many open files in system',
      source: 'glibc errlist: ENFILE "Too many open files in system"',
      pattern: /too many open files in system|\bENFILE\b/i,
      means: 'The host is at fs.file-max.',
      conditions: ['enfile'],
    },
    {
      id: 'strerror-emfile',
      errno: 'EMFILE',
      example: 'Too many open files',
      source: 'glibc errlist: EMFILE "Too many open files"',
      pattern: /too many open files|\bEMFILE\b/i,
      means: 'A call that makes an fd failed with EMFILE: the process is out of fds, or, from inotify_init, the uid at its instance limit.',
      conditions: ['emfile', 'inotify-instances'],
    },
    {
      id: 'strerror-eagain',
      errno: 'EAGAIN',
      example: 'Resource temporarily unavailable',
      source: 'glibc errlist: EAGAIN/EWOULDBLOCK "Resource temporarily unavailable"',
      pattern: /resource temporarily unavailable|\bE(AGAIN|WOULDBLOCK)\b/i,
      means: "From connect() to a unix-domain socket: its listener's accept queue is full.",
      conditions: ['unix-queue-full', 'program-cap'],
    },
    {
      id: 'strerror-eaddrnotavail',
      errno: 'EADDRNOTAVAIL',
      example: 'Cannot assign requested address',
      source: 'glibc errlist: EADDRNOTAVAIL "Cannot assign requested address"',
      pattern: /cannot assign requested address/i,
      means: 'connect() found no free local port for the destination, or bind() to an address the host does not have.',
      conditions: ['eaddrnotavail'],
    },
    {
      id: 'strerror-econnrefused',
      errno: 'ECONNREFUSED',
      example: 'Connection refused',
      source: 'glibc errlist: ECONNREFUSED "Connection refused"',
      pattern: /connection refused|\bECONNREFUSED\b/i,
      means: 'Nothing listens there.',
      conditions: ['nothing-listening', 'program-cap'],
    },
    {
      id: 'strerror-econnreset',
      errno: 'ECONNRESET',
      example: 'Connection reset by peer',
      source: 'glibc errlist: ECONNRESET "Connection reset by peer"',
      pattern: /connection reset by peer|\bECONNRESET\b/i,
      means: 'The peer reset the connection.',
      conditions: ['abort-on-overflow', 'tcp-memory', 'program-cap'],
    },
    {
      id: 'strerror-etimedout',
      errno: 'ETIMEDOUT',
      example: 'Connection timed out',
      source: 'glibc errlist: ETIMEDOUT "Connection timed out"',
      pattern: /connection timed out|\bETIMEDOUT\b/i,
      means: 'The handshake did not complete: SYNs dropped.',
      conditions: ['tcp-queue-full', 'conntrack-full', 'softnet-drops'],
    },
  ],
};

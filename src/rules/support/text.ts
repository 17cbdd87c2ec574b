/** Sentences several findings share, so the person on call reads the same words for the same thing. */

/**
 * What clients see when an accept queue overflows, by net.ipv4.tcp_abort_on_overflow
 * (net/ipv4/tcp_minisocks.c tcp_check_req, label listen_overflow): 0 drops the final ACK
 * and keeps the request, 1 answers with a reset (embryonic_reset).
 */
export function overflowClientExperience(abortOnOverflow: number | null): string {
  const zero =
    'the kernel silently drops the final ACK of the handshake and keeps retransmitting its SYN-ACK: ' +
    "the client's connect() already succeeded, so its request just hangs until it times out; " +
    'new SYNs are dropped too, so other clients retry their SYN (after 1 s, 3 s, 7 s ...) and connect slowly or time out';
  const one = 'the kernel answers with a reset: clients fail fast with "connection reset by peer"';
  if (abortOnOverflow === 0) return `With net.ipv4.tcp_abort_on_overflow = 0 (the default), ${zero}.`;
  if (abortOnOverflow !== null && abortOnOverflow !== 0) return `With net.ipv4.tcp_abort_on_overflow = ${abortOnOverflow}, ${one}.`;
  return `net.ipv4.tcp_abort_on_overflow is unknown: if 0 (the default), ${zero}; if 1, ${one}.`;
}

/**
 * What clients of a full unix-domain listener see (net/unix/af_unix.c unix_stream_connect: while
 * unix_recvq_full, a non-blocking connect() returns -EAGAIN, a blocking one sleeps in
 * unix_wait_for_peer until there is room or its send timeout). No counter records it.
 */
export const UNIX_FULL_CLIENT_EXPERIENCE =
  'A non-blocking client\'s connect() fails at once with EAGAIN ("Resource temporarily unavailable"; nginx logs ' +
  '`connect() to unix:... failed (11: Resource temporarily unavailable) while connecting to upstream` and answers 502), ' +
  'a blocking one waits until there is room or its timeout. Unlike TCP no counter records these refusals: only the queue shows them.';

/** Why a program does not take connections off its queue. */
export const NOT_ACCEPTING_CAUSES =
  'The program is not calling accept() fast enough: it is blocked (a lock, a slow dependency, a sleep), ' +
  'too busy, or accept() fails because it is out of file descriptors (EMFILE, "too many open files").';

/** The same for a unix-domain listener, usually a pool of workers behind a local proxy. */
export const UNIX_NOT_ACCEPTING_CAUSES =
  'The program is not calling accept() fast enough: a pool of workers behind it (php-fpm, uwsgi, gunicorn) is all busy ' +
  '(its maximum of workers or children reached, or each stuck on a slow dependency), it is blocked, ' +
  'or accept() fails because it is out of file descriptors (EMFILE, "too many open files").';

/** "1 socket", "129 sockets". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** "~45 s", "~40 min", "~2 h 24 min", "~3 d": how long until something, rounded as a person says it. */
export function approxDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `~${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `~${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `~${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  return `~${Math.round(h / 24)} d`;
}

/** "+18/min", "+0.4/min", "+3/s": a rate of change per second, in the unit that reads best. */
export function ratePerMinute(perSecond: number): string {
  const sign = perSecond < 0 ? '−' : '+';
  const m = Math.abs(perSecond) * 60;
  if (m >= 600) return `${sign}${Math.round(m / 60)}/s`;
  return `${sign}${m >= 10 ? Math.round(m) : Math.round(m * 10) / 10}/min`;
}

/** "850 ms", "4.1 s", "12 s", "2 min 5 s", "1 h 3 min": how long something has waited. */
export function waitText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${Math.round(s * 10) / 10} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const total = Math.round(s);
  if (total < 3600) return `${Math.floor(total / 60)} min${total % 60 ? ` ${total % 60} s` : ''}`;
  const min = Math.round(total / 60);
  return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}

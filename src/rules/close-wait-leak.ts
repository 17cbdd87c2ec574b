/**
 * A process holds many sockets in CLOSE_WAIT: the peer sent FIN, the kernel acknowledged it,
 * and the socket stays until the program calls close() (RFC 793 state diagram; the kernel has
 * no timer for CLOSE_WAIT). Sockets still in an accept queue belong to no process and are
 * close-wait-unaccepted instead.
 */
import { shellQuote } from '../safety/shell-quote.js';
import type { Finding, Rule } from './types.js';
import { CLOSE_WAIT_LEAK_MIN, closeWaitCount, fdFindingId, hasCloseWaitLeak, percent } from './support/levels.js';
import { processRef, processSubject, uniqueRefs } from './support/refs.js';

export const rule: Rule = {
  id: 'close-wait-leak',
  description: `A process holds ${CLOSE_WAIT_LEAK_MIN} or more sockets in CLOSE_WAIT: the peer closed, the program never called close().`,
  check(snapshot, options): Finding[] {
    const out: Finding[] = [];
    for (const p of snapshot.processes) {
      if (!hasCloseWaitLeak(p)) continue;
      const closeWait = closeWaitCount(p);
      const fdId = fdFindingId(p, options);
      const who = `${p.name} (pid ${p.pid})`;
      const parts = [
        `${who} holds ${closeWait} TCP connections in CLOSE_WAIT: the other side closed them, and the program has not called close().`,
        'The kernel never times CLOSE_WAIT out: each one keeps a file descriptor and memory until the program closes it or exits.',
        'Usually a code path that does not close the connection after reading end-of-file or after an error, or a worker stuck before it gets there.',
        'Clients are not hurt by these connections directly, but the program runs out of file descriptors as they pile up.',
      ];
      if (fdId) {
        parts.push(
          `It already uses ${p.fds.open} of ${p.fds.soft} file descriptors (${percent(p.fds.open as number, p.fds.soft)}%): ` +
            'at the limit accept() fails and new clients are no longer served.',
        );
      }
      out.push({
        id: 'close-wait-leak',
        severity: fdId ? 'critical' : 'warning',
        subject: processSubject(p),
        title: `${who} holds ${closeWait} connections in CLOSE_WAIT`,
        evidence: {
          closeWait,
          minimum: CLOSE_WAIT_LEAK_MIN,
          open: p.fds.open,
          soft: p.fds.soft,
          fdUsedPercent: p.fds.open === null ? null : percent(p.fds.open, p.fds.soft),
        },
        explain: parts.join(' '),
        fix: [
          `ss -tnp state close-wait | grep -c 'pid=${p.pid},'   # run again later: a growing count is a leak`,
          `ss -tnp state close-wait | grep 'pid=${p.pid},' | awk '{print $4}' | sort | uniq -c | sort -rn | head   # which peers`,
          `# fix the code path that does not close() on EOF or error; restarting ${shellQuote(p.name)} releases them for now`,
        ],
        related: uniqueRefs(fdId ? [processRef(fdId, p.pid)] : []),
      });
    }
    return out;
  },
};

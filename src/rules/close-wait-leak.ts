/**
 * A process holds many sockets in CLOSE_WAIT: the peer sent FIN, the kernel acknowledged it,
 * and the socket stays until the program calls close() (RFC 793 state diagram; the kernel has
 * no timer for CLOSE_WAIT). Sockets still in an accept queue belong to no process and are
 * close-wait-unaccepted instead. With a sampling window, only sockets that stayed in CLOSE_WAIT
 * the whole window count as a leak (support/close-wait.ts); a count made of new sockets is
 * close-wait-churn. CLOSE_WAIT whose owner sockdoc cannot see (not root) are reported by port:
 * /proc/net/tcp shows every socket to every user.
 */
import type { Snapshot } from '../snapshot/types.js';
import { shellQuote } from '../safety/shell-quote.js';
import { nsCommand, socketsNetns } from './support/netns-fix.js';
import type { Finding, Rule } from './types.js';
import { CLOSE_WAIT_LEAK_MIN, closeWaitCount, fdFindingId, percent } from './support/levels.js';
import { closeWaitWindow, isLeak, windowText, type UnownedCloseWait } from './support/close-wait.js';
import { inNetns, listenerLabel, netnsSubject, processRef, processSubject, processTitle, uniqueRefs } from './support/refs.js';

/** `ss` filter line grouping CLOSE_WAIT peers by address (not address:port: 300 lines of 1). */
export function peersByAddress(filter: string): string {
  return `ss -Htn state close-wait ${filter}| awk '{sub(/:[0-9]+$/, "", $4); print $4}' | sort | uniq -c | sort -rn | head   # which peers`;
}

export const rule: Rule = {
  id: 'close-wait-leak',
  description: `A process (or, not seen as root, a port) holds ${CLOSE_WAIT_LEAK_MIN} or more sockets in CLOSE_WAIT that the program never closed.`,
  check(snapshot, options): Finding[] {
    const out: Finding[] = [];
    const window = closeWaitWindow(snapshot);
    for (const p of snapshot.processes) {
      const closeWait = closeWaitCount(p);
      const counted = window.byPid.get(p.pid);
      const persisted = counted?.persisted ?? null;
      const windowMs = counted?.windowMs ?? 0;
      if (!isLeak({ total: closeWait, persisted }, CLOSE_WAIT_LEAK_MIN)) continue;
      const fdId = fdFindingId(p, options);
      const who = `${p.name} (pid ${p.pid})`;
      const parts = [
        `${who} holds ${closeWait} TCP connections in CLOSE_WAIT: the other side closed them, and the program has not called close().`,
        persisted === null
          ? 'One read only: sockdoc cannot tell a leak from connections the program is about to close (run with a window, --interval 1).'
          : `${persisted} of them stayed in CLOSE_WAIT for the whole ${windowText(windowMs)} window.`,
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
        subject: processSubject(p, snapshot),
        title: `${processTitle(snapshot, p)} holds ${closeWait} connections in CLOSE_WAIT` + (persisted === null ? '' : `, ${persisted} for the whole ${windowText(windowMs)}`),
        evidence: {
          closeWait,
          minimum: CLOSE_WAIT_LEAK_MIN,
          open: p.fds.open,
          soft: p.fds.soft,
          fdUsedPercent: p.fds.open === null ? null : percent(p.fds.open, p.fds.soft),
          persisted,
          windowMs,
        },
        explain: parts.join(' '),
        fix: [
          // ss answers for the namespace it runs in: a container's sockets are seen from inside it.
          `${nsCommand(snapshot, socketsNetns(p), 'ss -tnp state close-wait')} | grep -c 'pid=${p.pid},'   # run again later: a growing count is a leak`,
          `${nsCommand(snapshot, socketsNetns(p), 'ss -tnp state close-wait')} | grep 'pid=${p.pid},' | awk '{sub(/:[0-9]+$/, "", $4); print $4}' | sort | uniq -c | sort -rn | head   # which peers`,
          `# fix the code path that does not close() on EOF or error; restarting ${shellQuote(p.name)} releases them for now`,
        ],
        related: uniqueRefs(fdId ? [processRef(fdId, p.pid)] : []),
      });
    }
    for (const u of window.unowned) if (isLeak(u, CLOSE_WAIT_LEAK_MIN)) out.push(unownedFinding(snapshot, u));
    return out;
  },
};

/** Trouble on a port whose owner is not visible: said by port, with what would show the owner. */
function unownedFinding(snapshot: Snapshot, u: UnownedCloseWait): Finding {
  const windowMs = u.windowMs;
  const label = listenerLabel(u);
  const hidden = !snapshot.host.asRoot;
  const why = hidden ? 'owner not visible: run as root' : 'no visible process holds them';
  return {
    id: 'close-wait-leak',
    severity: 'warning',
    subject: { address: u.address, port: u.port, ...netnsSubject(snapshot, u.netns) },
    title: `${u.total} connections in CLOSE_WAIT on ${label}${inNetns(snapshot, u.netns)} (${why})`,
    evidence: { closeWait: u.total, minimum: CLOSE_WAIT_LEAK_MIN, persisted: u.persisted, windowMs, ownerVisible: false },
    explain: [
      `${u.total} TCP connections on local port ${u.port} are in CLOSE_WAIT: their peers closed them and the program holding them has not called close().`,
      u.persisted === null
        ? 'One read only: sockdoc cannot tell a leak from connections about to be closed.'
        : `${u.persisted} of them stayed in CLOSE_WAIT for the whole ${windowText(windowMs)} window.`,
      hidden
        ? 'The sockets are visible to every user in /proc/net/tcp, but which process holds them is not: its /proc/PID/fd belongs to another user. Run sockdoc as root to name it and see how close it is to its fd limit.'
        : 'No process visible to sockdoc holds them (a process in another PID namespace, or one that exited while its sockets lingered).',
    ].join(' '),
    fix: [
      `sudo ${nsCommand(snapshot, u.netns, `ss -tnp state close-wait '( sport = :${u.port} )'`)} | head   # the owner (users:(("name",pid=N,...)))`,
      nsCommand(snapshot, u.netns, peersByAddress(`'( sport = :${u.port} )' `)),
    ],
  };
}

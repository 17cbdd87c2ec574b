/**
 * Many sockets in CLOSE_WAIT, but not the same ones: compared by inode at the start and the end of
 * the sampling window (support/close-wait.ts), most were replaced. The program does call close(),
 * only late: a server starved of CPU, a slow handler, a long linger before close. Not a leak, and
 * not told as one; the rate of new CLOSE_WAIT says how busy the closing path is.
 */
import type { Finding, Rule } from './types.js';
import { CLOSE_WAIT_LEAK_MIN, closeWaitCount } from './support/levels.js';
import { closeWaitWindow, windowText } from './support/close-wait.js';
import { processSubject, processTitle } from './support/refs.js';
import { nsCommand, socketsNetns } from './support/netns-fix.js';

export const rule: Rule = {
  id: 'close-wait-churn',
  description: `A process holds ${CLOSE_WAIT_LEAK_MIN} or more sockets in CLOSE_WAIT, but they are replaced within the sampling window: closed late, not leaked.`,
  check(snapshot): Finding[] {
    const window = closeWaitWindow(snapshot);
    const out: Finding[] = [];
    for (const p of snapshot.processes) {
      const total = closeWaitCount(p);
      const counted = window.byPid.get(p.pid);
      // No window in this process's namespace (one read, its start unread): nobody can tell churn from a leak.
      if (!counted || counted.persisted === null || counted.windowMs <= 0) continue;
      const { persisted, windowMs } = counted;
      if (total < CLOSE_WAIT_LEAK_MIN || persisted >= CLOSE_WAIT_LEAK_MIN) continue;
      const fresh = total - persisted;
      const perSecond = Math.round((fresh * 1000) / windowMs);
      const span = windowText(windowMs);
      out.push({
        id: 'close-wait-churn',
        severity: 'info',
        subject: processSubject(p, snapshot),
        title: `${processTitle(snapshot, p)} closes its connections late: ${total} in CLOSE_WAIT, ${fresh} of them new within ${span}`,
        evidence: { closeWait: total, persisted, new: fresh, newPerSecond: perSecond, windowMs },
        explain: [
          `${p.name} (pid ${p.pid}) held ${total} connections in CLOSE_WAIT at the end of a ${span} window, but only ${persisted} of them were already in CLOSE_WAIT at its start:`,
          `the program closes them, late, and at least ${perSecond} new ones per second take their place.`,
          'This is not a leak. Each connection keeps a file descriptor until it is closed, so a slower close path (CPU starvation, a slow handler, a lingering close) raises the fd count;',
          'if the count keeps growing, the closing path is falling behind.',
        ].join(' '),
        fix: [
          `top -H -p ${p.pid}   # is the process starved of CPU, or busy?`,
          `${nsCommand(snapshot, socketsNetns(p), 'ss -tnp state close-wait')} | grep -c 'pid=${p.pid},'   # run a few times: steady is churn, growing is a leak`,
        ],
      });
    }
    return out;
  },
};

/**
 * A listener's backlog equals net.core.somaxconn: listen() asked for at least that much and
 * the kernel cut it down (net/socket.c __sys_listen: backlog = min(backlog, somaxconn)).
 */
import type { Finding, Rule } from './types.js';
import { isBacklogClamped, queueFindingId, queueState, synState } from './support/levels.js';
import { describeOwners, inNetns, listenerLabel, listenerRef, listenerSubject, uniqueRefs } from './support/refs.js';
import { somaxconnFix } from './support/netns-fix.js';
import { tunablesOf } from '../snapshot/namespaces.js';

/** net.core.somaxconn default since Linux 5.4 (commit 19f92a030ca6, "increase SOMAXCONN to 4096"). */
const MODERN_SOMAXCONN = 4096;

export const rule: Rule = {
  id: 'backlog-clamped',
  description: 'A listening socket got net.core.somaxconn as its backlog: the program probably asked for more.',
  check(snapshot, options): Finding[] {
    const out: Finding[] = [];
    for (const l of snapshot.listeners) {
      const tunables = tunablesOf(snapshot, l.netns);
      if (!isBacklogClamped(l, tunables)) continue;
      const somaxconn = l.backlog as number;
      const q = queueState(l, tunables, options);
      const queueId = queueFindingId(q);
      // A short queue behind a backlog of the Linux >= 5.4 default (4096) is every healthy Go listener
      // (Go asks for exactly somaxconn): not worth a line. Below it (the old 128), it is a risk to know.
      if (!queueId && somaxconn >= MODERN_SOMAXCONN) continue;
      const label = listenerLabel(l);
      const where = inNetns(snapshot, l.netns);
      // Past the old 128 default a bigger step; at least the Linux >= 5.4 default of 4096.
      const suggested = Math.max(MODERN_SOMAXCONN, somaxconn * 4);
      const related: string[] = [];
      if (queueId) related.push(listenerRef(queueId, l, snapshot));
      if (synState(l, tunables, options).pressured) related.push(listenerRef('syn-queue-pressure', l, snapshot));
      const who = describeOwners(snapshot, l);
      const restart = l.pids.length ? `${who}` : 'the program';

      out.push({
        id: 'backlog-clamped',
        severity: queueId ? 'warning' : 'info',
        subject: listenerSubject(snapshot, l),
        title: `Backlog of ${l.family === 'unix' ? 'unix socket ' : ''}${label}${where} is capped at net.core.somaxconn = ${somaxconn}`,
        evidence: {
          backlog: l.backlog,
          somaxconn,
          acceptQueue: l.acceptQueue,
          queueLevel: q.level ?? 'low',
          suggestedSomaxconn: suggested,
        },
        explain:
          `The listen queue of ${l.family === 'unix' ? 'the unix socket ' : ''}${label}, held by ${who}, takes at most ${somaxconn} + 1 connections because the kernel clamps every listen() backlog to ` +
          `net.core.somaxconn = ${somaxconn}, so the program asked for at least that much. What programs ask for by default: ` +
          (l.family === 'unix'
            ? 'php-fpm and nginx 511, uWSGI 100, gunicorn 2048, systemd .socket units 4096, Go exactly somaxconn (it reads the sysctl); somaxconn caps unix-domain listeners like TCP ones. '
            : "Node.js and nginx 511, Java's ServerSocket 50, Go exactly somaxconn (it reads the sysctl). ") +
          (queueId
            ? `The queue is ${q.level === 'full' ? 'full' : 'filling'} (${l.acceptQueue} waiting), so a larger backlog would absorb bursts; ` +
              'it does not help a program that has stopped accepting altogether. '
            : `The queue is short right now (${l.acceptQueue} waiting); this only matters during bursts. `) +
          'somaxconn is per network namespace and is read when listen() is called: raising it changes nothing for sockets already listening.',
        fix: somaxconnFix(snapshot, l.netns, suggested, { who: restart, listener: l }),
        related: uniqueRefs(related),
      });
    }
    return out;
  },
};

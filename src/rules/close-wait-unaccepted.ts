/**
 * Connections closed by the client while still waiting in a listener's accept queue: CLOSE_WAIT
 * with inode 0 (no file: nobody accepted them). They leave only when the program accept()s and
 * closes them, or exits. Their presence means the program stopped calling accept() (the seed).
 */
import type { Finding, Rule } from './types.js';
import { fdFindingId, overflowState, queueState } from './support/levels.js';
import { describeOwners, distinctNames, firstFew, inNetns, listenerLabel, listenerRef, listenerSubject, netnsRef, OWNERS_NAMED, ownersOf, processRef, uniqueRefs } from './support/refs.js';
import { countersOf, tunablesOf } from '../snapshot/namespaces.js';
import { NOT_ACCEPTING_CAUSES, plural } from './support/text.js';

export const rule: Rule = {
  id: 'close-wait-unaccepted',
  description: 'Connections the client already closed still sit in a listener\'s accept queue: the program is not calling accept().',
  check(snapshot, options): Finding[] {
    const out: Finding[] = [];
    for (const l of snapshot.listeners) {
      if (l.closeWaitUnaccepted <= 0) continue;
      const label = listenerLabel(l);
      const full = queueState(l, tunablesOf(snapshot, l.netns), options).level === 'full';
      const owners = ownersOf(snapshot, l);
      const exhausted = owners.filter((p) => fdFindingId(p, options) === 'fd-limit-exhausted');
      const near = owners.filter((p) => fdFindingId(p, options) === 'fd-limit-near');
      const overflowing = overflowState(countersOf(snapshot, l.netns)) === 'active';

      const parts = [
        `${plural(l.closeWaitUnaccepted, 'connection')} on ${label} ${l.closeWaitUnaccepted === 1 ? 'was' : 'were'} closed by the client ` +
          `before ${describeOwners(snapshot, l)} accepted ${l.closeWaitUnaccepted === 1 ? 'it' : 'them'}: ` +
          'they sit in CLOSE_WAIT in the accept queue, owned by no process (netstat and ss show no PID).',
        'They stay until the program accepts and closes them, or exits; they take room in the queue meanwhile.',
        'Their clients gave up waiting: they saw a timeout, or a connection that never answered.',
        NOT_ACCEPTING_CAUSES,
      ];
      const related: string[] = [];
      if (full) related.push(listenerRef('accept-queue-full', l, snapshot));
      for (const p of exhausted) related.push(processRef('fd-limit-exhausted', p.pid));
      for (const p of near) related.push(processRef('fd-limit-near', p.pid));
      // Holders of one socket may be thousands of forked workers: a few are told, the rest counted.
      const fewOut = firstFew(exhausted, OWNERS_NAMED, (n) => `${plural(n, 'more holder')} ${n === 1 ? 'is' : 'are'} out of file descriptors too (their own findings say which).`);
      const fewNear = firstFew(near, OWNERS_NAMED, (n) => `${plural(n, 'more holder')} ${n === 1 ? 'is' : 'are'} near the file descriptor limit too.`);
      for (const p of fewOut.shown) {
        parts.push(
          `The chain here: ${p.name} (pid ${p.pid}) is out of file descriptors (${p.fds.open} of ${p.fds.soft}) -> accept() fails with EMFILE -> ` +
            `the accept queue ${full ? 'is full' : 'fills'} -> new handshakes are dropped -> clients give up and their connections pile up in CLOSE_WAIT. ` +
            'Raising the fd limit where it is set breaks the chain.',
        );
      }
      if (fewOut.more) parts.push(fewOut.more);
      for (const p of fewNear.shown) {
        parts.push(`${p.name} (pid ${p.pid}) is near its file descriptor limit (${p.fds.open} of ${p.fds.soft}); that alone does not stop accept(), so look for a blocked or busy program too.`);
      }
      if (fewNear.more) parts.push(fewNear.more);
      if (overflowing && full) related.push(netnsRef('listen-overflows', snapshot, l.netns));

      const fix: string[] = [];
      for (const p of fewOut.shown.slice(0, 3)) fix.push(`sockdoc limits ${p.pid}   # raise the fd limit where it is set, then restart`);
      for (const pid of l.pids.slice(0, 3)) fix.push(`strace -f -e trace=accept,accept4 -p ${pid}   # is accept() called, does it fail?`);
      fix.push(`ss -tn state close-wait '( sport = :${l.port} )' | wc -l   # watch the count`);
      fix.push(
        l.pids.length
          ? `# restarting ${distinctNames(owners) || `pid ${l.pids.slice(0, OWNERS_NAMED).join(', ')}${l.pids.length > OWNERS_NAMED ? ', …' : ''}`} releases them (the queue dies with the listener)`
          : '# restarting the program that listens here releases them (the queue dies with the listener)',
      );

      out.push({
        id: 'close-wait-unaccepted',
        severity: full ? 'critical' : 'warning',
        subject: listenerSubject(snapshot, l),
        title: `${plural(l.closeWaitUnaccepted, 'connection')} closed by clients still wait in the accept queue of ${label}${inNetns(snapshot, l.netns)}`,
        evidence: {
          closeWaitUnaccepted: l.closeWaitUnaccepted,
          establishedUnaccepted: l.establishedUnaccepted,
          acceptQueue: l.acceptQueue,
          backlog: l.backlog,
          queueFull: full,
          ownerOutOfFds: exhausted.length > 0,
        },
        explain: parts.join(' '),
        fix,
        related: uniqueRefs(related),
      });
    }
    return out;
  },
};

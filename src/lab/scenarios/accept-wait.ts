/**
 * Clients wait seconds to be accepted while the queue is nowhere near full (the public HAProxy
 * report: 202 clients hung against a backlog of 4096): a server that accepts one connection a
 * second, backlog 4096, and 200 clients. No queue is full and nothing is dropped on it, so the
 * queue's length and every counter look fine; only the waits of the queued connections show it.
 * Beside it, in the same namespace, a listener with a backlog of 4 that never accepts overflows:
 * the namespace's ListenOverflows rise, and sockdoc must put every drop on that listener (its own
 * sk_drops), none on the slow one.
 */
import { checkValue } from '../checks.js';
import type { Scenario } from '../types.js';
import { runRules } from '../../rules/index.js';
import type { Listener, Snapshot } from '../../snapshot/types.js';
import type { Check } from '../types.js';

const ACCEPT_EVERY_MS = 1000;
const BACKLOG = 4096;
const CLIENTS = 200;
/** The listener beside it: a queue of 4 + 1 that nobody drains, and more clients than that. */
const SMALL_BACKLOG = 4;
const SMALL_CLIENTS = 40;
/** The lab netns's somaxconn, so the backlog of 4096 is the queue's real limit. */
const SOMAXCONN = '4096';

function listenerOn(snapshot: Snapshot, port: number): Listener | undefined {
  return snapshot.listeners.find((l) => l.port === port);
}

export const scenario: Scenario = {
  name: 'accept-wait',
  summary: `A server that accepts one connection a second, backlog ${BACKLOG}, ${CLIENTS} clients: no queue full, no drop on it, yet clients wait seconds; a small listener beside it takes every drop.`,
  proves: ['accept-wait-long', 'listen-overflows'],
  flags: [],
  namespace: () => ({ sysctls: { 'net.core.somaxconn': SOMAXCONN }, shapeLoopback: false }),
  async run(lab) {
    const server = await lab.startServer({ behaviour: 'slow-accept', backlog: BACKLOG, acceptEveryMs: ACCEPT_EVERY_MS });
    const port = lab.port;
    const small = await lab.startServer({ behaviour: 'never-accept', backlog: SMALL_BACKLOG, port: lab.mode === 'netns' ? port + 1 : 0 }, undefined, true);
    // Clients that wait for the server's greeting (the server speaks first), patiently.
    const clients = await lab.startClients({ mode: 'greet', count: CLIENTS, batch: 50, batchGapMs: 20, connectTimeoutMs: 30_000, answerTimeoutMs: 30_000 });
    await lab.startClients({ mode: 'hold', count: SMALL_CLIENTS, port: small.port, connectTimeoutMs: 30_000 });
    await lab.sleep(2500);

    let firstWait = 0;
    let firstQueue = 0;
    const limit = Math.min(BACKLOG, lab.somaxconn());
    await lab.step('clients wait, far below the backlog', {
      story: [
        `The server (pid ${server.pid}) called listen(fd, ${BACKLOG}) and accepts one connection a second, greets it, then sleeps.`,
        `${CLIENTS} clients (pid ${clients.pid}) connected at once and wait for their greeting. Beside it, a listener on port ${small.port} (pid ${small.pid}) ` +
          `with a backlog of ${SMALL_BACKLOG} never accepts, and ${SMALL_CLIENTS} clients try it.`,
      ],
      intervalMs: 1000,
      kernel: (o) => [
        checkValue(`Recv-Q is far below the backlog of ${limit}: no queue is full`, o.acceptQueue, (n) => n > 100 && n < limit / 10),
        checkValue('the namespace counted overflows in the 1 s window (the small listener)', o.listenOverflowsDelta, (n) => n > 0),
      ],
      checks: (_o, _c, snapshot) => {
        const slow = listenerOn(snapshot, port);
        const tiny = listenerOn(snapshot, small.port);
        firstWait = slow?.acceptWait?.maxMs ?? 0;
        firstQueue = slow?.acceptQueue ?? 0;
        const overflow = runRules(snapshot).find((f) => f.id === 'listen-overflows');
        const checks: Check[] = [
          checkValue('the slow listener dropped nothing (its own sk_drops)', slow?.drops ?? null, (n) => n === 0),
          checkValue(`the small listener's own drops rose in the window (ss -tlm d<N>)`, tiny?.dropsDelta ?? null, (n) => n > 0),
          checkValue(`the longest-waiting client has waited over ${ACCEPT_EVERY_MS} ms`, slow?.acceptWait?.maxMs ?? null, (n) => n > ACCEPT_EVERY_MS),
          {
            label: `listen-overflows puts the drops on :${small.port}, none on :${port}`,
            ok: overflow?.evidence.attribution === 'per-listener' && String(overflow.evidence.droppingListeners).includes(`:${small.port}=`) && !String(overflow.evidence.droppingListeners).includes(`:${port}=`),
            detail: overflow ? `${overflow.evidence.attribution}: ${overflow.evidence.droppingListeners}` : 'no listen-overflows finding',
          },
        ];
        return checks;
      },
      expect: {
        present: [{ id: 'accept-wait-long', pid: server.pid, port }, { id: 'listen-overflows' }],
        absent: [
          { id: 'accept-queue-full', port },
          { id: 'accept-queue-filling', port },
        ],
      },
    });

    await lab.sleep(2000);
    await lab.step('two seconds later: two more accepted, the rest waited longer', {
      story: ['The server accepted a connection each second; the others still wait.'],
      checks: (_o, _c, snapshot) => {
        const slow = listenerOn(snapshot, port);
        return [
          checkValue(`the longest wait grew (was ${firstWait} ms)`, slow?.acceptWait?.maxMs ?? null, (n) => n >= firstWait + 1000),
          checkValue(`the queue shrank by about one a second (was ${firstQueue})`, slow?.acceptQueue ?? null, (n) => n < firstQueue && n >= firstQueue - 6),
        ];
      },
      expect: {
        present: [{ id: 'accept-wait-long', pid: server.pid, port }],
        absent: [{ id: 'accept-queue-full', port }],
      },
    });
  },
};

/**
 * The seed's loop with a shorter sleep: accept one connection, sleep, accept the next. Clients
 * arrive faster than that, so the queue saturates at backlog + 1 and stays there, the kernel
 * counts overflows, and sockdoc must name the process that owns the full listener.
 */
import { checkValue } from '../checks.js';
import type { Scenario } from '../types.js';
import { LAB_SOMAXCONN, describeOutcomes, outcomeCheck, queueLimit, serverBacklog } from './common.js';

const ACCEPT_EVERY_MS = 250;
const CLIENTS = 500;
const ARRIVAL_GAP_MS = 5;
const TIMEOUT_MS = 2000;

export const scenario: Scenario = {
  name: 'slow-accept',
  summary: `A server that accepts one connection every ${ACCEPT_EVERY_MS} ms while clients keep arriving: the queue saturates and sockdoc names the slow process.`,
  proves: ['accept-queue-full', 'listen-overflows'],
  flags: [],
  namespace: () => ({ sysctls: { 'net.core.somaxconn': LAB_SOMAXCONN }, shapeLoopback: false }),
  async run(lab) {
    const backlog = serverBacklog(lab);
    const limit = queueLimit(lab, backlog);
    const server = await lab.startServer({ behaviour: 'slow-accept', backlog, acceptEveryMs: ACCEPT_EVERY_MS });
    const port = lab.port;
    const clients = await lab.startClients({
      mode: 'greet',
      count: CLIENTS,
      batch: 1,
      batchGapMs: ARRIVAL_GAP_MS,
      connectTimeoutMs: TIMEOUT_MS,
      answerTimeoutMs: TIMEOUT_MS,
    });
    const arrivalMs = CLIENTS * ARRIVAL_GAP_MS;
    const start = lab.elapsed();
    await lab.sleep(800);

    await lab.step('clients arrive faster than the server accepts', {
      story: [
        `The server (pid ${server.pid}) accepts one connection, greets it, closes it, then sleeps ${ACCEPT_EVERY_MS} ms before the next accept(): ` +
          `${1000 / ACCEPT_EVERY_MS} connections a second.`,
        `Clients (pid ${clients.pid}) arrive one every ${ARRIVAL_GAP_MS} ms (${1000 / ARRIVAL_GAP_MS} a second) for ${arrivalMs / 1000} s, ` +
          `and give up after ${TIMEOUT_MS / 1000} s without a connection or a greeting.`,
      ],
      intervalMs: 1000,
      // Each accept frees one slot for a few ms until the next client takes it.
      until: (o) => o.acceptQueue === limit + 1,
      kernel: (o) => [
        checkValue(`Recv-Q is the backlog + 1 = ${limit + 1}: the queue is saturated`, o.acceptQueue, (n) => n === limit + 1),
        checkValue('ListenOverflows rose during the 1 s window', o.listenOverflowsDelta, (n) => n > 0),
        checkValue('clients wait in SYN_SENT', o.client.SYN_SENT ?? 0, (n) => n > 0),
      ],
      checks: () => {
        const accepted = server.peer.all('accepted').at(-1)?.total ?? 0;
        const seconds = (lab.elapsed() - start) / 1000;
        return [checkValue(`the server accepted about ${1000 / ACCEPT_EVERY_MS} a second (${seconds.toFixed(1)} s in)`, accepted, (n) => n > 0 && n <= Math.ceil(seconds * (1000 / ACCEPT_EVERY_MS)) + 1)];
      },
      expect: {
        present: [{ id: 'accept-queue-full', pid: server.pid, port }, { id: 'listen-overflows' }],
        absent: [{ id: 'fd-limit-exhausted' }, { id: 'close-wait-leak' }],
      },
    });

    await lab.sleep(Math.max(0, start + arrivalMs + 200 - lab.elapsed()));
    await lab.step('the clients stop arriving', {
      story: ['Every client has arrived; the early ones have had their answer or given up.'],
      clients: clients.peer,
      checks: (_o, c) => [
        outcomeCheck('the few clients the server reached got their greeting', c, 'answered', (n) => n > 0),
        checkValue(
          'most clients gave up (connect timeout or no greeting)',
          c ? c.timeout + c.noAnswer : null,
          (n) => n > (c?.answered ?? 0),
        ),
      ],
      expect: { present: [{ id: 'accept-queue-full', pid: server.pid, port }] },
      until: (o) => o.acceptQueue === limit + 1,
    });
    const verdict = lab.steps.at(-1)?.clients;
    if (verdict) lab.note(`Client outcomes: ${describeOutcomes(verdict)}.`);
  },
};

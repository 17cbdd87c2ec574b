/**
 * The false-positive control: the accept-queue story's load against a server that accepts,
 * answers and closes. sockdoc must stay quiet (info findings only, like backlog-clamped when the
 * queue is short).
 */
import { checkValue } from '../checks.js';
import type { Scenario } from '../types.js';
import { LAB_SOMAXCONN, outcomeCheck, serverBacklog } from './common.js';

const CLIENTS = 200;
const WAVE = 50;
const WAVE_GAP_MS = 150;

export const scenario: Scenario = {
  name: 'healthy',
  summary: `A well-behaved server under the accept-queue load (${CLIENTS} clients): no warning or critical finding.`,
  proves: ['no false positives'],
  flags: [],
  namespace: () => ({ sysctls: { 'net.core.somaxconn': LAB_SOMAXCONN }, shapeLoopback: false }),
  async run(lab) {
    const server = await lab.startServer({ behaviour: 'serve', backlog: serverBacklog(lab) });
    const clients = await lab.startClients({ mode: 'greet', count: CLIENTS, batch: WAVE, batchGapMs: WAVE_GAP_MS });
    await lab.sleep(100);

    await lab.step(`${CLIENTS} clients against a server that keeps up`, {
      story: [
        `The server (pid ${server.pid}) accepts every connection, greets it and closes it.`,
        `${CLIENTS} clients (pid ${clients.pid}) connect in waves of ${WAVE}, ${WAVE_GAP_MS} ms apart, during the 1 s sampling window.`,
      ],
      intervalMs: 1000,
      kernel: (o) => [
        checkValue('the accept queue is drained', o.acceptQueue, (n) => n <= 1),
        checkValue('no overflow during the window', o.listenOverflowsDelta, (n) => n === 0),
      ],
      expect: { quiet: true },
    });

    await lab.settle(clients.peer, (o) => o.answered === CLIENTS);
    await lab.step('the load is over', {
      story: ['Every client has had its answer and closed.'],
      clients: clients.peer,
      checks: (o, c) => [
        outcomeCheck(`all ${CLIENTS} clients were answered`, c, 'answered', (n) => n === CLIENTS),
        checkValue('nothing waits in CLOSE_WAIT', o.server.CLOSE_WAIT ?? 0, (n) => n === 0),
      ],
      expect: { quiet: true },
    });
  },
};

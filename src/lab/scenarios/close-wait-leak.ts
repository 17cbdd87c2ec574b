/**
 * A server that accepts and never closes. When the clients hang up, each of its sockets gets the
 * peer's FIN and sits in CLOSE_WAIT until the program calls close() — the kernel has no timer for
 * that state — and, unlike the seed's, these are owned: the process holds their descriptors.
 */
import { checkValue } from '../checks.js';
import type { Scenario } from '../types.js';
import { LAB_SOMAXCONN, outcomeCheck, serverBacklog } from './common.js';
import { WAIT_MS } from '../lab.js';

const CLIENTS = 50;

export const scenario: Scenario = {
  name: 'close-wait-leak',
  summary: `A server that accepts ${CLIENTS} connections and never closes them; the clients hang up: CLOSE_WAIT held by the server.`,
  proves: ['close-wait-leak'],
  flags: [],
  namespace: () => ({ sysctls: { 'net.core.somaxconn': LAB_SOMAXCONN }, shapeLoopback: false }),
  async run(lab) {
    const server = await lab.startServer({ behaviour: 'hold', backlog: serverBacklog(lab) });
    const clients = await lab.startClients({ mode: 'hold', count: CLIENTS });
    await server.peer.waitFor('accepted', WAIT_MS, (e) => e.total === CLIENTS);
    await lab.settle(clients.peer, (o) => o.connected === CLIENTS);

    await lab.step(`${CLIENTS} clients connected, the server accepted them all`, {
      story: [`The server (pid ${server.pid}) accepted ${CLIENTS} connections from the clients (pid ${clients.pid}); nobody has closed anything yet.`],
      clients: clients.peer,
      checks: (o, c) => [
        outcomeCheck(`all ${CLIENTS} clients are connected`, c, 'connected', (n) => n === CLIENTS),
        checkValue('no CLOSE_WAIT yet', o.server.CLOSE_WAIT ?? 0, (n) => n === 0),
      ],
      expect: { absent: [{ id: 'close-wait-leak' }, { id: 'close-wait-unaccepted' }] },
    });

    await clients.peer.ask({ cmd: 'hangup' }, 'hung-up', WAIT_MS);
    await lab.sleep(300);
    await lab.step('the clients hang up; the server never closes', {
      story: [
        'Each client called close() (a FIN on the wire). The kernel acknowledged every FIN for the server,',
        'which reads end-of-file and ignores it: the sockets stay in CLOSE_WAIT, held by the server, until it calls close() or exits.',
      ],
      kernel: (o) => [
        checkValue(
          `${CLIENTS} server-side CLOSE_WAIT, all held by the server`,
          (o.server.CLOSE_WAIT ?? 0) - (o.serverUnowned.CLOSE_WAIT ?? 0),
          (n) => n === CLIENTS,
        ),
        checkValue(`the clients' ends wait in FIN_WAIT2`, o.client.FIN_WAIT2 ?? 0, (n) => n === CLIENTS),
      ],
      expect: {
        present: [{ id: 'close-wait-leak', pid: server.pid }],
        absent: [{ id: 'close-wait-unaccepted' }, { id: 'close-wait-leak', pid: clients.pid }],
      },
    });
  },
};

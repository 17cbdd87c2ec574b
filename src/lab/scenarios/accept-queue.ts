/**
 * The seed: a server that never calls accept(). The queue holds backlog + 1 (include/net/sock.h
 * sk_acceptq_is_full), further SYNs are dropped (tcp_conn_request) so their clients sit in
 * SYN_SENT, handshakes already under way end in SYN_RECV on the server (tcp_check_req
 * listen_overflow) — or in a reset with tcp_abort_on_overflow=1 — and once the clients die the
 * queued connections turn CLOSE_WAIT with no process to close them.
 */
import { checkValue } from '../checks.js';
import type { Scenario } from '../types.js';
import { LAB_SOMAXCONN, describeOutcomes, outcomeCheck, queueLimit, serverBacklog } from './common.js';

const CLIENTS = 200;
const WAVE = 50;
const WAVE_GAP_MS = 150;
const CONNECT_TIMEOUT_MS = 3000;

export const scenario: Scenario = {
  name: 'accept-queue',
  summary: 'A server that never accepts (the seed): Recv-Q 129 over a backlog of 128, SYN_SENT clients, overflows, then CLOSE_WAIT no process owns.',
  proves: ['accept-queue-full', 'backlog-clamped', 'listen-overflows', 'close-wait-unaccepted'],
  flags: ['abort-on-overflow'],
  namespace: (options) => ({
    sysctls: {
      'net.core.somaxconn': LAB_SOMAXCONN,
      'net.ipv4.tcp_abort_on_overflow': options.abortOnOverflow ? '1' : '0',
    },
    shapeLoopback: true,
  }),
  async run(lab) {
    const netns = lab.mode === 'netns';
    const abort = lab.options.abortOnOverflow;
    const backlog = serverBacklog(lab);
    const limit = queueLimit(lab, backlog);
    const server = await lab.startServer({ behaviour: 'never-accept', backlog });
    const port = lab.port;
    const clients = await lab.startClients({
      mode: 'hold',
      count: CLIENTS,
      batch: WAVE,
      batchGapMs: WAVE_GAP_MS,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    const started = lab.elapsed();
    const waves = Math.ceil(CLIENTS / WAVE);
    await lab.sleep((waves - 1) * WAVE_GAP_MS + 150);

    await lab.step(`${CLIENTS} clients connect to a server that never accepts`, {
      story: [
        `The server (pid ${server.pid}) called listen(fd, ${backlog}) on ${lab.port === 0 ? 'a free port' : `port ${port}`} ` +
          `with net.core.somaxconn = ${lab.somaxconn()}, and sleeps instead of calling accept().`,
        `${CLIENTS} clients (pid ${clients.pid}) connected in ${waves} waves of ${WAVE}, ${WAVE_GAP_MS} ms apart; each gives up after ${CONNECT_TIMEOUT_MS / 1000} s.`,
      ],
      intervalMs: 1000,
      clients: clients.peer,
      kernel: (o) => [
        checkValue(`the listener's backlog (Send-Q) is ${limit}`, o.backlog, (n) => n === limit),
        checkValue(`Recv-Q is the backlog + 1 = ${limit + 1}`, o.acceptQueue, (n) => n === limit + 1),
        checkValue('clients beyond the queue wait in SYN_SENT', o.client.SYN_SENT ?? 0, (n) => n > 0),
        checkValue('the kernel counts ListenOverflows', o.listenOverflows, (n) => n > 0),
        // Loopback is shaped only in the lab namespace; there a wave's SYNs all pass before its ACKs fill the queue.
        ...(netns && !abort ? [checkValue('handshakes that completed at a full queue sit in SYN_RECV on the server', o.server.SYN_RECV ?? 0, (n) => n > 0)] : []),
      ],
      expect: {
        present: [{ id: 'accept-queue-full', pid: server.pid, port }, { id: 'listen-overflows' }, ...(netns ? [{ id: 'backlog-clamped', port }] : [])],
        absent: [{ id: 'close-wait-unaccepted' }],
      },
    });

    // Let every client's connect timer run out, so each has its final verdict.
    await lab.sleep(Math.max(0, started + (waves - 1) * WAVE_GAP_MS + CONNECT_TIMEOUT_MS + 300 - lab.elapsed()));
    await lab.step(`${CONNECT_TIMEOUT_MS / 1000} s on: what the clients saw`, {
      story: [
        abort
          ? 'tcp_abort_on_overflow = 1: a handshake that completes at a full queue is answered with a reset.'
          : 'tcp_abort_on_overflow = 0: a handshake that completes at a full queue is dropped; the client believes it is connected.',
        'SYNs that reach a full queue are dropped either way (Linux >= 4.5 checks the queue at the SYN): those clients time out.',
      ],
      intervalMs: 1000,
      clients: clients.peer,
      checks: (o, c) => [
        outcomeCheck('clients whose SYN met a full queue timed out', c, 'timeout', (n) => n > 0),
        ...(abort
          ? [outcomeCheck('clients whose handshake completed at a full queue were reset', c, 'reset', (n) => n > 0)]
          : [outcomeCheck('no client was reset (tcp_abort_on_overflow = 0)', c, 'reset', (n) => n === 0)]),
        ...(netns && abort ? [checkValue('no handshake is left in SYN_RECV: they were reset', o.server.SYN_RECV ?? 0, (n) => n === 0)] : []),
        outcomeCheck(`clients "connected" = ${limit + 1} queued${abort || !netns ? '' : ' + the ones held in SYN_RECV'}`, c, 'connected', (n) =>
          abort || !netns ? n === limit + 1 : n === limit + 1 + (o.server.SYN_RECV ?? 0),
        ),
      ],
      expect: { present: [{ id: 'accept-queue-full', pid: server.pid, port }] },
    });
    const verdict = lab.steps.at(-1)?.clients;
    if (verdict) lab.note(`Client outcomes with tcp_abort_on_overflow=${abort ? 1 : 0}: ${describeOutcomes(verdict)}.`);

    await clients.peer.kill();
    await lab.sleep(300);
    await lab.step('the clients are killed', {
      story: [
        `The clients' process was killed: the kernel sent a FIN on each of their connections.`,
        `The ${limit + 1} queued connections move to CLOSE_WAIT. Nobody accepted them, so no process can close them: they stay until the server accepts or exits.`,
      ],
      kernel: (o) => [
        checkValue(`${limit + 1} server-side CLOSE_WAIT owned by no process`, o.serverUnowned.CLOSE_WAIT ?? 0, (n) => n === limit + 1),
        checkValue(`Recv-Q still ${limit + 1}: they still fill the queue`, o.acceptQueue, (n) => n === limit + 1),
      ],
      expect: {
        present: [{ id: 'close-wait-unaccepted', port }, { id: 'accept-queue-full', pid: server.pid, port }],
        absent: [{ id: 'close-wait-leak' }],
      },
    });
  },
};

/**
 * A server that leaks one descriptor per request at a steady rate: its open count climbs towards
 * RLIMIT_NOFILE, past the warning ratio (fd-limit-near) and into exhaustion (fd-limit-exhausted),
 * where open() and accept() fail with EMFILE.
 */
import { DEFAULT_RULE_OPTIONS } from '../../rules/types.js';
import { checkValue } from '../checks.js';
import type { Lab } from '../lab.js';
import { WAIT_MS } from '../lab.js';
import type { Peer } from '../peer-process.js';
import type { Scenario } from '../types.js';
import { LAB_SOMAXCONN } from './common.js';

const NOFILE = 128;
const GAP_MS = 10;

/** Sends `count` requests one after the other and waits until the clients report them sent. */
async function send(lab: Lab, clients: Peer, count: number): Promise<void> {
  if (count <= 0) return;
  await clients.ask({ cmd: 'send', count, gapMs: GAP_MS }, 'sent', WAIT_MS + count * (GAP_MS + 20));
  await lab.sleep(100); // the last connection's descriptor is released after its answer
}

export const scenario: Scenario = {
  name: 'fd-leak',
  summary: `A server that leaks one descriptor per request, ${1000 / GAP_MS} requests a second, under RLIMIT_NOFILE ${NOFILE}: fd-limit-near, then fd-limit-exhausted.`,
  proves: ['fd-limit-near', 'fd-limit-exhausted'],
  flags: [],
  namespace: () => ({ sysctls: { 'net.core.somaxconn': LAB_SOMAXCONN }, shapeLoopback: false }),
  async run(lab) {
    const server = await lab.startServer({ behaviour: 'leak-fd', backlog: 128 }, NOFILE);
    const baseline = server.peer.all('ready')[0]?.openFds ?? 20;
    const clients = await lab.startClients({ mode: 'greet', count: 0, connectTimeoutMs: 1000, answerTimeoutMs: 1000 });
    const near = Math.ceil(((DEFAULT_RULE_OPTIONS.fdWarning + DEFAULT_RULE_OPTIONS.fdCritical) / 2) * NOFILE);
    const exhausted = Math.ceil(DEFAULT_RULE_OPTIONS.fdCritical * NOFILE);

    await send(lab, clients.peer, near - baseline);
    await lab.step('the leak passes the warning ratio', {
      story: [
        `The server (pid ${server.pid}, soft limit ${NOFILE}) started with ${baseline} descriptors open and keeps one /dev/null open per request.`,
        `${near - baseline} requests later (one every ${GAP_MS} ms) it holds about ${near}.`,
      ],
      kernel: (o) => [
        checkValue(
          `the server holds between ${DEFAULT_RULE_OPTIONS.fdWarning * 100}% and ${DEFAULT_RULE_OPTIONS.fdCritical * 100}% of ${NOFILE}`,
          o.fds.find((f) => f.pid === server.pid)?.open ?? null,
          (n) => n >= DEFAULT_RULE_OPTIONS.fdWarning * NOFILE && n < exhausted,
        ),
      ],
      expect: { present: [{ id: 'fd-limit-near', pid: server.pid }], absent: [{ id: 'fd-limit-exhausted' }] },
    });

    const current = lab.steps.at(-1)?.observation.fds.find((f) => f.pid === server.pid)?.open ?? near;
    // A few requests past the limit: the leak then fails with EMFILE, like the program's next accept().
    await send(lab, clients.peer, NOFILE - current + 3);
    const emfile = await server.peer.waitFor('emfile', WAIT_MS);
    await lab.step('the leak reaches the limit', {
      story: [
        `More requests at the same rate: after ${emfile.leaked} leaked descriptors the server's next open() failed:`,
        `  ${emfile.message}`,
      ],
      kernel: (o) => [
        checkValue(`the server holds at least ${exhausted} of ${NOFILE}`, o.fds.find((f) => f.pid === server.pid)?.open ?? null, (n) => n >= exhausted),
      ],
      expect: { present: [{ id: 'fd-limit-exhausted', pid: server.pid }], absent: [{ id: 'fd-limit-near', pid: server.pid }] },
    });
  },
};

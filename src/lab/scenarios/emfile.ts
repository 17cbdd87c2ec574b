/**
 * The chain in the seed's title: a server out of file descriptors cannot accept(), so its queue
 * fills behind it. The server backs off on EMFILE like Go's net/http (it stops calling accept()),
 * unlike a plain libuv loop whose EMFILE trick would accept and close every waiting connection
 * (kernel-facts §7). Its limit comes from a launcher shell's `ulimit -n`, which `sockdoc limits`
 * must name.
 */
import { explainLimits } from '../../provenance/explain.js';
import { checkValue } from '../checks.js';
import type { Check, Scenario } from '../types.js';
import { LAB_SOMAXCONN, queueLimit, serverBacklog } from './common.js';

const NOFILE = 64;
const CLIENTS = 200;
const WAVE = 50;
const WAVE_GAP_MS = 150;

export const scenario: Scenario = {
  name: 'emfile',
  summary: `A server under RLIMIT_NOFILE ${NOFILE} accepts until EMFILE, then stops: the queue fills behind it (fd limit -> full queue).`,
  proves: ['fd-limit-exhausted', 'accept-queue-full', 'limits: the launcher set the limit'],
  flags: [],
  namespace: () => ({ sysctls: { 'net.core.somaxconn': LAB_SOMAXCONN }, shapeLoopback: false }),
  async run(lab) {
    const backlog = serverBacklog(lab);
    const limit = queueLimit(lab, backlog);
    const server = await lab.startServer({ behaviour: 'emfile-backoff', backlog, retryMs: 1000 }, NOFILE);
    const launcher = server.peer.launcherPid;
    const port = lab.port;
    const clients = await lab.startClients({ mode: 'hold', count: CLIENTS, batch: WAVE, batchGapMs: WAVE_GAP_MS, connectTimeoutMs: 4000 });
    const started = lab.elapsed();
    const emfile = await server.peer.waitFor('emfile', 5000);
    await lab.sleep(Math.max(0, started + Math.ceil(CLIENTS / WAVE) * WAVE_GAP_MS - lab.elapsed()));

    await lab.step('the server runs out of file descriptors', {
      story: [
        `A launcher shell (pid ${launcher}) ran \`ulimit -n ${NOFILE}\` and started the server (pid ${server.pid}) — a wrapper script in miniature.`,
        `${CLIENTS} clients (pid ${clients.pid}) connect and stay. The server accepted ${emfile.accepted} of them, then hit EMFILE and logged:`,
        `  ${emfile.message}`,
        'Like Go, it retries later instead of accepting: the kernel keeps queueing behind it.',
      ],
      intervalMs: 1000,
      kernel: (o) => {
        const fds = o.fds.find((f) => f.pid === server.pid);
        return [
          checkValue(`the server has no descriptor left (${NOFILE} open or more)`, fds?.open ?? null, (n) => n >= NOFILE),
          checkValue(`Recv-Q is the backlog + 1 = ${limit + 1}`, o.acceptQueue, (n) => n === limit + 1),
          checkValue('clients beyond the queue wait in SYN_SENT', o.client.SYN_SENT ?? 0, (n) => n > 0),
        ];
      },
      checks: () => limitsChecks(server.pid, launcher),
      expect: {
        present: [
          { id: 'fd-limit-exhausted', pid: server.pid },
          { id: 'accept-queue-full', pid: server.pid, port },
          { id: 'listen-overflows' },
        ],
        absent: [{ id: 'fd-limit-exhausted', pid: clients.pid }],
      },
    });
  },
};

/** `sockdoc limits` on the server: the layer is the launcher shell and its `ulimit -n`. */
function limitsChecks(serverPid: number, launcherPid: number): Check[] {
  const origin = explainLimits('/', [serverPid]).get(serverPid);
  const source = origin?.source;
  const said = source ? `${source.layer}, pid ${source.pid ?? '-'}${source.setting ? `, ${source.setting}` : ''}: ${source.reason}` : 'no answer';
  return [
    {
      label: `sockdoc limits names the launcher shell (pid ${launcherPid}) as the layer that set ${NOFILE}`,
      ok: source?.layer === 'shell' && source.pid === launcherPid,
      detail: said,
    },
    checkValue(`sockdoc limits reads the server's soft limit as ${NOFILE}`, origin?.soft ?? null, (n) => n === NOFILE),
  ];
}

/**
 * The lab's fd-leak peers (src/lab/peers: a server that leaks one descriptor per request, and
 * clients that send requests at a steady pace), run for the watch and dashboard tests at a slower
 * rate and for longer than `sockdoc lab fd-leak`, so a trend can build up. Loopback only, port 0,
 * every process killed by stop() and by its own lifetime.
 */
import { Peer } from '../lab/peer-process.js';
import { uniqueName } from './unique.js';

export interface LeakingServer {
  /** pid of the leaking node process (not its launcher shell). */
  pid: number;
  /** pid of the clients' node process. */
  clientsPid: number;
  port: number;
  /** Open descriptors at start. */
  baseline: number;
  stop(): Promise<void>;
}

/**
 * With `netns`, both peers run in that network namespace (`ip netns exec`, which execs them: the
 * pids stay theirs), so that a test can narrow sockdoc to it (--netns) and judge only them.
 */
export async function startLeakingServer(opts: { nofile: number; gapMs: number; requests: number; lifetimeMs: number; netns?: string }): Promise<LeakingServer> {
  const labId = uniqueName('sockdoc-leak-test');
  const wrap = opts.netns ? ['ip', 'netns', 'exec', opts.netns] : [];
  const server = Peer.start({
    script: 'server',
    config: { labId, host: '127.0.0.1', port: 0, backlog: 128, behaviour: 'leak-fd', acceptEveryMs: 0, retryMs: 0, lifetimeMs: opts.lifetimeMs },
    nofile: opts.nofile,
  }, wrap);
  let clients: Peer | null = null;
  const stop = async () => {
    await Promise.all([server.kill(), clients?.kill()]);
  };
  try {
    const ready = await server.waitFor('ready', 10_000);
    clients = Peer.start({
      script: 'clients',
      config: {
        labId,
        host: '127.0.0.1',
        port: ready.port,
        mode: 'greet',
        count: 0,
        batch: 1,
        batchGapMs: 0,
        connectTimeoutMs: 1000,
        answerTimeoutMs: 1000,
        lifetimeMs: opts.lifetimeMs,
      },
    }, wrap);
    const clientsReady = await clients.waitFor('ready', 10_000);
    clients.send({ cmd: 'send', count: opts.requests, gapMs: opts.gapMs });
    return { pid: ready.pid, clientsPid: clientsReady.pid, port: ready.port, baseline: ready.openFds ?? 0, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

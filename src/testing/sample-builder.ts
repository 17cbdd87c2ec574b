/**
 * A Sample and a SampleSource over synthetic snapshots, for the watch screen and dashboard tests:
 * a leaking process, a filling listener, counters that rise; recorded through the real History and
 * analysed by the real rules.
 */
import { History } from '../history/history.js';
import { runRules } from '../rules/index.js';
import { DEFAULT_RULE_OPTIONS } from '../rules/types.js';
import type { Sample, SampleSource } from '../watch/sampler.js';
import { withDeltasSince } from '../watch/sampler.js';
import type { Snapshot } from '../snapshot/types.js';
import { HISTORY_T0 } from './history-builder.js';
import { listener, proc, snapshot } from './snapshot-builder.js';

/**
 * Sample `i` of a host where pid 4242 ("leaky") gains 3 fds every 2 s and port 8080's queue grows;
 * `crowd` more processes (pids 9000…) sit at their limit meanwhile, fuller than it.
 */
export function leakySnapshot(i: number, name = 'leaky', crowd = 0): Snapshot {
  const s = snapshot({
    processes: [
      proc({ pid: 4242, name, open: 100 + 3 * i, soft: 1024, hard: 4096, sockets: { LISTEN: 1, CLOSE_WAIT: i } }),
      proc({ pid: 77, name: 'quiet', open: 30, soft: 1024 }),
      ...Array.from({ length: crowd }, (_, k) => proc({ pid: 9000 + k, name: 'full', open: 64, soft: 64, hard: 64 })),
    ],
    listeners: [listener({ address: '127.0.0.1', port: 8080, pids: [4242], acceptQueue: Math.min(129, 4 * i), backlog: 128, synRecv: 1 })],
    values: { 'TcpExt.ListenOverflows': 10 * i, 'Tcp.PassiveOpens': 100 * i },
  });
  s.host.takenAt = new Date(HISTORY_T0 + i * 2000).toISOString();
  s.host.hostname = 'web-1';
  return s;
}

/** `n` samples of leakySnapshot through a History, as the Sampler would make them. */
export function leakySource(n: number, name = 'leaky', crowd = 0): SampleSource & { publish(s: Sample): void } {
  const history = new History({ capacity: 1800 });
  const listeners = new Set<(s: Sample) => void>();
  let last: Sample | null = null;
  let prev: Snapshot | null = null;
  for (let i = 0; i < n; i++) {
    const s = leakySnapshot(i, name, crowd);
    if (prev) withDeltasSince(s, prev);
    prev = s;
    const at = Date.parse(s.host.takenAt);
    history.record(s, at);
    last = { snapshot: s, findings: runRules(s, DEFAULT_RULE_OPTIONS, undefined, { history }), at, tookMs: 12 };
  }
  return {
    history,
    latest: () => last,
    subscribe(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    publish(s) {
      last = s;
      for (const fn of listeners) fn(s);
    },
  };
}

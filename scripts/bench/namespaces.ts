/**
 * `npm run bench -- --namespaces N`: the same socket fleet built twice, first in one network
 * namespace, then spread over N (pair i in namespace i mod N), and `sockdoc --interval 0 --json`
 * timed from the HOST namespace each time, so sockdoc has to discover every namespace and read each
 * from inside it (native/netns.c). The ratio says what reading many namespaces costs.
 */
import { spawnSync } from 'node:child_process';
import { planFleet, startFleet } from './fleet.js';
import { createNetns, destroyNetns, inNetns, runOrThrow } from './netns.js';
import { median } from './measure.js';

export interface LayoutResult {
  namespaces: number;
  buildSeconds: number;
  /** Sockets sockdoc saw (sum of socketStates over every namespace, the host's included). */
  seen: number;
  timesS: number[];
  medianS: number | null;
}

export interface NamespacesBenchResult {
  sockets: number;
  pairs: number;
  runs: number;
  layouts: LayoutResult[];
  /** median(N namespaces) / median(1 namespace). */
  ratio: number | null;
}

function timeSockdoc(cli: string): { ms: number; seen: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, '--interval', '0', '--json'], { encoding: 'utf8', maxBuffer: 512 << 20, timeout: 180_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status === null || r.status > 2) throw new Error(`sockdoc exited ${r.status ?? r.signal}: ${r.stderr.split('\n')[0]}`);
  const states = (JSON.parse(r.stdout) as { socketStates: Record<string, number> }).socketStates;
  return { ms, seen: Object.values(states).reduce((n, v) => n + v, 0) };
}

async function layout(count: number, sockets: number, pairs: number, runs: number, cli: string, peerScript: string, made: string[], progress: (t: string) => void): Promise<LayoutResult> {
  const names = Array.from({ length: count }, (_, i) => `sockdoc-bench-${process.pid}-${i}`);
  for (const ns of names) {
    createNetns(ns);
    made.push(ns);
    runOrThrow(...inNetns(ns, 'sh', ['-c', "echo '10000 65000' > /proc/sys/net/ipv4/ip_local_port_range"]));
  }
  const plan = planFleet(sockets, pairs);
  const t0 = Date.now();
  await startFleet((pair) => names[pair % count], peerScript, plan, 60_000 + sockets * 2, (held, total) => progress(`${count} namespace(s): building ${held}/${total}`));
  const buildSeconds = (Date.now() - t0) / 1000;
  const check = timeSockdoc(cli);
  if (check.seen < plan.expectedSockets) throw new Error(`sockdoc saw ${check.seen} sockets, the fleet holds ${plan.expectedSockets}`);
  const timesS: number[] = [];
  for (let i = 0; i < runs; i++) {
    progress(`${count} namespace(s): run ${i + 1}/${runs}`);
    timesS.push(timeSockdoc(cli).ms / 1000);
  }
  for (const ns of names) destroyNetns(ns);
  made.length = 0;
  return { namespaces: count, buildSeconds, seen: check.seen, timesS, medianS: median(timesS) };
}

export async function benchNamespaces(opts: { sockets: number; runs: number; namespaces: number }, cli: string, peerScript: string, made: string[], progress: (t: string) => void): Promise<NamespacesBenchResult> {
  const pairs = Math.max(opts.namespaces, Math.ceil(opts.sockets / 2 / 7500));
  const one = await layout(1, opts.sockets, pairs, opts.runs, cli, peerScript, made, progress);
  const many = await layout(opts.namespaces, opts.sockets, pairs, opts.runs, cli, peerScript, made, progress);
  const ratio = one.medianS && many.medianS ? many.medianS / one.medianS : null;
  return { sockets: opts.sockets, pairs, runs: opts.runs, layouts: [one, many], ratio };
}

export function formatNamespacesBench(r: NamespacesBenchResult): string {
  const rows = r.layouts.map(
    (l) => `| sockdoc --interval 0 --json, ${l.namespaces} namespace${l.namespaces === 1 ? '' : 's'} | ${l.medianS?.toFixed(3) ?? '-'} s | ${l.timesS.map((t) => t.toFixed(3)).join(', ')} | ${l.seen} |`,
  );
  return [
    `${r.sockets} sockets in ${r.pairs} server/client pairs; sockdoc run from the host namespace, ${r.runs} timed runs each.`,
    '',
    '| layout | median | runs | sockets seen |',
    '|---|---|---|---|',
    ...rows,
    '',
    `ratio (${r.layouts[1].namespaces} namespaces / 1): ${r.ratio?.toFixed(2) ?? '-'} (target <= 1.3)`,
    '',
  ].join('\n');
}

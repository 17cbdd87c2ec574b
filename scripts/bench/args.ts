/** Command-line options of `npm run bench` (scripts/bench.ts). */

export interface BenchOptions {
  /** TCP sockets to build (two per connection). */
  sockets: number;
  /** Timed runs per tool. */
  runs: number;
  json: boolean;
  help: boolean;
  /** > 0: the namespaces row instead of the tool comparison (scripts/bench/namespaces.ts). */
  namespaces: number;
  /** > 0: the filter row instead: --container beside this many other namespaces (scripts/bench/scoped.ts). */
  scoped: number;
  /** Connections waiting in the queue of a listener that never accepts (0: none). */
  waiting: number;
  /** sockdoc serve: scrapes per second of the load phase (0 skips it). */
  serveRate: number;
  /** sockdoc serve: length of the load phase, seconds. */
  serveSeconds: number;
  /** Unix stream sockets to build beside the TCP ones (two per connection, abstract names). */
  unix: number;
  /** A second sockdoc checkout (built): an interleaved A/B of the diagnosis instead of the tool comparison. */
  baseline: string | null;
  /** Instead: what a local user can make sockdoc pay (scripts/bench/flood.ts). */
  flood: 'namespaces' | 'processes' | 'serve' | null;
  /** How many namespaces or processes; default 2,000 namespaces, 15,000 processes. */
  floodCount: number | null;
  /** --flood serve: seconds of churn and scrapes (default 600). */
  stressSeconds: number;
}

export const BENCH_USAGE = `usage: npm run bench -- [--sockets N] [--runs K] [--json]
  --sockets N  TCP sockets to build in the namespace, two per connection (default 60000)
  --runs K     timed runs per tool after one untimed check run (default 3)
  --json       print the results as JSON instead of a table
  --namespaces N  instead: the same sockets in 1 namespace, then spread over N, sockdoc timed from
               the host namespace (reads every namespace from inside); prints the ratio
  --scoped N   instead: sockdoc --container NAME timed with no other namespace, then with N
               namespaces holding a few sockets each (a private dockerd; docker.io); prints the ratio
  --waiting N  also N connections waiting in the accept queue of a listener (backlog 4096) that
               never accepts: what looking up their waits costs (at most 4096; default 0)
  --serve-rate R      sockdoc serve load: scrapes per second (default 100; 0 skips serve)
  --serve-seconds S   sockdoc serve load: how long (default 30)
  --unix N     also build N unix stream sockets (abstract names, two per connection) in the namespace
  --baseline DIR  instead: sockdoc --interval 0 --json of this build and of the built checkout DIR,
               timed in turn (A/B over the same sockets); prints the ratio. No serve load.
  --flood namespaces|processes  instead: N empty namespaces then a full listener in each (default
               2000), or N small processes (default 15000): diagnose time, report lines, scrape
               time, scrapes with host data, series
  --flood serve       instead: the serve stress row: --sockets N held (default 60000), then
               --stress-seconds S (default 600) of 1 s scrapes while --flood-count namespaces
               (default 2000) are made, given a full listener each and removed, cycle after cycle,
               then 30 s quiet: RSS start/peak/end, scrapes answered, with host data, timed out
  --flood-count N     the N of --flood
  --stress-seconds S  the length of --flood serve
Needs root: it creates a network namespace (ip netns add) and removes it on exit.`;

/** A bad option: printed as one line, exit 3. */
export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

function positiveInt(flag: string, text: string | undefined, max: number): number {
  if (text === undefined) throw new BenchUsageError(`${flag} needs a value`);
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BenchUsageError(`${flag} must be an integer from 1 to ${max}, got "${text}"`);
  return n;
}

/** Parses argv (without node and the script). Throws BenchUsageError quoting the bad value. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = { sockets: 60_000, runs: 3, json: false, help: false, serveRate: 100, serveSeconds: 30, namespaces: 0, scoped: 0, unix: 0, baseline: null, flood: null, floodCount: null, stressSeconds: 600, waiting: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--sockets') opts.sockets = positiveInt(flag, value(), 1_000_000);
    else if (flag === '--runs') opts.runs = positiveInt(flag, value(), 100);
    else if (flag === '--json') opts.json = true;
    else if (flag === '--namespaces') opts.namespaces = positiveInt(flag, value(), 200);
    else if (flag === '--scoped') opts.scoped = positiveInt(flag, value(), 2000);
    else if (flag === '--serve-rate') {
      const v = value();
      opts.serveRate = v === '0' ? 0 : positiveInt(flag, v, 1000);
    }
    else if (flag === '--unix') {
      const v = value();
      opts.unix = v === '0' ? 0 : positiveInt(flag, v, 200_000);
    } else if (flag === '--baseline') {
      const v = value();
      if (!v) throw new BenchUsageError('--baseline needs a directory (a sockdoc checkout, built)');
      opts.baseline = v;
    }
    else if (flag === '--waiting') {
      const v = value();
      opts.waiting = v === '0' ? 0 : positiveInt(flag, v, 4096);
    }
    else if (flag === '--serve-seconds') opts.serveSeconds = positiveInt(flag, value(), 600);
    else if (flag === '--flood') {
      const v = value();
      if (v !== 'namespaces' && v !== 'processes' && v !== 'serve') throw new BenchUsageError(`--flood must be namespaces, processes or serve, got "${v}"`);
      opts.flood = v;
    } else if (flag === '--flood-count') opts.floodCount = positiveInt(flag, value(), 30_000);
    else if (flag === '--stress-seconds') opts.stressSeconds = positiveInt(flag, value(), 3600);
    else if (flag === '--help' || flag === '-h') opts.help = true;
    else throw new BenchUsageError(`unknown option "${a}"`);
  }
  return opts;
}

/** `sockdoc serve`: the Prometheus exporter (src/serve/server.ts), until SIGTERM, SIGINT or SIGHUP. */
import { durationFlag, intFlag, parse, ratioFlag } from './args.js';
import { checkRoot } from './diagnose.js';
import { EXIT, UsageError, type Command, type Io } from './io.js';
import { DEFAULT_LISTEN, formatListen, isLoopback, ListenError, parseListen } from '../serve/listen.js';
import { BindError } from '../serve/http-server.js';
import { AllowHostError, parseAllowHost } from '../serve/host-allowlist.js';
import { DEFAULT_TIMEOUT_MS, defaultNetnsBudgetMs, serve } from '../serve/server.js';
import { DEFAULT_SELECTION } from '../render/prometheus-model.js';
import { terminalSafe } from '../safety/terminal.js';
import { History } from '../history/history.js';
import { buildSnapshot } from '../snapshot/build.js';
import { DEFAULT_RULE_OPTIONS } from '../rules/types.js';
import { Sampler } from '../watch/sampler.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { diagnose } from './diagnose.js';
import { DEBUG_SIGNALS, guardDebugSignals } from '../safety/debug-signals.js';

/** The dashboard at / samples the host this often, for its charts and the fd-exhaustion forecast. */
const DASHBOARD_EVERY_MS = 2000;

/** Bounds of the cardinality flags (docs/metrics.md "How many series"). */
const MAX_TOP = 10_000;
const MAX_SERIES_OWNERS = 100_000;

export const HELP = `Usage: sockdoc serve [options]

Serve Prometheus metrics about this host's accept queues, file descriptors and their limits'
provenance, kernel drop counters and current findings (docs/metrics.md). Alert rules and a Grafana
dashboard: contrib/. Runs until SIGTERM, SIGHUP or Ctrl-C.

Options:
  --listen HOST:PORT    address to serve on (default ${DEFAULT_LISTEN}, loopback only;
                        :9659 or [::]:9659 serves every address, IPv4 and IPv6;
                        0.0.0.0:9659 every IPv4 one)
  --timeout DURATION    a scrape answers within this time, with host data or marked partial
                        (100ms to 60s, e.g. 500ms or 2s; default ${DEFAULT_TIMEOUT_MS / 1000}s; keep it below
                        Prometheus' scrape_timeout)
  --netns-budget DURATION
                        how long a scrape reads network namespaces other than the host's
                        (0 to 60s, below --timeout; default the shorter of 750ms and a quarter of
                        --timeout): the host is always read whole; namespaces not reached are
                        served from their last read with their age (sockdoc_namespace_age_seconds)
                        and read first next time
  --top N               per-process series for the N processes nearest their fd limit
                        (0 to ${MAX_TOP}, default ${DEFAULT_SELECTION.top})
  --process-ratio R     ... and for every process at or above R of its soft fd limit
                        (above 0 up to 1, as 0.8 or 80%; default ${DEFAULT_SELECTION.usageRatio})
  --max-listeners N     series for at most N listeners: those with a finding, then the fullest
                        queues; the rest are counted in sockdoc_listeners_dropped
                        (1 to ${MAX_SERIES_OWNERS}, default ${DEFAULT_SELECTION.maxListeners})
  --max-processes N     per-process series for at most N processes, the nearest their limit
                        first; the rest are counted in sockdoc_processes_dropped
                        (1 to ${MAX_SERIES_OWNERS}, default ${DEFAULT_SELECTION.maxProcesses})
  --max-namespaces N    per-namespace series (counters, sysctls, info) for at most N network
                        namespaces: the host, those with a finding, the worst first, then those
                        whose listeners have series; the rest are counted in sockdoc_namespaces_dropped
                        (1 to ${MAX_SERIES_OWNERS}, default ${DEFAULT_SELECTION.maxNamespaces})
  --allow-host NAME     also answer requests for NAME (a DNS name or an IP address; NAME:PORT
                        for that port only, e.g. an ssh tunnel's); repeatable. Without it only
                        the listen address (on :PORT or 0.0.0.0, any address of this host) and
                        localhost are served: any other Host gets 421 (DNS rebinding)
  --root DIR            serve a captured host (sockdoc capture) instead of this one
  -h, --help            this help

Endpoints: /metrics, /-/healthy, / (the live dashboard: findings with why and fix, charts of the
last hour; docs/watch.md), /api/state and /api/events (its data).
Exit codes: 0 after SIGTERM/SIGINT/SIGHUP once closed, 3 could not start (bad flag, address in use).
SIGUSR1 and SIGUSR2 are logged and ignored (Node would open its debugger on SIGUSR1).
`;

const OPTIONS = {
  listen: { type: 'string' },
  'max-listeners': { type: 'string' },
  'max-processes': { type: 'string' },
  'max-namespaces': { type: 'string' },
  timeout: { type: 'string' },
  'netns-budget': { type: 'string' },
  top: { type: 'string' },
  'process-ratio': { type: 'string' },
  root: { type: 'string' },
  'allow-host': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How long a graceful close may take before the process exits anyway. */
const CLOSE_LIMIT_MS = 5_000;

const SIGNAL_NUMBER: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
/** Each ends the exporter gracefully; SIGHUP too (the terminal of a `sockdoc serve` in an ssh session closed): there is no configuration to reload. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export const run: Command = async (args: string[], io: Io) => {
  const { values } = parse(args, OPTIONS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  let listen;
  try {
    listen = parseListen(values.listen ?? DEFAULT_LISTEN);
  } catch (err) {
    if (err instanceof ListenError) throw new UsageError(err.message);
    throw err;
  }
  let allowHosts;
  try {
    allowHosts = (values['allow-host'] ?? []).map(parseAllowHost);
  } catch (err) {
    if (err instanceof AllowHostError) throw new UsageError(err.message);
    throw err;
  }
  const timeoutMs = durationFlag('timeout', values.timeout, DEFAULT_TIMEOUT_MS, 100);
  const netnsBudgetMs = durationFlag('netns-budget', values['netns-budget'], defaultNetnsBudgetMs(timeoutMs));
  if (netnsBudgetMs >= timeoutMs) throw new UsageError(`--netns-budget must be shorter than --timeout (${timeoutMs} ms), got '${values['netns-budget']}'`);
  const selection = {
    top: intFlag('top', values.top, 0, MAX_TOP) ?? DEFAULT_SELECTION.top,
    usageRatio: ratioFlag('process-ratio', values['process-ratio'], DEFAULT_SELECTION.usageRatio),
    maxListeners: intFlag('max-listeners', values['max-listeners'], 1, MAX_SERIES_OWNERS) ?? DEFAULT_SELECTION.maxListeners,
    maxProcesses: intFlag('max-processes', values['max-processes'], 1, MAX_SERIES_OWNERS) ?? DEFAULT_SELECTION.maxProcesses,
    maxNamespaces: intFlag('max-namespaces', values['max-namespaces'], 1, MAX_SERIES_OWNERS) ?? DEFAULT_SELECTION.maxNamespaces,
  };
  const root = checkRoot(values.root);
  // Lines can carry host strings (a path in an error, a --root): escaped for the terminal.
  const log = (line: string): void => io.stderr(`sockdoc serve: ${terminalSafe(line)}\n`);
  // Whoever read the log went away (a closed terminal, a dead pipe): the exporter keeps serving,
  // and keeps obeying SIGTERM, with nobody to tell (an unhandled EPIPE on stderr ended it).
  const logGone = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  };
  process.stderr.on('error', logGone);

  // The dashboard's own sampling: one snapshot every 2 s into an hour of history (the scrapes read on demand).
  const sampler = new Sampler({
    everyMs: DASHBOARD_EVERY_MS,
    history: new History({ capacity: 3600_000 / DASHBOARD_EVERY_MS }),
    take: () => buildSnapshot({ root, intervalMs: 0 }),
    analyse: (snapshot, context) => diagnose(snapshot, DEFAULT_RULE_OPTIONS, {}, context).findings,
    onError: (err) => log(`dashboard sample failed: ${(err as Error)?.message ?? String(err)}`),
  });
  // The dashboard samples only while a page is open: a host only scraped by Prometheus pays nothing
  // for it, and a single visit costs ~20 s of sampling, not sampling forever.
  const dashboard = dashboardRoutes(sampler, {
    everyMs: DASHBOARD_EVERY_MS,
    links: [
      { href: '/metrics', label: '/metrics' },
      { href: '/-/healthy', label: '/-/healthy' },
    ],
    sampling: {
      start: () => sampler.start(),
      stop: () => {
        sampler.stop();
        sampler.forget();
      },
      log,
    },
  });
  const routes = dashboard.list;
  const ignore = (s: NodeJS.Signals): void => log(`${s} ignored: sockdoc serve has no log to reopen and opens no debugger`);
  // Signals an operator may send out of habit ("reopen your logs"): harmless in every sockdoc
  // process from its first moment (src/safety/debug-signals.ts); serve also says it got them.
  guardDebugSignals();
  for (const name of DEBUG_SIGNALS) process.on(name, ignore);
  let serving;
  try {
    serving = await serve({ listen, timeoutMs, netnsBudgetMs, selection, root, log, routes, allowHosts });
  } catch (err) {
    if (err instanceof BindError) throw new UsageError(err.message, false);
    throw err;
  }
  // The handlers are in place before the line that tells a supervisor or a test that serve is up.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (s: NodeJS.Signals): void => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
      resolve(s);
    };
    for (const name of STOP_SIGNALS) process.on(name, onSignal);
  });
  const where = formatListen(serving.address);
  log(`listening on http://${where}/metrics${root !== '/' ? ` (serving the capture ${root})` : ''}`);
  if (!isLoopback(serving.address)) log(`${where} is reachable from other hosts: the metrics name this host's processes, ports and containers`);
  const signal = await stopped;
  // A second signal while closing, or a close that does not finish: stop now, 128 + N as a shell would report.
  const forced = (s: NodeJS.Signals): void => process.exit(128 + (SIGNAL_NUMBER[s] ?? 15));
  for (const name of STOP_SIGNALS) process.once(name, forced);
  const limit = setTimeout(() => process.exit(128 + (SIGNAL_NUMBER[signal] ?? 15)), CLOSE_LIMIT_MS);
  limit.unref();
  const abandoned = serving.source.busy;
  sampler.stop();
  dashboard.close();
  await serving.close();
  log(`${signal}: closed ${where}${abandoned ? ' (the scrape in flight was abandoned)' : ''}`);
  clearTimeout(limit);
  for (const name of STOP_SIGNALS) process.off(name, forced);
  for (const name of DEBUG_SIGNALS) process.off(name, ignore);
  // A snapshot still being read holds no socket; do not wait for it to exit.
  if (abandoned) setTimeout(() => process.exit(EXIT.ok), 0).unref();
  return EXIT.ok;
};

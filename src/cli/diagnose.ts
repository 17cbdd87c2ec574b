/** `sockdoc [diagnose]`: snapshot the host, run every rule, report, exit 0/1/2 (3 = could not run). */
import { buildSnapshot } from '../snapshot/build.js';
import { runRules } from '../rules/index.js';
import { explainLimits } from '../provenance/explain.js';
import { DEFAULT_RULE_OPTIONS, type Finding, type RuleContext, type RuleOptions } from '../rules/types.js';
import { History } from '../history/history.js';
import { sampleOver } from '../watch/sampler.js';
import { renderDiagnosis } from '../render/terminal.js';
import { filterFindings } from '../render/filter.js';
import { portExitCode } from '../port/check.js';
import { checkPortForwarded } from '../port/forward-reads.js';
import { diagnosisToJson } from '../render/json.js';
import { renderSummary } from '../render/summary.js';
import type { Diagnosis, DiagnosisFilter } from '../render/report.js';
import type { Snapshot } from '../snapshot/types.js';
import { hasNetnsQuery, type NetnsQuery } from '../snapshot/select-netns.js';
import { durationFlag, intFlag, parse, processId, ratioFlag } from './args.js';
import { EXIT, UsageError, useColor, type Command, type Io } from './io.js';
import { readIdentities } from '../snapshot/identity.js';
import type { IdentityCache } from '../probe/pid-identity.js';
import { checkRoot, NETNS_OPTIONS, netnsQuery, scopedSnapshot, socketsRead } from './scope.js';

export { checkRoot, NETNS_OPTIONS, netnsQuery, scopedSnapshot, selectNetns, socketsRead } from './scope.js';

export const HELP = `Usage: sockdoc [diagnose] [options]

Diagnose why this host refuses or drops TCP connections: findings with evidence, why, and the fix.

Options may stand before or after the command word (sockdoc --root DIR limits PID).

Options:
  --verbose               the long form: whole explanations, all evidence, links, tables
  --summary               one line for Nagios/Icinga/Sensu: STATUS - worst finding | perfdata
  --json                  machine-readable report (schema: docs/json-schema.md)
  --interval DURATION     counter sampling window: 1 (default, seconds), 500ms, 0 = one read;
                          10s or more samples the host 6 times, for trends (fd-exhaustion-forecast)
  --pid N                 only findings about process N and its listeners (a thread id means its process)
  --port P                only findings about port P and the processes listening on it
  --netns NAME|INODE|PID  only this network namespace: an \`ip netns\` name, a container or pod name,
                          the inode of /proc/PID/ns/net, or a pid in it ("host" for the host's)
  --container NAME        only the namespace of this docker/podman/LXC container (name, id, or a unique id prefix)
  --pod NS/NAME           only the namespace of this Kubernetes pod
  --root DIR              read DIR/proc, DIR/etc, ... (a captured host or fixture) instead of /
  --fd-warning R          fd-limit-near threshold, ratio of the soft limit (default 0.8)
  --fd-critical R         fd-limit-exhausted threshold (default 0.95)
  --queue-warning R       accept-queue-filling threshold, ratio of the backlog (default 0.8)
  --file-table-warning R  system-file-table-near threshold (default 0.8)
  --syn-warning R         syn-queue-pressure threshold (default 0.8)
  --conntrack-warning R   conntrack-table-near threshold, ratio of nf_conntrack_max (default 0.8)
  --ports-warning R       ephemeral-ports-near threshold, ratio of usable local ports (default 0.8)
  --ports-critical R      ephemeral-ports-exhausted threshold (default 0.95)
  --cap-warning R         program-cap-near threshold, ratio of a program's own connection cap (default 0.8)
  --inotify-warning R     inotify-instances-near / inotify-watches-near threshold, ratio of the uid's limit (default 0.8)
  --accept-wait DURATION  accept-wait-long threshold: a client waiting this long to be accepted
                          (default 1s; critical from 10 times it); 100ms to 60s
  --no-color              no colour (also: NO_COLOR=1, or when stdout is not a terminal)
  -h, --help              this help

Exit codes: 0 healthy, 1 warnings, 2 critical, 3 could not run (docs/exit-codes.md).
Environment: NO_COLOR=1, SOCKDOC_NET_SOURCE=proc (read /proc/net/tcp instead of sock_diag),
SOCKDOC_NOW=ISO-TIME (pin the report time), SOCKDOC_DEBUG=1 (stack trace on internal errors).
Other commands: sockdoc sockets | port P | limits | why "LOG LINE" | lab | capture DIR | explain ID | serve   (sockdoc COMMAND --help)
`;

/** The rule thresholds, shared by every command that runs the rules (see ruleOptions). */
export const THRESHOLD_OPTIONS = {
  'fd-warning': { type: 'string' },
  'fd-critical': { type: 'string' },
  'queue-warning': { type: 'string' },
  'file-table-warning': { type: 'string' },
  'syn-warning': { type: 'string' },
  'conntrack-warning': { type: 'string' },
  'ports-warning': { type: 'string' },
  'ports-critical': { type: 'string' },
  'cap-warning': { type: 'string' },
  'inotify-warning': { type: 'string' },
  'accept-wait': { type: 'string' },
} as const;

const OPTIONS = {
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  summary: { type: 'boolean' },
  interval: { type: 'string' },
  pid: { type: 'string' },
  port: { type: 'string' },
  ...NETNS_OPTIONS,
  root: { type: 'string' },
  ...THRESHOLD_OPTIONS,
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function ruleOptions(v: Partial<Record<string, unknown>>): RuleOptions {
  const s = (k: string) => v[k] as string | undefined;
  const o: RuleOptions = {
    fdWarning: ratioFlag('fd-warning', s('fd-warning'), DEFAULT_RULE_OPTIONS.fdWarning),
    fdCritical: ratioFlag('fd-critical', s('fd-critical'), DEFAULT_RULE_OPTIONS.fdCritical),
    queueWarning: ratioFlag('queue-warning', s('queue-warning'), DEFAULT_RULE_OPTIONS.queueWarning),
    fileTableWarning: ratioFlag('file-table-warning', s('file-table-warning'), DEFAULT_RULE_OPTIONS.fileTableWarning),
    synWarning: ratioFlag('syn-warning', s('syn-warning'), DEFAULT_RULE_OPTIONS.synWarning),
    conntrackWarning: ratioFlag('conntrack-warning', s('conntrack-warning'), DEFAULT_RULE_OPTIONS.conntrackWarning),
    portsWarning: ratioFlag('ports-warning', s('ports-warning'), DEFAULT_RULE_OPTIONS.portsWarning),
    portsCritical: ratioFlag('ports-critical', s('ports-critical'), DEFAULT_RULE_OPTIONS.portsCritical),
    capWarning: ratioFlag('cap-warning', s('cap-warning'), DEFAULT_RULE_OPTIONS.capWarning),
    inotifyWarning: ratioFlag('inotify-warning', s('inotify-warning'), DEFAULT_RULE_OPTIONS.inotifyWarning ?? 0.8),
    acceptWaitMs: durationFlag('accept-wait', s('accept-wait'), DEFAULT_RULE_OPTIONS.acceptWaitMs, 100),
  };
  if (o.fdWarning > o.fdCritical) throw new UsageError(`--fd-warning (${o.fdWarning}) must not exceed --fd-critical (${o.fdCritical})`);
  if (o.portsWarning > o.portsCritical) throw new UsageError(`--ports-warning (${o.portsWarning}) must not exceed --ports-critical (${o.portsCritical})`);
  return o;
}

export function exitCodeOf(findings: Finding[]): 0 | 1 | 2 {
  if (findings.some((f) => f.severity === 'critical')) return EXIT.critical;
  if (findings.some((f) => f.severity === 'warning')) return EXIT.warning;
  return EXIT.ok;
}

const FD_FINDINGS = new Set(['fd-limit-exhausted', 'fd-limit-near']);

/** From this --interval on, diagnose samples the host TREND_SAMPLES times instead of twice. */
export const TREND_WINDOW_MS = 10_000;
export const TREND_SAMPLES = 6;

/**
 * Diagnoses a snapshot: rules, then where the limit of each process with an fd finding came from
 * (provenance reads config files under the same root, so it runs here, not inside a rule), then
 * the rules again so fd findings carry the fix at the right layer; then the --pid/--port filter.
 */
export function diagnose(snapshot: Snapshot, options: RuleOptions, filter: DiagnosisFilter, context: RuleContext = {}, identities?: IdentityCache): Diagnosis {
  let findings = runRules(snapshot, options, undefined, context);
  const pids = [...new Set(findings.filter((f) => FD_FINDINGS.has(f.id) && f.subject.pid !== undefined).map((f) => f.subject.pid!))];
  if (pids.length > 0) {
    snapshot.limitOrigins = explainLimits(snapshot.host.root, pids);
    findings = runRules(snapshot, options, undefined, context);
  }
  findings = filterFindings(findings, snapshot, filter);
  // What each named process runs (two reads each, only the processes findings name): the groups
  // keep two services of one interpreter apart.
  snapshot.identities = readIdentities(snapshot, findings, identities);
  return { snapshot, findings, filter, exitCode: exitCodeOf(findings) };
}

/** SOCKDOC_NOW=ISO-time pins the report's timestamp (golden tests, reproducible captures). */
export function fixedClock(value: string | undefined): (() => Date) | undefined {
  if (!value) return undefined;
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new UsageError(`SOCKDOC_NOW is not a date: '${value}'`);
  return () => t;
}

const runDiagnose: Command = async (args: string[], io: Io) => {
  const { values } = parse(args, OPTIONS);
  if ([values.json, values.summary, values.verbose].filter(Boolean).length > 1) {
    throw new UsageError('choose one of --json, --summary, --verbose');
  }
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const root = checkRoot(values.root);
  const intervalMs = durationFlag('interval', values.interval, 1000);
  const pidFlag = intFlag('pid', values.pid, 1);
  const filter: DiagnosisFilter = { pid: pidFlag === undefined ? undefined : processId(root, pidFlag, io), port: intFlag('port', values.port, 1, 65535) };
  const options = ruleOptions(values);
  const query: NetnsQuery = netnsQuery(values);
  const now = fixedClock(io.env.SOCKDOC_NOW);
  // A long window on a live host is sampled several times, so trends (fd-exhaustion-forecast) can be seen.
  const context: RuleContext = {};
  let whole: Snapshot;
  if (intervalMs >= TREND_WINDOW_MS && root === '/') {
    if (io.stderrIsTTY) io.stderr(`sockdoc: sampling the host ${TREND_SAMPLES} times over ${intervalMs / 1000} s…\n`);
    const history = new History({ capacity: TREND_SAMPLES });
    whole = await sampleOver(() => scopedSnapshot({ root, intervalMs: 0, now, acceptWaitMs: options.acceptWaitMs }, query, filter.pid), history, intervalMs, TREND_SAMPLES);
    context.history = history;
  } else {
    whole = await scopedSnapshot({
      root,
      intervalMs,
      now,
      acceptWaitMs: options.acceptWaitMs,
      // Progress only where a person watches; a pipe or CI log gets none.
      onWait: (ms) => {
        if (io.stderrIsTTY) io.stderr(`sockdoc: sampling counters for ${ms} ms (--interval 0 to skip)…\n`);
      },
    }, query, filter.pid);
  }
  const snapshot = whole;
  if (!socketsRead(snapshot)) {
    const why = snapshot.probes.filter((p) => p.probe === 'net-tcp').map((p) => p.detail ?? p.status).join('; ');
    throw new UsageError(`cannot read TCP sockets under ${root}: ${why || 'proc/net/tcp missing'}`);
  }
  if (filter.pid !== undefined && !snapshot.processes.some((p) => p.pid === filter.pid)) {
    throw new UsageError(`--pid ${filter.pid}: no such process (or not visible to this user)`);
  }
  const d = diagnose(snapshot, options, filter, context);
  if (filter.port !== undefined) {
    const check = await checkPortForwarded(root, snapshot, filter.port, hasNetnsQuery(query), () => buildSnapshot({ root, intervalMs: 0, now }));
    if (check.severity !== 'ok') {
      d.portCheck = check;
      d.exitCode = portExitCode(check, d.findings);
    }
  }
  if (values.json) io.stdout(JSON.stringify(diagnosisToJson(d), null, 2) + '\n');
  else if (values.summary) io.stdout(renderSummary(d, options));
  else io.stdout(renderDiagnosis(d, { color: useColor(io) && !values['no-color'], columns: io.columns, verbose: values.verbose }));
  return d.exitCode;
};

/**
 * With --summary a monitoring system reads stdout: an expected failure is said there too, as
 * "SOCKDOC UNKNOWN - reason", exit 3 (the plugin convention), not only on stderr.
 */
export const run: Command = async (args: string[], io: Io) => {
  try {
    return await runDiagnose(args, io);
  } catch (err) {
    if (!(err instanceof UsageError) || !args.includes('--summary')) throw err;
    io.stdout(`SOCKDOC UNKNOWN - ${err.message.replace(/[\x00-\x1f|]+/g, ' ')}\n`);
    return EXIT.unknown;
  }
};

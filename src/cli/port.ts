/** `sockdoc port P`: why connections to port P fail or succeed. Exit codes as for diagnose. */
import { readServices } from '../probe/services.js';
import { portExitCode } from '../port/check.js';
import { checkPortForwarded } from '../port/forward-reads.js';
import { buildSnapshot } from '../snapshot/build.js';
import { portCheckToJson, renderPortCheck } from '../render/port.js';
import { durationFlag, intFlag, parse } from './args.js';
import { checkRoot, diagnose, fixedClock, NETNS_OPTIONS, netnsQuery, ruleOptions, scopedSnapshot, socketsRead } from './diagnose.js';
import { hasNetnsQuery } from '../snapshot/select-netns.js';
import { EXIT, UsageError, useColor, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc port P [options]        P: a port number, or a service name of /etc/services (ssh)

Why connections to TCP port P are refused or fail: nothing listening in any network namespace,
a listener on 127.0.0.1/::1 only, IPv6 only ([::]:P, IPV6_V6ONLY) vs dual-stack (*:P), listening
only inside a container; the listener's queue, its owners and their fd limits; the port's findings.
A forwarded port is followed to where it goes (docker-proxy, socat, DNAT rules of docker, kube-proxy
NodePorts and CNI hostPorts, nginx proxy_pass and HAProxy backends; root reads the NAT rules): the
answer names the hop that fails, e.g. a server in a container listening on 127.0.0.1 only.

Options:
  --json               machine-readable (docs/json-schema.md, "sockdoc port --json")
  --interval DURATION  counter sampling window (default 1, 0 = one read)
  --netns NAME|INODE|PID, --container NAME, --pod NS/NAME
                       only this network namespace: "nothing listens" then means "not in it"
  --root DIR           read a captured host instead of /
  --no-color           no colour
  -h, --help           this help

Exit codes: 0 listening and healthy, 1 warnings (loopback-only, IPv6-only, elsewhere only),
2 critical (nothing listens, a forwarded hop fails, or a critical finding on the port), 3 could not run.
`;

/**
 * The port asked about: a number 1..65535, or a TCP service name or alias of ROOT/etc/services
 * ("ssh", "www"), said on stderr as the number it stands for.
 */
function portArgument(root: string, text: string, io: Io): number {
  if (/^\d+$/.test(text)) return intFlag('port', text, 1, 65535, 'the port') as number;
  const services = readServices(root);
  const port = /^[A-Za-z][A-Za-z0-9._+-]*$/.test(text) ? services?.get(text) : undefined;
  if (port === undefined) {
    const where = services ? `nor a TCP service in ${root === '/' ? '' : root}/etc/services` : `and ${root === '/' ? '' : root}/etc/services is not there to name it`;
    throw new UsageError(`'${text}' is not a port number (1..65535), ${where}`);
  }
  io.stderr(`sockdoc: ${text} is TCP port ${port} (/etc/services)\n`);
  return port;
}

export const run: Command = async (args: string[], io: Io) => {
  const { values, positionals } = parse(
    args,
    {
      json: { type: 'boolean' },
      interval: { type: 'string' },
      root: { type: 'string' },
      ...NETNS_OPTIONS,
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('port needs exactly one port number or service name (sockdoc port 8080, sockdoc port ssh)');
  const root = checkRoot(values.root);
  const port = portArgument(root, positionals[0], io);
  const query = netnsQuery(values);
  const opts = {
    root,
    intervalMs: durationFlag('interval', values.interval, 1000),
    now: fixedClock(io.env.SOCKDOC_NOW),
    onWait: (ms: number) => {
      if (io.stderrIsTTY) io.stderr(`sockdoc: sampling counters for ${ms} ms (--interval 0 to skip)…\n`);
    },
  };
  const snapshot = await scopedSnapshot(opts, query);
  if (!socketsRead(snapshot)) {
    throw new UsageError(`cannot read TCP sockets under ${root}`);
  }
  const d = diagnose(snapshot, ruleOptions({}), { port });
  // Host-wide findings (conntrack full, ...) stay: they refuse connections to every port.
  const check = await checkPortForwarded(root, snapshot, port, hasNetnsQuery(query), () => buildSnapshot({ ...opts, intervalMs: 0 }));
  const exit = portExitCode(check, d.findings);
  if (values.json) io.stdout(JSON.stringify(portCheckToJson(check, d.findings, exit, snapshot.partial, snapshot.notes), null, 2) + '\n');
  else io.stdout(renderPortCheck(check, d.findings, exit, { color: useColor(io) && !values['no-color'], columns: io.columns }));
  return exit;
};

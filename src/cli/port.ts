/** `sockdoc port P`: why connections to port P fail or succeed. Exit codes as for diagnose. */
import { buildSnapshot } from '../snapshot/build.js';
import { checkPort, portExitCode } from '../port/check.js';
import { portCheckToJson, renderPortCheck } from '../render/port.js';
import { durationFlag, intFlag, parse } from './args.js';
import { checkRoot, diagnose, fixedClock, ruleOptions, selectNetns } from './diagnose.js';
import { EXIT, UsageError, useColor, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc port P [options]

Why connections to TCP port P are refused or fail: nothing listening in any network namespace,
a listener on 127.0.0.1/::1 only, IPv6 only ([::]:P, IPV6_V6ONLY) vs dual-stack (*:P), listening
only inside a container; the listener's queue, its owners and their fd limits; the port's findings.

Options:
  --json               machine-readable (docs/json-schema.md, "sockdoc port --json")
  --interval DURATION  counter sampling window (default 1, 0 = one read)
  --netns NAME|INODE|PID, --container NAME, --pod NS/NAME
                       only this network namespace: "nothing listens" then means "not in it"
  --root DIR           read a captured host instead of /
  --no-color           no colour
  -h, --help           this help

Exit codes: 0 listening and healthy, 1 warnings (loopback-only, IPv6-only, elsewhere only),
2 critical (nothing listens, or a critical finding on the port), 3 could not run.
`;

export const run: Command = async (args: string[], io: Io) => {
  const { values, positionals } = parse(
    args,
    {
      json: { type: 'boolean' },
      interval: { type: 'string' },
      root: { type: 'string' },
      netns: { type: 'string' },
      container: { type: 'string' },
      pod: { type: 'string' },
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('port needs exactly one port number (sockdoc port 8080)');
  const port = intFlag('port', positionals[0], 1, 65535) as number;
  const root = checkRoot(values.root);
  const whole = await buildSnapshot({
    root,
    intervalMs: durationFlag('interval', values.interval, 1000),
    now: fixedClock(io.env.SOCKDOC_NOW),
    onWait: (ms) => {
      if (io.stderrIsTTY) io.stderr(`sockdoc: sampling counters for ${ms} ms (--interval 0 to skip)…\n`);
    },
  });
  const snapshot = selectNetns(whole, { netns: values.netns, container: values.container, pod: values.pod });
  if (snapshot.sockets.length === 0 && !snapshot.probes.some((p) => p.probe === 'net-tcp' && p.status === 'ok')) {
    throw new UsageError(`cannot read TCP sockets under ${root}`);
  }
  const d = diagnose(snapshot, ruleOptions({}), { port });
  // Host-wide findings (conntrack full, ...) stay: they refuse connections to every port.
  const check = checkPort(snapshot, port);
  const exit = portExitCode(check, d.findings);
  if (values.json) io.stdout(JSON.stringify(portCheckToJson(check, d.findings, exit, snapshot.partial, snapshot.notes), null, 2) + '\n');
  else io.stdout(renderPortCheck(check, d.findings, exit, { color: useColor(io) && !values['no-color'], columns: io.columns }));
  return exit;
};

/** `sockdoc capture DIR`: copy what a diagnosis reads into DIR, to diagnose later with --root DIR. */
import { captureInto, withAncestors, type CaptureOptions, type CaptureResult } from '../snapshot/capture.js';
import { captureNamespaces, startNamespaceReads, type NamespaceReads, type NetnsCaptureResult } from '../snapshot/capture-netns.js';
import { listPids } from '../probe/pids.js';
import { planNetns } from '../snapshot/netns-plan.js';
import { readWindowStart } from '../snapshot/window-read.js';
import { readPidCmdline } from '../probe/pid-cmdline.js';
import { readPidStat } from '../probe/pid-stat.js';
import { readPidStatus } from '../probe/pid-status.js';
import { abandonCapture, CaptureError, finishCapture, openCapture, type CaptureWriter } from '../snapshot/capture-dir.js';
import { terminalSafe } from '../safety/terminal.js';
import { durationFlag, parse, processId } from './args.js';
import { EXIT, UsageError, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc capture DIR [--pid N[,N...]] [--interval DURATION] [--no-redact]

Copy the kernel files sockdoc reads (proc/net, sysctls, per-process stat/limits/cmdline/cgroup,
fd links and cwd, the sock_diag answer for listeners) and the configuration files \`limits\` reads
(limits.conf, pam.d, systemd units and drop-ins, supervisord files) into DIR, for every network
namespace of the captured processes (containers, pods, ip netns: read from inside each, under
DIR/netns/INODE). Later: sockdoc --root DIR, on any machine.

DIR is created (mode 0700, files 0600); an existing DIR must be an empty directory of yours.
Secrets are removed by default (docs/safety.md, "Redaction"): in command lines, values of
password/token/secret/key options and environment assignments, the password options of mysql,
sshpass, redis-cli and others, URL credentials, Authorization headers and known token shapes; in
configuration files, Environment=/environment= values, Exec/command lines, password= and other
secret keys; and file paths behind fds (sockets are kept). What could not be read is recorded as
unknown; what was left out on purpose is said.

The capture is the end of a sampling window (--interval, 1 s by default): every namespace's
counters and CLOSE_WAIT sockets are read at its start too, so the replay shows what happened
during the window (handshakes dropped, CLOSE_WAIT that stayed: a leak, or were replaced: churn).

Options:
  --pid LIST    only these processes and their ancestors (default: all)
  --interval D  sampling window: 1 (default, seconds), 500ms, 0 = one read (the replay cannot
                tell a CLOSE_WAIT leak from churn, nor show counter rates)
  --no-redact   keep cmdlines, configuration files and fd targets as they are (the capture then holds secrets)
  -h, --help    this help
`;

export const run: Command = async (args: string[], io: Io) => {
  const { values, positionals } = parse(args, { pid: { type: 'string' }, interval: { type: 'string' }, 'no-redact': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const [dir, ...extra] = positionals;
  if (!dir || extra.length) throw new UsageError('capture needs exactly one directory');
  let pids: number[] | undefined;
  if (values.pid !== undefined) {
    pids = values.pid.split(',').map((p) => {
      if (!/^\d{1,10}$/.test(p) || Number(p) < 1 || Number(p) > 4194304) throw new UsageError(`--pid expects pids (1..4194304) separated by commas, got '${values.pid}'`);
      return processId('/', Number(p), io);
    });
  }
  const redact = !values['no-redact'];
  const intervalMs = durationFlag('interval', values.interval, 1000);
  const failed = (err: unknown): never => {
    if (err instanceof CaptureError) throw new UsageError(`capture: ${err.message}`);
    const e = err as NodeJS.ErrnoException;
    if (e?.code && e.path) throw new UsageError(`capture: cannot write ${e.path} (${e.code}); nothing was left in ${dir}`);
    throw err;
  };
  let w: CaptureWriter;
  try {
    // Checked and opened once, through directory fds: every write below lands in what was checked.
    w = openCapture(dir, process.geteuid?.() ?? 0);
  } catch (err) {
    return failed(err);
  }
  let r: CaptureResult;
  let ns: NetnsCaptureResult;
  try {
    let window: CaptureOptions['window'];
    if (intervalMs > 0) {
      // The window's start, per namespace, by the reader a live diagnosis uses (snapshot/window-read.ts).
      const plan = planNetns('/', true, pids);
      const start = await readWindowStart('/', plan.own, plan.targets);
      if (io.stderrIsTTY) io.stderr(`sockdoc: capture: sampling for ${intervalMs} ms (--interval 0 to skip)…\n`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      window = { start, intervalMs };
    }
    // Every namespace's sockets are read on the addon's threads while captureInto copies the
    // processes' fds: owners and sockets from about the same moment, as in a live snapshot.
    const listed = pids ? withAncestors('/', pids) : listPids('/');
    let reads: Promise<NamespaceReads> | undefined;
    const beforeProcesses = () => {
      reads = startNamespaceReads(listed, { all: pids === undefined });
      reads.catch(() => undefined); // awaited by captureNamespaces below
    };
    r = captureInto(w, { pids: listed, ancestors: false, redact, window, beforeProcesses });
    const processes = r.pids.flatMap((pid) => {
      try {
        return [{ pid, name: readPidStat('/', pid).name, cmdline: readPidCmdline('/', pid).joined, uid: readPidStatus('/', pid).uid }];
      } catch {
        return []; // exited since
      }
    });
    ns = await captureNamespaces(w, r.pids, processes, { all: pids === undefined, reads });
  } catch (err) {
    abandonCapture(w);
    return failed(err);
  }
  try {
    finishCapture(w);
  } catch (err) {
    return failed(err);
  }
  const problems = [...r.problems, ...ns.problems];
  for (const p of problems) io.stderr(`sockdoc: capture: ${terminalSafe(p)}\n`);
  // Left out on purpose: said, but the capture holds everything a diagnosis needs (exit 0).
  for (const p of r.skipped) io.stderr(`sockdoc: capture: skipped: ${terminalSafe(p)}\n`);
  io.stdout(`captured ${r.files + ns.files} files, ${r.configFiles} configuration files, ${r.pids.length} processes, ${ns.namespaces + 1} network namespaces into ${terminalSafe(dir)}\n`);
  if (r.masked.length) {
    const names = [...new Set(r.masked.map((m) => m.slice(m.lastIndexOf('/') + 1)))].sort();
    io.stdout(`recorded ${names.length} masked unit file${names.length === 1 ? '' : 's'} as links to /dev/null (they cannot be started): ${terminalSafe(names.join(', '))}\n`);
  }
  const { cmdline, fdTargets, config } = r.redacted;
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  if (redact) io.stdout(`redacted ${n(cmdline, 'secret')} in command lines, ${n(config, 'value')} in configuration files and ${n(fdTargets, 'file path')} behind fds (--no-redact keeps them)\n`);
  else io.stdout('kept command lines, configuration files and fd targets as they are (--no-redact): the capture may hold passwords and tokens; share it with care\n');
  // The capture is written: 0, with what could not be read said on stderr and recorded as unknown
  // inside it (docs/exit-codes.md); 3 is kept for a capture that could not be made.
  return EXIT.ok;
};

/** `sockdoc capture DIR`: copy what a diagnosis reads into DIR, to diagnose later with --root DIR. */
import { terminalSafe } from '../safety/terminal.js';
import { existsSync, readdirSync } from 'node:fs';
import { captureHost } from '../snapshot/capture.js';
import { parse, processId } from './args.js';
import { EXIT, UsageError, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc capture DIR [--pid N[,N...]]

Copy the kernel files sockdoc reads (proc/net, sysctls, per-process stat/limits/fd links, the
sock_diag answer for listeners) into DIR. Later: sockdoc --root DIR, on any machine.

Options:
  --pid LIST   only these processes (default: all)
  -h, --help   this help
`;

export const run: Command = async (args: string[], io: Io) => {
  const { values, positionals } = parse(args, { pid: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const [dir, ...extra] = positionals;
  if (!dir || extra.length) throw new UsageError('capture needs exactly one directory');
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`capture: ${dir} is not empty`);
  let pids: number[] | undefined;
  if (values.pid !== undefined) {
    pids = values.pid.split(',').map((p) => {
      if (!/^\d+$/.test(p)) throw new UsageError(`--pid expects numbers separated by commas, got '${values.pid}'`);
      return processId('/', Number(p), io);
    });
  }
  const r = captureHost(dir, { pids });
  for (const p of r.problems) io.stderr(`sockdoc: capture: ${terminalSafe(p)}\n`);
  io.stdout(`captured ${r.files} files, ${r.pids.length} processes into ${dir}\n`);
  return r.problems.length ? EXIT.warning : EXIT.ok;
};

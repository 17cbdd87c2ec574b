/**
 * The command line a process was started with, from whoever started it: programs that rewrite their
 * title (Redis: "redis-server 127.0.0.1:6379") lose the configuration path from their own argv, but
 * their launcher keeps it: the systemd unit's ExecStart= (unit-exec.ts), or the `command=` of the
 * supervisord [program:x] section whose executable is this process's. Read-only, bounded by the
 * readers it uses.
 */
import { readPidCmdline } from '../probe/pid-cmdline.js';
import { readPidStat } from '../probe/pid-stat.js';
import { ownerIdentity } from '../probe/pid-status.js';
import { readOptional } from './config-files.js';
import { cwdOf } from './context.js';
import { splitExecLine } from './exec-line.js';
import { parseIni, parseSupervisordArgs, readSupervisordConfig } from './supervisord.js';
import { readUnitExec } from './unit-exec.js';

export interface LaunchCommand {
  argv: string[];
  /** Where it was read, for a sentence: "ExecStart= of redis-server.service", "command= of [program:cache] in FILE:LINE". */
  from: string;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** The [program:x] command of the supervisord that is `pid`'s parent, when exactly one program runs an executable named `comm`. */
function supervisordCommand(root: string, pid: number, comm: string): LaunchCommand | null {
  let ppid: number;
  let parentArgv: string[];
  try {
    ppid = readPidStat(root, pid).ppid;
    parentArgv = readPidCmdline(root, ppid).argv;
  } catch {
    return null;
  }
  if (!parentArgv.slice(0, 2).some((a) => base(a).startsWith('supervisord'))) return null;
  const args = parseSupervisordArgs(parentArgv);
  const as = ownerIdentity(root, ppid);
  const conf = readSupervisordConfig(root, args, args.config?.startsWith('/') ? '/' : cwdOf(root, ppid), undefined, as);
  if (!conf) return null;
  const hits: LaunchCommand[] = [];
  for (const file of conf.files) {
    let text: string | null = null;
    try {
      text = readOptional(root, file, as);
    } catch {
      continue; // not readable by supervisord's owner: not a file it runs commands from
    }
    for (const a of parseIni(text ?? '', file)) {
      if (!a.section.startsWith('program:') || a.key !== 'command') continue;
      const argv = splitExecLine(a.value, new Map()).map((w) => w.word);
      // comm is the executable's name cut to 15 bytes (TASK_COMM_LEN).
      if (argv.length && base(argv[0]).slice(0, 15) === comm) hits.push({ argv, from: `command= of [${a.section}] in ${a.file}:${a.line}` });
    }
  }
  return hits.length === 1 ? hits[0] : null;
}

/** How `pid` (comm `comm`, in systemd unit `unit` or none) was started, or null when no launcher sockdoc reads says. */
export function launchCommand(root: string, pid: number, comm: string, unit: string | null): LaunchCommand | null {
  if (unit) {
    try {
      const u = readUnitExec(root, unit);
      if (u) return { argv: u.words.map((w) => w.word), from: `ExecStart= of ${unit} (${u.exec.file}:${u.exec.line})` };
    } catch {
      // A malformed unit: try the next launcher.
    }
  }
  try {
    return supervisordCommand(root, pid, comm);
  } catch {
    return null;
  }
}

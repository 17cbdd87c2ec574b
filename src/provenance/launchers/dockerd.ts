/**
 * dockerd's own command line as a source of containers' limits: `--default-ulimit nofile=S:H`
 * (dockerd(8); the same setting as daemon.json "default-ulimits", and dockerd refuses to start when
 * both set it: "the following directives are specified both as a flag and in the configuration
 * file"). The flag is written in the unit's ExecStart= (docker.service, or a drop-in that replaces
 * it), or in a variable the ExecStart expands from an environment file: Debian's unit reads
 * /etc/default/docker ($DOCKER_OPTS), Red Hat's /etc/sysconfig/docker ($OPTIONS); init scripts read
 * the same files. The running dockerd's argv says what applies; the files say who wrote it.
 *
 * Which dockerd runs a container: the one whose data root (--data-root, daemon.json "data-root",
 * default /var/lib/docker) holds containers/ID — a host may run several daemons.
 */
import { ownerIdentity } from '../../probe/pid-status.js';
import { readPidCgroup, systemdCgroupPath } from '../../probe/pid-cgroup.js';
import { readPidCmdline } from '../../probe/pid-cmdline.js';
import { statUnder } from '../../probe/read-file.js';
import { processesNamed } from '../children.js';
import { readOptional } from '../config-files.js';
import { memoRead, type ExplainContext } from '../context.js';
import { parseEnvFile, type EnvAssignment } from '../env-file.js';
import { splitExecLine } from '../exec-line.js';
import { unitOf } from '../kinds.js';
import { readUnitExec } from '../unit-exec.js';

/** A dockerd process and what its argv says. */
export interface Dockerd {
  pid: number;
  argv: string[];
  /** Where it keeps containers (containers/ID/hostconfig.json). */
  dataRoot: string;
  /** Its daemon.json (--config-file, default /etc/docker/daemon.json). */
  configFile: string;
  /** The systemd unit it runs in, from its cgroup; null when none (started by hand, an init script). */
  unit: string | null;
}

/** A --default-ulimit nofile value and where it was written. */
export interface FlagUlimit {
  soft: number;
  hard: number;
  /** The words as written: "--default-ulimit nofile=1024:2048". */
  setting: string;
  /** The file and line that wrote it; null when only the running argv shows it. */
  file: string | null;
  line: number | null;
  /** The unit whose ExecStart carries it, when it came from a unit. */
  unit: string | null;
  /** The variable of an environment file that held it ($OPTIONS), or null when in ExecStart itself. */
  variable: string | null;
}

/** The value of a flag in argv ("--x v", "--x=v"): the last occurrence, as dockerd's flag parser keeps it. */
function lastFlag(argv: readonly string[], names: readonly string[]): string | null {
  let v: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    for (const n of names) {
      if (argv[i] === n && i + 1 < argv.length) v = argv[i + 1];
      else if (argv[i].startsWith(`${n}=`)) v = argv[i].slice(n.length + 1);
    }
  }
  return v;
}

/** "nofile=1024:2048" / "nofile=4096" -> soft, hard (docker/go-units ParseUlimit); null for another name or a bad value. */
export function parseNofileUlimit(text: string): { soft: number; hard: number } | null {
  const eq = text.indexOf('=');
  if (eq < 0 || text.slice(0, eq) !== 'nofile') return null;
  const [a, b, extra] = text.slice(eq + 1).split(':');
  if (extra !== undefined || !/^\d{1,10}$/.test(a) || (b !== undefined && !/^\d{1,10}$/.test(b))) return null;
  const soft = Number(a);
  const hard = b === undefined ? soft : Number(b);
  return soft <= hard ? { soft, hard } : null;
}

/**
 * The nofile of every --default-ulimit in argv (the last wins: dockerd keeps them in a map by name),
 * with the index of its words.
 * @example defaultUlimitArg(['dockerd', '--default-ulimit', 'nofile=1024:2048'])?.hard // 2048
 */
export function defaultUlimitArg(argv: readonly string[]): { soft: number; hard: number; index: number; words: number } | null {
  let hit: { soft: number; hard: number; index: number; words: number } | null = null;
  for (let i = 0; i < argv.length; i++) {
    let text: string | null = null;
    let words = 1;
    if (argv[i] === '--default-ulimit' && i + 1 < argv.length) {
      text = argv[i + 1];
      words = 2;
    } else if (argv[i].startsWith('--default-ulimit=')) text = argv[i].slice('--default-ulimit='.length);
    const v = text === null ? null : parseNofileUlimit(text);
    if (v) hit = { ...v, index: i, words };
  }
  return hit;
}

function readDockerd(ctx: ExplainContext, root: string, pid: number): Dockerd | null {
  let argv: string[];
  try {
    argv = readPidCmdline(root, pid).argv;
  } catch {
    return null; // gone or not ours to read
  }
  let unit: string | null = null;
  try {
    unit = unitOf(systemdCgroupPath(readPidCgroup(root, pid)))?.unit ?? null;
  } catch {
    unit = null;
  }
  const configFile = lastFlag(argv, ['--config-file']) ?? '/etc/docker/daemon.json';
  let dataRoot = lastFlag(argv, ['--data-root', '-g', '--graph']);
  if (dataRoot === null) {
    const json = memoRead(ctx, `docker:json:${configFile}`, () => {
      const text = readOptional(root, configFile, ownerIdentity(root, pid));
      return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
    });
    const v = json.ok && json.value ? (json.value['data-root'] ?? json.value.graph) : undefined;
    dataRoot = typeof v === 'string' ? v : '/var/lib/docker';
  }
  return { pid, argv, dataRoot, configFile, unit };
}

/**
 * The dockerd that runs container `id`: the one whose data root holds containers/ID, else the only
 * dockerd seen; null when none is seen (not root, a capture without it) or several could be it.
 */
export function dockerdFor(ctx: ExplainContext, root: string, id: string): Dockerd | null {
  const r = memoRead(ctx, 'docker:daemons', () => processesNamed(ctx, root, (n) => n === 'dockerd' || n === 'dockerd-current').map((c) => readDockerd(ctx, root, c.pid)).filter((d): d is Dockerd => d !== null));
  const all = r.ok ? r.value : [];
  if (/^[0-9a-f]{12,64}$/.test(id)) {
    for (const d of all) {
      try {
        if (statUnder(root, `${d.dataRoot}/containers/${id}`)?.isDirectory) return d;
      } catch {
        // not readable here: try the next daemon
      }
    }
  }
  return all.length === 1 ? all[0] : null;
}

/**
 * --default-ulimit nofile as the unit would start dockerd with it: the effective ExecStart= (a
 * drop-in's empty ExecStart= clears the fragment's, the next one replaces it), its variables
 * expanded from Environment=/EnvironmentFile=; traced to the file and line that wrote it. null
 * when the unit's ExecStart has none (or there is no such unit).
 */
export function unitDefaultUlimit(ctx: ExplainContext, root: string, unit: string): FlagUlimit | null {
  const r = memoRead(ctx, `docker:unit:${unit}`, () => {
    const u = readUnitExec(root, unit);
    if (!u) return null;
    const hit = defaultUlimitArg(u.words.map((w) => w.word));
    if (!hit) return null;
    const used = u.words.slice(hit.index, hit.index + hit.words);
    const variable = used.find((w) => w.fromVar !== null)?.fromVar ?? null;
    const from = variable ? u.env.get(variable) : undefined;
    return {
      soft: hit.soft,
      hard: hit.hard,
      setting: used.map((w) => w.word).join(' '),
      file: from ? from.file : u.exec.file,
      line: from ? from.line : u.exec.line,
      unit,
      variable,
    } satisfies FlagUlimit;
  });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** Environment files init scripts (and the distributions' units) read dockerd's options from. */
const INIT_ENV_FILES: ReadonlyArray<readonly [string, string]> = [
  ['/etc/default/docker', 'DOCKER_OPTS'],
  ['/etc/sysconfig/docker', 'OPTIONS'],
];

/** A --default-ulimit in an init script's environment file (no systemd unit names it). */
function initEnvUlimit(root: string, want: { soft: number; hard: number }): FlagUlimit | null {
  for (const [path, key] of INIT_ENV_FILES) {
    const text = readOptional(root, path);
    if (text === null) continue;
    let last: EnvAssignment | null = null;
    for (const e of parseEnvFile(text, path)) if (e.key === key) last = e;
    if (!last) continue;
    const words = splitExecLine(last.value, new Map()).map((w) => w.word);
    const hit = defaultUlimitArg(words);
    if (hit && hit.soft === want.soft && hit.hard === want.hard) {
      return { ...want, setting: words.slice(hit.index, hit.index + hit.words).join(' '), file: path, line: last.line, unit: null, variable: key };
    }
  }
  return null;
}

/**
 * The --default-ulimit nofile that applies to new containers of `daemon` (or of the host's
 * docker.service when no dockerd is seen), and where it was written. `stale` is set when the
 * running dockerd's argv and the unit disagree (the unit changed since dockerd started).
 */
export function flagDefaultUlimit(ctx: ExplainContext, root: string, daemon: Dockerd | null): (FlagUlimit & { stale?: FlagUlimit | null }) | null {
  const unit = daemon?.unit ?? (daemon ? null : 'docker.service');
  const configured = unit ? unitDefaultUlimit(ctx, root, unit) : null;
  if (!daemon) return configured;
  const hit = defaultUlimitArg(daemon.argv);
  if (!hit) return null;
  const setting = daemon.argv.slice(hit.index, hit.index + hit.words).join(' ');
  if (configured && configured.soft === hit.soft && configured.hard === hit.hard) return configured;
  const init = initEnvUlimit(root, hit);
  if (init) return init;
  return { soft: hit.soft, hard: hit.hard, setting, file: null, line: null, unit, variable: null, stale: configured };
}

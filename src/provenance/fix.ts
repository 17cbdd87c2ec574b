/**
 * Fixes as structured steps, one layer each: relief first (changes the running process, no
 * restart), then the durable change, then the restart that applies it with what it stops.
 * Every word taken from the host (unit names, paths, argv) goes through src/safety/shell-quote.ts.
 */
import { setInFile } from './config-edit.js';
import { byteOrder } from './config-files.js';
import type { Effective } from './rlimit.js';
import { shellCommand, shellQuote } from '../safety/shell-quote.js';
import { terminalSafe } from '../safety/terminal.js';


export interface Pair {
  soft: number;
  hard: number;
}

export type StepKind = 'relief' | 'durable' | 'restart';

/** One step of a fix. */
export interface FixStep {
  kind: StepKind;
  /** One sentence: what the step does. */
  title: string;
  /** Commands or configuration lines, in order; lines starting with `#` are comments. */
  lines: string[];
  /** Restarts: what stops while it runs ("every program supervisord runs: worker, web"). */
  blastRadius?: string;
  /** Set when the step would fail as written: what it needs that the process applying it lacks. */
  needs?: string;
  /**
   * Set when the value was capped at what its runner can apply: what to raise first to go higher
   * ("to go above 20000, first raise …"). The step as written works.
   */
  higher?: string;
}

/** 65536 is what most server guides use; comfortably below the default fs.nr_open (1048576). */
const EXAMPLE_SOFT = 65536;

/** fs.nr_open's default (include/linux/fs.h NR_OPEN = 1024*1024). */
const DEFAULT_NR_OPEN = 1048576;

/**
 * The value a fix proposes: `wanted` when a configuration asks for it, else soft = max(65536, 2×soft)
 * and hard kept when higher (lowering a hard limit helps no one); never above fs.nr_open.
 */
export function proposedValue(current: Effective, wanted?: Pair, nrOpen?: number | null): Pair {
  // Never propose above fs.nr_open (setrlimit fails with EPERM); 1048576 is its kernel default.
  const cap = nrOpen ?? DEFAULT_NR_OPEN;
  if (wanted) return { soft: Math.min(wanted.soft, cap), hard: Math.min(wanted.hard, cap) };
  const soft = Math.max(Math.min(Math.max(EXAMPLE_SOFT, (current.soft ?? 0) * 2), cap), current.soft ?? 0);
  return { soft, hard: Math.max(soft, current.hard ?? 0) };
}

export const sh = (p: Pair) => `${p.soft}:${p.hard}`;

/**
 * systemd: a drop-in via `systemctl edit` (it writes override.conf) and a reload, then a restart.
 * When a drop-in that sorts after override.conf already sets LimitNOFILE=, that file must be edited
 * instead, or it wins again (drop-ins apply in file-name order, man systemd.unit).
 */
export interface SystemdFixOptions {
  /** A unit of a user manager: edits run as that user (`systemctl edit` refuses --machine: "Cannot edit units remotely"). */
  userUnit?: boolean;
  userName?: string;
  /** Runs argv as the user manager's owner, environment stated (fix-runner.ts runAs); required for a user unit's edit. */
  asUser?: (argv: string[], env: Array<[string, string]>) => string;
  /** XDG_RUNTIME_DIR of that user (/run/user/UID): where `systemctl --user` finds its manager. */
  runtimeDir?: string;
  winningDropIn?: string | null;
  restartOnly?: boolean;
  needs?: string;
  higher?: string;
  /**
   * Set when the restart starts a program someone else can change (fix-runner.ts refusedLines):
   * the restart line becomes these comments, never a command.
   */
  restartRefused?: (line: string) => string[];
}

/**
 * systemd: a drop-in via `systemctl edit` (it writes override.conf) and a reload, then a restart.
 * When a drop-in that sorts after override.conf already sets LimitNOFILE=, that file must be edited
 * instead, or it wins again (drop-ins apply in file-name order, man systemd.unit). A user unit is
 * edited as its user (its files are in that user's home); the reload and restart reach its
 * manager from root with --machine=USER@ (systemctl(1), systemd ≥ 248).
 */
export function systemdFix(unit: string, p: Pair, opts: SystemdFixOptions = {}): FixStep[] {
  const ctl = opts.userUnit ? ['systemctl', '--user', ...(opts.userName ? [`--machine=${opts.userName}@`] : [])] : ['systemctl'];
  const restartLine = shellCommand([...ctl, 'restart', unit]);
  const restart: FixStep = {
    kind: 'restart',
    title: `Restart ${unit} so that systemd applies the limit when it starts it again.`,
    lines: [shellCommand([...ctl, 'daemon-reload']), ...(opts.restartRefused ? opts.restartRefused(restartLine) : [restartLine])],
    blastRadius: `stops every process of ${unit} and starts it again`,
  };
  if (opts.restartOnly) return [restart];
  const dropIn = opts.winningDropIn ?? null;
  const base = dropIn ? dropIn.slice(dropIn.lastIndexOf('/') + 1) : null;
  const userEnv: Array<[string, string]> = opts.runtimeDir ? [['XDG_RUNTIME_DIR', opts.runtimeDir]] : [];
  const asOwner = (argv: string[], env: Array<[string, string]> = []) => (opts.userUnit && opts.asUser ? opts.asUser(argv, env) : shellCommand(argv));
  const edit = opts.userUnit ? asOwner(['systemctl', '--user', 'edit', unit], userEnv) : shellCommand([...ctl, 'edit', unit]);
  const lines =
    dropIn && base && byteOrder(base, 'override.conf') > 0
      ? [`${asOwner(['sed', '-i', `s/^LimitNOFILE=.*/LimitNOFILE=${sh(p)}/`, dropIn])}   # this drop-in sorts after override.conf and would win over systemctl edit`]
      : [`${edit}   # add these two lines in the editor, save:`, '[Service]', `LimitNOFILE=${sh(p)}`];
  const durable: FixStep = { kind: 'durable', title: `Set LimitNOFILE=${sh(p)} for ${unit}.`, lines };
  if (opts.needs) durable.needs = opts.needs;
  if (opts.higher) durable.higher = opts.higher;
  return [durable, restart];
}

/** supervisord: minfds in [supervisord], then a real restart (a reload keeps the old limit). */
export function supervisordFix(file: string, minfds: number, restart: FixStep, configuredAlready: boolean, needs?: string, higher?: string, fileNote = ''): FixStep[] {
  const inFile = file.startsWith('/');
  const steps: FixStep[] = [];
  if (!configuredAlready) {
    const durable: FixStep = {
      kind: 'durable',
      title: `Set minfds=${minfds} for supervisord.`,
      lines: inFile ? [setInFile(`${shellQuote(file)}${fileNote}`, 'section [supervisord]', `minfds=${minfds}`)] : [setInFile(file, null, `--minfds=${minfds}`)],
    };
    if (needs) durable.needs = needs;
    if (higher) durable.higher = higher;
    steps.push(durable);
  }
  const r = { ...restart, title: `${restart.title} (\`supervisorctl reload\` does not re-apply minfds).` };
  if (needs && configuredAlready) r.needs = needs;
  steps.push(r);
  return steps;
}

/** pam_limits: a limits.d line for the user; a new session picks it up. */
export function pamFix(user: string, p: Pair, cron = false): FixStep[] {
  return [
    {
      kind: 'durable',
      title: `Give ${user} ${sh(p)} in limits.d.`,
      lines: [`printf '%s\\n' ${shellQuote(`${user} soft nofile ${p.soft}`)} ${shellQuote(`${user} hard nofile ${p.hard}`)} >> /etc/security/limits.d/90-nofile.conf`],
    },
    {
      kind: 'restart',
      title: cron ? 'The next run of the cron job gets it: limits.conf applies when a session opens.' : 'Log out and log in again, then restart the program: limits.conf applies to new sessions only.',
      lines: [],
      blastRadius: cron ? 'stops nothing' : 'the programs started from the old session keep running with the old limit until restarted',
    },
  ];
}

/** A shell that ran `ulimit -n`: the line to write there instead, then restart from that shell. */
export function shellFix(where: string | null, p: Pair, needs?: string): FixStep[] {
  const line = `ulimit -n ${p.soft}   # bash sets soft and hard`;
  const durable: FixStep = where
    ? { kind: 'durable', title: `Raise the ulimit line in ${where}.`, lines: [`# in ${where}, replace the ulimit line with:`, line] }
    : { kind: 'durable', title: 'Set the limit in the script or shell that starts the program.', lines: [line] };
  if (needs) durable.needs = needs;
  return [durable, { kind: 'restart', title: 'Restart the program from that shell or script.', lines: [], blastRadius: 'stops the program while it restarts' }];
}

/**
 * Immediate relief: changes the running process, lost when it restarts (man 1 prlimit). `needs`
 * says what the shell running it lacks; `prefix` runs it as another account (fix-runner.ts asPrefix).
 */
export function prlimitStep(pid: number, p: Pair, needs?: string, prefix: readonly string[] = []): FixStep {
  const step: FixStep = {
    kind: 'relief',
    title: `Now, without a restart: give pid ${pid} ${sh(p)} (lost when the process restarts).`,
    lines: [shellCommand([...prefix, 'prlimit', '--pid', String(pid), `--nofile=${sh(p)}`])],
  };
  if (needs) step.needs = needs;
  return step;
}

/** The flat form of steps (issue 3's `fix` array): each step's lines, with its cost and needs as comments. */
/**
 * A step's title and its blast radius as prose: "Restart x. This stops y." Titles come with and
 * without a full stop; the sentence after one must never be glued on ("…was started This stops…").
 * Not escaped: the caller escapes for its medium.
 */
export function stepHeadline(s: Pick<FixStep, 'title' | 'blastRadius'>): string {
  const title = /[.!?]$/.test(s.title) ? s.title : `${s.title}.`;
  return s.blastRadius ? `${title} This ${s.blastRadius}.` : title;
}

export function flattenSteps(steps: readonly FixStep[]): string[] {
  const out: string[] = [];
  for (const s of steps) {
    // Comments carry host strings (program names in a blast radius, unit names in a title): a newline
    // there would end the comment and make the rest a command, so they are escaped like terminal text.
    const notes = [s.kind === 'relief' ? 'now, without a restart; lost when the process restarts' : '', s.blastRadius ? `this ${terminalSafe(s.blastRadius)}` : '', s.needs ? `needs ${terminalSafe(s.needs)}` : ''].filter(Boolean);
    if (!s.lines.length) {
      out.push(terminalSafe(`# ${stepHeadline(s)}${s.needs ? ` Needs ${s.needs}.` : ''}${s.higher ? ` ${s.higher}` : ''}`));
      continue;
    }
    const last = s.lines.length - 1;
    // The notes go on the last line: after its own comment when it has one, never dropped.
    s.lines.forEach((l, i) => out.push(i === last && notes.length ? `${l}${l.startsWith('#') || l.includes('   # ') ? '; ' : '   # '}${notes.join('; ')}` : l));
    if (s.higher) out.push(terminalSafe(`# ${s.higher}`));
  }
  return out;
}

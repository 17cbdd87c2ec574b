/**
 * `sockdoc watch`: the host sampled every 2 s (--every), full screen on a terminal (keys as htop:
 * q p s / ↑↓ Enter ?), one summary line per sample when stdout is not a terminal (for logs).
 * Ends on q, Ctrl-C, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGALRM or after --count samples; the
 * terminal is restored each time. Ctrl-Z and SIGTSTP give the terminal back and stop (the shell's
 * `fg` brings the screen back, redrawn); SIGCONT after any stop redraws; SIGUSR1/SIGUSR2 are
 * ignored (src/safety/debug-signals.ts).
 */
import { History } from '../history/history.js';
import { approxDuration } from '../rules/support/text.js';
import { Sampler, type Sample } from '../watch/sampler.js';
import { buildModel, filterModel, sortProcesses, type Model, type ProcessSort } from '../watch/model.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import { renderScreen, summaryLine } from '../watch/screen.js';
import { openTerminal, type Terminal } from '../watch/terminal.js';
import { inForeground, stopWithDefault } from '../watch/job-control.js';
import { fit } from '../watch/text.js';
import { terminalSafe } from '../safety/terminal.js';
import { followSelection, INITIAL_UI, press, type Key, type UiState } from '../watch/ui.js';
import { durationFlag, intFlag, parse } from './args.js';
import { IdentityCache } from '../probe/pid-identity.js';
import { diagnose, NETNS_OPTIONS, netnsQuery, ruleOptions, scopedSnapshot, THRESHOLD_OPTIONS } from './diagnose.js';
import { EXIT, UsageError, useColor, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc watch [options]

Watch this host: listeners nearest full, processes nearest their fd limit with their trend and
"full in ~40 min", counter rates and the current findings, refreshed every 2 s.
On a terminal: full screen; keys q quit, p pause, s sort, / filter, ↑↓ select, Enter why+fix, ? help.
Otherwise (a pipe, a log, TERM=dumb): one summary line per refresh.

Options:
  --every DURATION   refresh interval: 2s (default), 500ms .. 60s
  --history DURATION how much history to keep for trends and the forecast: 1h (default), e.g. 10m, 3h
                     (at most 7200 samples)
  --count N          stop after N refreshes (default: until q or a signal); a failed refresh counts
  --netns NAME|INODE|PID, --container NAME, --pod NS/NAME
                     only this network namespace (as for diagnose)
  --fd-warning R, --fd-critical R, --queue-warning R, --file-table-warning R, --syn-warning R,
  --accept-wait DURATION
                     thresholds, as for diagnose
  --no-color         no colour (also NO_COLOR=1)
  -h, --help         this help
`;

const OPTIONS = {
  every: { type: 'string' },
  history: { type: 'string' },
  count: { type: 'string' },
  ...NETNS_OPTIONS,
  // Known only to refuse it in words: a capture is one moment, there is nothing to watch.
  root: { type: 'string' },
  ...THRESHOLD_OPTIONS,
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** "1h", "90m", "3600s", "3600": ms, between 1 minute and 24 hours. */
export function historyFlag(value: string | undefined): number {
  if (value === undefined) return 3600_000;
  const m = /^(\d+(?:\.\d+)?)(h|m|s)?$/.exec(value);
  if (!m) throw new UsageError(`--history expects a duration like 1h, 30m or 600s, got '${value}'`);
  const ms = Number(m[1]) * (m[2] === 'h' ? 3600_000 : m[2] === 'm' ? 60_000 : 1000);
  if (ms < 60_000 || ms > 24 * 3600_000) throw new UsageError(`--history must be between 1m and 24h, got '${value}'`);
  return ms;
}

/** The sampling window of the first sample (later ones are judged against the previous sample). */
const FIRST_WINDOW_MS = 1000;

/** At most this many samples are kept (2 h at 1 s, 4 h at 2 s): memory stays bounded whatever --history asks. */
export const MAX_SAMPLES = 7200;

/**
 * Signals that end a watch, each with the terminal restored: every signal whose default action
 * ends a process (signal(7)) and that a process may handle safely. Their default actions would end
 * it with the alternate screen still shown and the cursor hidden: SIGQUIT (Ctrl-\ where the
 * terminal is not raw, `kill -QUIT`), SIGALRM and SIGVTALRM (a wrapper's alarm), SIGXCPU and
 * SIGXFSZ (a CPU or file-size limit: prlimit, ulimit -t), SIGPWR (a UPS daemon), SIGIO and
 * SIGSTKFLT (nothing sockdoc asks for) too. Not handled: SIGUSR1/SIGUSR2 (ignored for good:
 * src/safety/debug-signals.ts), SIGPROF (V8's profiler), SIGTRAP (debuggers), SIGSYS (seccomp), and
 * the faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL), after which no JavaScript can run safely.
 */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGALRM', 'SIGVTALRM', 'SIGXCPU', 'SIGXFSZ', 'SIGPWR', 'SIGIO', 'SIGSTKFLT'] as const;

/** Resolves on the first of STOP_SIGNALS (handlers removed by the returned cleanup). */
function onSignals(fn: (signal: NodeJS.Signals) => void): () => void {
  for (const s of STOP_SIGNALS) process.on(s, fn);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, fn);
  };
}

/**
 * Once the watch has ended, nothing still pending keeps the process: a sample under way (on a
 * loaded host with hundreds of namespaces it reads for seconds) or a terminal's input that never
 * closes. The process ends by itself as soon as nothing is left (the usual case); otherwise after
 * 200 ms, with the watch's exit code.
 */
function leaveSoon(code: number): number {
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}

export const run: Command = async (args: string[], io: Io) => {
  const { values } = parse(args, OPTIONS);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (values.root !== undefined) {
    throw new UsageError(`watch samples this host live; --root ${values.root} is a capture, one moment: read it with 'sockdoc --root ${values.root}'`);
  }
  const everyMs = durationFlag('every', values.every, 2000);
  if (everyMs < 500) throw new UsageError(`--every must be at least 500ms, got '${values.every}'`);
  const historyMs = historyFlag(values.history);
  const count = intFlag('count', values.count, 1);
  const options = ruleOptions(values);
  const query = netnsQuery(values);
  const color = useColor(io) && !values['no-color'];
  const wanted = Math.ceil(historyMs / everyMs);
  const history = new History({ capacity: Math.min(MAX_SAMPLES, Math.max(10, wanted)) });
  if (wanted > MAX_SAMPLES) {
    // Said, not silently shortened: the forecast's horizon depends on how much history there is.
    io.stderr(`sockdoc: note: --history ${values.history} at --every ${everyMs / 1000} s would be ${wanted} samples; keeping the last ${MAX_SAMPLES} (${approxDuration(MAX_SAMPLES * everyMs).slice(1)}). A longer --every keeps more time.\n`);
  }

  let seen = 0;
  let sampled = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const countDone = () => count !== undefined && ++seen >= count;
  /** Why the latest refresh failed (null after a good one); `fatal` ends the watch with it. */
  let failure: string | null = null;
  let fatal: UsageError | null = null;
  let onFailure: () => void = () => {};
  let firstTake = true;
  const identities = new IdentityCache();
  const sampler = new Sampler({
    everyMs,
    history,
    // The first sample has no earlier one to be judged against: it reads its own 1 s window (as
    // diagnose does), so its first screen already tells a CLOSE_WAIT leak from churn and shows rates.
    take: async () => {
      const intervalMs = firstTake ? FIRST_WINDOW_MS : 0;
      firstTake = false;
      return scopedSnapshot({ root: '/', intervalMs, acceptWaitMs: options.acceptWaitMs }, query);
    },
    // A named process's executable and unit are read once per watch (by pid and start time), not every sample.
    analyse: (snapshot, context) => diagnose(snapshot, options, {}, context, identities).findings,
    onError: (err) => {
      failure = `sampling failed: ${(err as Error)?.message ?? String(err)}`;
      // A namespace that is not there (or not readable) at the start is a usage error, exit 3; one
      // that goes away later (a container restarting) is shown, and the watch goes on.
      if (!sampled && err instanceof UsageError) {
        fatal = err;
        return stop();
      }
      onFailure();
      if (countDone()) stop();
    },
  });

  const narrowed = query.netns !== undefined || query.container !== undefined || query.pod !== undefined;
  /** The model of a sample, naming the namespace watched when --netns/--container/--pod chose one. */
  const modelOf = (sample: Sample, sort?: ProcessSort): Model => {
    const m = buildModel(sample, history, sort);
    const ns = sample.snapshot.namespaces[0];
    return narrowed && ns ? { ...m, scope: netnsLabel(ns) } : m;
  };

  // TERM=dumb (Emacs shell, some serial consoles) cannot move the cursor: log lines there too.
  const interactive = io.isTTY && Boolean(process.stdin.isTTY) && io.env.TERM !== 'dumb';
  if (!interactive) {
    let said: string | null = null;
    onFailure = () => {
      // Once per distinct failure: a log must say why its lines stopped, not repeat it every 2 s.
      // The same failure with another list of the namespaces seen (they come and go on a busy
      // host) is not a new one.
      const cause = (failure ?? '').replace(/; seen: .*$/s, '');
      if (cause !== said) io.stderr(`sockdoc: ${terminalSafe(failure ?? '')}\n`);
      said = cause;
    };
    sampler.subscribe((sample) => {
      sampled = true;
      said = null;
      io.stdout(summaryLine(modelOf(sample)) + '\n');
      if (countDone()) stop();
    });
    // The reader went away (`sockdoc watch | head -1`, a log shipper that died): nobody to write for.
    const closed = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') stop();
    };
    process.stdout.on('error', closed);
    const off = onSignals(() => stop());
    sampler.start();
    await stopped;
    sampler.stop();
    off();
    process.stdout.off('error', closed);
    if (fatal) throw fatal;
    return leaveSoon(failure && !sampled ? EXIT.unknown : EXIT.ok);
  }

  let ui: UiState = INITIAL_UI;
  let latest: Sample | null = null;
  let model: Model | null = null;
  let term: Terminal | null = null;
  const redraw = () => {
    if (!term) return;
    const size = term.size();
    if (!model) {
      term.draw([`sockdoc watch: taking the first sample…${failure ? `  ${terminalSafe(failure)}` : ''}`, '', 'q quit']);
      return;
    }
    const lines = renderScreen(model, ui, size, everyMs, color);
    if (failure) lines[lines.length - 1] = fit(terminalSafe(failure), size.cols);
    term.draw(lines);
  };
  // Job control. Raw mode turns the terminal's Ctrl-Z into a key (no ISIG), so the key stops the
  // whole process group as the terminal would (a wrapper such as npx stops with it, and the shell
  // sees the job stop); SIGTSTP sent by someone stops this process. Either way the terminal is
  // given back first, and taken again on SIGCONT — only in the foreground: continued with `bg`,
  // the watch stops again on SIGTTOU ("Stopped (tty output)") until `fg`.
  let suspended = false;
  const onCont = (): void => {
    if (!term) return;
    if (!inForeground()) {
      suspended = true;
      term.suspend();
      stopWithDefault('SIGTTOU', process.pid);
      return; // continued again: another SIGCONT follows
    }
    suspended = false;
    term.resume();
    redraw();
  };
  const suspend = (target: number): void => {
    suspended = true;
    term?.suspend();
    stopWithDefault('SIGTSTP', target);
    // Continued (or the stop was discarded: an orphaned process group). The SIGCONT listener
    // redraws; should no SIGCONT come, the screen is taken back here.
    setTimeout(() => {
      if (suspended && inForeground()) onCont();
    }, 200).unref();
  };
  const onTstp = (): void => suspend(process.pid);
  const onKey = (key: Key) => {
    if (key.ctrl && key.name === 'z') return suspend(0);
    // Ctrl-\ in raw mode is a byte, not SIGQUIT: it quits, as the signal would.
    if (key.sequence === '\x1c') return stop();
    const before = ui;
    // The selection indexes the groups of findings on screen, which the filter narrows.
    ui = press(ui, key, model ? filterModel(model, ui.filter).groups.length : 0);
    if (ui.quit) return stop();
    if (ui.sort !== before.sort && model) model = { ...model, processes: sortProcesses(model.processes, ui.sort) };
    if (before.paused && !ui.paused && latest) {
      const next = modelOf(latest, ui.sort);
      ui = followSelection(ui, model, next);
      model = next;
    }
    redraw();
  };
  // Started in the background (`sockdoc watch &`): wait for `fg` before touching the terminal.
  if (!inForeground()) stopWithDefault('SIGTTOU', process.pid);
  term = openTerminal({ input: process.stdin, output: process.stdout }, onKey, redraw);
  // The terminal is restored whatever ends the watch: q, a signal, or an error thrown below.
  const restore = () => term?.close();
  process.on('exit', restore);
  const off = onSignals(() => stop());
  process.on('SIGTSTP', onTstp);
  process.on('SIGCONT', onCont);
  // The terminal went away (a closed window: EIO, or a pipe's EPIPE): nobody to draw for.
  const gone = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EIO' || err.code === 'EPIPE') stop();
  };
  process.stdout.on('error', gone);
  // The terminal's input went away too (hung up: EIO, or end of file): nothing to watch for.
  const inputGone = (): void => stop();
  process.stdin.on('end', inputGone);
  process.stdin.on('error', gone);
  onFailure = redraw;
  try {
    sampler.subscribe((sample) => {
      sampled = true;
      latest = sample;
      failure = null;
      if (!ui.paused) {
        const next = modelOf(sample, ui.sort);
        ui = followSelection(ui, model, next);
        model = next;
      }
      redraw();
      if (countDone()) stop();
    });
    redraw();
    sampler.start();
    await stopped;
  } finally {
    sampler.stop();
    off();
    process.off('SIGTSTP', onTstp);
    process.off('SIGCONT', onCont);
    restore();
    process.off('exit', restore);
    process.stdout.off('error', gone);
    process.stdin.off('end', inputGone);
    process.stdin.off('error', gone);
  }
  if (fatal) throw fatal;
  return leaveSoon(failure && !sampled ? EXIT.unknown : EXIT.ok);
};

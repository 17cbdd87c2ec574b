/**
 * SIGUSR1 and SIGUSR2 are harmless in every sockdoc process.
 *
 * Unhandled, SIGUSR1 makes Node open its inspector on 127.0.0.1:9229 (node.cc registers
 * StartIoThreadWakeup for it at start-up, before any JavaScript runs): any local user could then
 * attach and run code as sockdoc — root, or the exporter's capabilities. An operator's
 * `pkill -USR1 node`, or a log-rotation script's, is enough. SIGUSR2's default action ends the
 * process without a word. Node 20 has no `--disable-sigusr1` (added in 22.14/23.7): a JavaScript
 * listener is the only defence there — libuv's handler then replaces Node's (sigaction is
 * process-wide, so worker threads are covered too).
 *
 * The listener is installed once and never removed: removing the last listener of a signal sets
 * its action back to SIG_DFL, and SIGUSR1 would then kill the process. Each entry point imports
 * `./debug-signals-first.js` as its first import, so the handler is in place before the rest of
 * its module graph is evaluated; node children sockdoc starts also get `--disable-sigusr1` where
 * the running Node has it (`nodeGuardFlags`).
 */

export const DEBUG_SIGNALS = ['SIGUSR1', 'SIGUSR2'] as const;

/** The one listener (a function, not state: installing twice is recognised by identity). */
function ignoreDebugSignal(): void {
  // Nothing: the point is that a listener exists. Commands that log (serve) add their own.
}

/** Installs the listeners (idempotent). */
export function guardDebugSignals(): void {
  for (const s of DEBUG_SIGNALS) {
    if (!process.listeners(s).includes(ignoreDebugSignal)) process.on(s, ignoreDebugSignal);
  }
}

/** True once guardDebugSignals ran in this process (tests, and a check before a long run). */
export function debugSignalsGuarded(): boolean {
  return DEBUG_SIGNALS.every((s) => process.listeners(s).includes(ignoreDebugSignal));
}

/**
 * Flags for a node child sockdoc starts: `--disable-sigusr1` where this Node knows it, so the
 * child cannot open its inspector even during its own start-up. Nothing on Node 20, where the
 * child's entry point installs the listener first thing.
 */
export function nodeGuardFlags(): string[] {
  return process.allowedNodeEnvironmentFlags.has('--disable-sigusr1') ? ['--disable-sigusr1'] : [];
}

/**
 * The full-screen terminal for `watch`: the alternate screen (as htop and less use it, so the
 * shell's scrollback is untouched), a hidden cursor, raw keys, resize events, and frames drawn by
 * log-update (only changed lines are rewritten, inside synchronized-output marks, so nothing
 * flickers). close() restores all of it and is safe to call twice, from a signal handler or exit.
 * suspend() restores it too but keeps the watch (Ctrl-Z, SIGTSTP: the shell gets a normal
 * terminal back); resume() takes the screen again and the next draw repaints it whole (SIGCONT
 * after `fg`: the shell has written on it meanwhile, and may have reset the terminal's modes).
 */
import { emitKeypressEvents } from 'node:readline';
import type { ReadStream } from 'node:tty';
import { createLogUpdate } from 'log-update';
import { keysOf, type Key } from './ui.js';
import type { ScreenSize } from './screen.js';

// ECMA-48 / xterm private modes: 1049 = alternate screen with saved cursor, 25 = cursor visible.
const ENTER = '\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H';
// Leaving also resets what a frame cut short by a signal may have left on: colours (SGR 0) and
// log-update's synchronized output (mode 2026, which would freeze the shell's screen until the
// terminal's own timeout).
const LEAVE = '\x1b[0m\x1b[?2026l\x1b[?25h\x1b[?1049l';

export interface Terminal {
  size(): ScreenSize;
  draw(lines: string[]): void;
  /** Gives the terminal back (main screen, cursor, cooked mode) without ending: before a stop. */
  suspend(): void;
  /** Takes the screen again after suspend() or a stop it did not see (SIGSTOP); draw next. */
  resume(): void;
  close(): void;
}

export interface TerminalStreams {
  input: ReadStream;
  output: NodeJS.WriteStream;
}

export function openTerminal(streams: TerminalStreams, onKey: (key: Key) => void, onResize: () => void): Terminal {
  const { input, output } = streams;
  let state: 'open' | 'suspended' | 'closed' = 'open';
  // log-update leaves the cursor alone (showCursor): it is hidden by ENTER and shown by LEAVE.
  let log = createLogUpdate(output, { showCursor: true });
  const take = (): void => {
    output.write(ENTER);
    // A fresh log-update: it knows nothing of what is on the screen, so the next frame is whole.
    log = createLogUpdate(output, { showCursor: true });
    if (input.isTTY) {
      // libuv skips a mode it believes is set (uv_tty_set_mode): after a stop the shell may have
      // put the terminal back in cooked mode, so raw mode is set anew.
      input.setRawMode(false);
      input.setRawMode(true);
    }
    input.resume();
  };
  const giveBack = (): void => {
    if (input.isTTY) input.setRawMode(false);
    input.pause();
    output.write(LEAVE);
  };
  const keypress = (_: string | undefined, key: Key | undefined) => {
    for (const k of keysOf(key ?? {})) onKey(k);
  };
  emitKeypressEvents(input);
  input.on('keypress', keypress);
  take();
  const resize = () => {
    if (state !== 'open') return;
    // Old frame geometry means nothing after a resize: clear and draw anew.
    output.write('\x1b[2J\x1b[H');
    log = createLogUpdate(output, { showCursor: true });
    onResize();
  };
  output.on('resize', resize);
  return {
    size: () => ({ cols: output.columns || 80, rows: output.rows || 24 }),
    draw(lines) {
      if (state === 'open') log(lines.join('\n'));
    },
    suspend() {
      if (state !== 'open') return;
      state = 'suspended';
      giveBack();
    },
    resume() {
      if (state === 'closed') return;
      state = 'open';
      take();
    },
    close() {
      if (state === 'closed') return;
      const wasOpen = state === 'open';
      state = 'closed';
      output.off('resize', resize);
      input.off('keypress', keypress);
      if (wasOpen) giveBack();
      else input.pause();
    },
  };
}

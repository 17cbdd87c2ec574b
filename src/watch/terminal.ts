/**
 * The full-screen terminal for `watch`: the alternate screen (as htop and less use it, so the
 * shell's scrollback is untouched), a hidden cursor, raw keys, resize events, and frames drawn by
 * log-update (only changed lines are rewritten, inside synchronized-output marks, so nothing
 * flickers). close() restores all of it and is safe to call twice, from a signal handler or exit.
 */
import { emitKeypressEvents } from 'node:readline';
import type { ReadStream } from 'node:tty';
import { createLogUpdate } from 'log-update';
import { keysOf, type Key } from './ui.js';
import type { ScreenSize } from './screen.js';

// ECMA-48 / xterm private modes: 1049 = alternate screen with saved cursor, 25 = cursor visible.
const ENTER = '\x1b[?1049h\x1b[?25l\x1b[2J\x1b[H';
const LEAVE = '\x1b[?25h\x1b[?1049l';

export interface Terminal {
  size(): ScreenSize;
  draw(lines: string[]): void;
  close(): void;
}

export interface TerminalStreams {
  input: ReadStream;
  output: NodeJS.WriteStream;
}

export function openTerminal(streams: TerminalStreams, onKey: (key: Key) => void, onResize: () => void): Terminal {
  const { input, output } = streams;
  output.write(ENTER);
  // log-update leaves the cursor alone (showCursor): it is hidden above and shown in close().
  let log = createLogUpdate(output, { showCursor: true });
  const keypress = (_: string | undefined, key: Key | undefined) => {
    for (const k of keysOf(key ?? {})) onKey(k);
  };
  emitKeypressEvents(input);
  if (input.isTTY) input.setRawMode(true);
  input.on('keypress', keypress);
  input.resume();
  const resize = () => {
    // Old frame geometry means nothing after a resize: clear and draw anew.
    output.write('\x1b[2J\x1b[H');
    log = createLogUpdate(output, { showCursor: true });
    onResize();
  };
  output.on('resize', resize);
  let open = true;
  return {
    size: () => ({ cols: output.columns || 80, rows: output.rows || 24 }),
    draw(lines) {
      if (open) log(lines.join('\n'));
    },
    close() {
      if (!open) return;
      open = false;
      output.off('resize', resize);
      input.off('keypress', keypress);
      if (input.isTTY) input.setRawMode(false);
      input.pause();
      output.write(LEAVE);
    },
  };
}

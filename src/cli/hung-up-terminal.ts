/**
 * Leaving a terminal that was hung up (its window closed, tmux killed) without a crash.
 *
 * Node restores the modes of fds 0-2 as it exits (src/node.cc ResetStdio, run from atexit and from
 * its own SIGTERM/SIGINT handler) and aborts when tcsetattr(3) fails with anything but EPERM. On a
 * hung-up terminal every ioctl fails with EIO (drivers/tty/tty_io.c hung_up_tty_ioctl), so `serve`
 * or `watch` ending on the hang-up's SIGHUP died of SIGABRT with a native stack trace (and a core
 * file where cores are kept). ResetStdio skips an fd that is closed (EBADF): the hung-up terminal's
 * fds are closed just before exit. isatty(3) is that same ioctl, so it tells a hung-up terminal
 * (was a terminal at start, is none now) from a live one, whose modes are restored as usual.
 */
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

export const STDIO_FDS = [0, 1, 2] as const;

/** Which of fds 0-2 are terminals now (taken at start). */
export function terminalsNow(isTty: (fd: number) => boolean = isatty): boolean[] {
  return STDIO_FDS.map((fd) => isTty(fd));
}

/** Closes each of fds 0-2 that was a terminal at start and is none now; returns the fds closed. */
export function releaseHungUpTerminals(wasTty: readonly boolean[], isTty: (fd: number) => boolean = isatty, close: (fd: number) => void = closeSync): number[] {
  const closed: number[] = [];
  for (const fd of STDIO_FDS) {
    if (!wasTty[fd] || isTty(fd)) continue;
    try {
      close(fd);
      closed.push(fd);
    } catch {
      // already closed: ResetStdio skips it too
    }
  }
  return closed;
}

/** The sockdoc bin's body (main.ts loads it): real stdout/stderr/env, expected failures as one line and exit 3. */
import { terminalSafe } from '../safety/terminal.js';
import { commandOf, main } from './app.js';
import { releaseHungUpTerminals, terminalsNow } from './hung-up-terminal.js';
import { EXIT, UsageError, processIo } from './io.js';

// A terminal hung up while a command ran (serve or watch ending on its SIGHUP) would make Node
// abort as it exits, restoring its modes: its fds are closed first (hung-up-terminal.ts).
const wasTty = terminalsNow();
process.on('exit', () => releaseHungUpTerminals(wasTty));

// A reader that closes the pipe early (`sockdoc sockets | head`) is not an error, and must not turn
// the diagnosis' exit code into 0: `sockdoc --json | head -c 10` on a critical host still exits 2.
// Output is written in one piece after the work is done, so nothing is lost by letting the command
// finish; its exit code is then the one returned below.
// The same for stderr: `sockdoc why … 2>&1 | head` writes its notes after the answer, into a pipe
// head has closed; an unhandled EPIPE there ended the process with 1 instead of the answer's code.
const closedReader = (err: NodeJS.ErrnoException) => {
  // EIO: the same for a terminal that was hung up (its window closed).
  if (err.code === 'EPIPE' || err.code === 'EIO') return;
  throw err;
};
process.stdout.on('error', closedReader);
process.stderr.on('error', closedReader);

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      const cmd = commandOf(process.argv.slice(2));
      process.stderr.write(`sockdoc: ${terminalSafe(err.message)}\n${err.help ? `Try 'sockdoc${cmd ? ` ${cmd}` : ''} --help'.\n` : ''}`);
    } else {
      process.stderr.write(`sockdoc: internal error: ${terminalSafe((err as Error)?.message ?? String(err))}\n`);
      if (process.env.SOCKDOC_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
      else process.stderr.write('Set SOCKDOC_DEBUG=1 for the stack trace, and please report it.\n');
    }
    process.exitCode = EXIT.unknown;
  },
);

/** `sockdoc why "<log line>"`: what an error message means, and which of its causes hold on this host now. */
import { readSync } from 'node:fs';
import { buildSnapshot } from '../snapshot/build.js';
import { answerWhy, knownMessages, type WhyAnswer } from '../why/answer.js';
import { recognise } from '../why/catalogue.js';
import { renderWhy, whyExitCode, whyToJson, type WhyLeftOut } from '../render/why.js';
import { terminalSafe } from '../safety/terminal.js';
import { checkRoot, diagnose, fixedClock, ruleOptions, THRESHOLD_OPTIONS } from './diagnose.js';
import { durationFlag, parse } from './args.js';
import { EXIT, UsageError, useColor, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc why [options] "<log line>" | -

Say what an error message means for sockets and file descriptors, which kernel conditions make it,
and which of them hold on this host now, and for whom. The first line is the answer.

  sockdoc why "accept4() failed (24: Too many open files)"
  sockdoc why 'connect() to unix:/run/php/php-fpm.sock failed (11: Resource temporarily unavailable)'
  journalctl -u nginx --since -1h | sockdoc why -        # every distinct message among the lines

It knows the messages of Linux, glibc, Go, Java, Node.js, Python, nginx, HAProxy, PHP/PHP-FPM,
curl, tail and systemd for too many open files (EMFILE, ENFILE, inotify), EAGAIN on a unix socket,
Cannot assign requested address, connection refused / reset / timed out, conntrack and SYN queues
(sockdoc why --list; docs/why.md). A port or unix socket path in the line narrows the checks to it.

Options:
  -                 read log lines from stdin (at most 10 distinct messages are answered; how
                    many more there were is said; at most 8 MiB of input is read)
  --list            the messages it knows, with their conditions
  --json            the answers as JSON (docs/why.md)
  --interval D      counter sampling window, as for a diagnosis (default 1; 0 = one read)
  --root DIR        check a captured host instead of this one
  --no-color
  -h, --help

Exit codes: 2 a cause holds now, 1 one is close, 0 every cause was checked and none holds,
3 not recognised, a cause could not be checked and none of the others holds, or could not run.
`;

/** Input read from stdin at most: a log is bounded before anything runs on it. */
const MAX_INPUT = 8 << 20;
/** Distinct recognised messages answered at most; the rest are counted. */
const MAX_ANSWERS = 10;

/** stdin, at most MAX_INPUT bytes (a bigger log is not held in memory whole); cut: there was more. */
function readInput(): { text: string; cut: boolean } {
  const buf = Buffer.alloc(MAX_INPUT + 1);
  let n = 0;
  while (n < buf.length) {
    let got: number;
    try {
      got = readSync(0, buf, n, buf.length - n, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break;
      throw err;
    }
    if (got === 0) break;
    n += got;
  }
  return { text: buf.subarray(0, Math.min(n, MAX_INPUT)).toString('latin1'), cut: n > MAX_INPUT };
}

/** The log lines asked about: stdin's (`-`), or the arguments as one line. */
function linesOf(positionals: string[]): { lines: string[]; cut: boolean } {
  if (positionals.length === 1 && positionals[0] === '-') {
    const { text, cut } = readInput();
    return { lines: text.split('\n').map((l) => l.trim()).filter(Boolean), cut };
  }
  return { lines: [positionals.join(' ')], cut: false };
}

export const run: Command = async (args: string[], io: Io) => {
  const { values, positionals: raw } = parse(
    args,
    { json: { type: 'boolean' }, list: { type: 'boolean' }, interval: { type: 'string' }, root: { type: 'string' }, ...THRESHOLD_OPTIONS, 'no-color': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  const positionals = raw as string[];
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (values.list) {
    io.stdout(knownMessages().map((m) => `${m}\n`).join(''));
    return EXIT.ok;
  }
  if (positionals.length === 0 || positionals.join('').trim() === '') throw new UsageError('give the log line: sockdoc why "<text>" (or - to read lines from stdin)');
  const root = checkRoot(values.root);
  const intervalMs = durationFlag('interval', values.interval as string | undefined, 1000);
  const options = ruleOptions(values);
  const { lines, cut } = linesOf(positionals);
  if (lines.length === 0) throw new UsageError('no log line on stdin: nothing to answer');
  const snapshot = await buildSnapshot({ root, intervalMs, now: fixedClock(io.env.SOCKDOC_NOW) });
  const d = diagnose(snapshot, options, {});
  // Every line is looked at (recognising is cheap); the first MAX_ANSWERS distinct messages are
  // answered, and the distinct ones past them counted: said, never dropped silently.
  const answers: WhyAnswer[] = [];
  const unknown: WhyAnswer[] = [];
  const seen = new Set<string>();
  const unseen = new Set<string>();
  for (const line of lines) {
    const r = recognise(line);
    const key = r ? `${r.entry.id} ${r.hints.port ?? ''} ${r.hints.path ?? ''}` : `? ${line.slice(0, 512)}`;
    if (seen.has(key) || unseen.has(key)) continue;
    if (!r) {
      unseen.add(key);
      if (unknown.length === 0) unknown.push(answerWhy(line, snapshot, d.findings));
      continue;
    }
    seen.add(key);
    if (answers.length < MAX_ANSWERS) answers.push(answerWhy(line, snapshot, d.findings));
  }
  // From a log, the lines it knows; "not recognised" only when it knows none of them.
  const shown = answers.length ? answers : unknown;
  const leftOut: WhyLeftOut = { messages: Math.max(0, seen.size - answers.length), unrecognised: answers.length ? unseen.size : Math.max(0, unseen.size - 1), inputCut: cut, cap: MAX_ANSWERS };
  const exitCode = whyExitCode(shown);
  if (values.json) io.stdout(JSON.stringify({ ...whyToJson(shown, leftOut), exitCode }, null, 2) + '\n');
  else io.stdout(renderWhy(shown, { color: useColor(io) && !values['no-color'], columns: io.columns, where: root === '/' ? 'this host' : `the host captured in ${root}`, leftOut }));
  if (snapshot.partial) for (const n of snapshot.notes.slice(0, 3)) io.stderr(`sockdoc: note: ${terminalSafe(n)}\n`);
  return exitCode as 0 | 1 | 2 | 3;
};

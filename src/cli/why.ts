/** `sockdoc why "<log line>"`: what an error message means, and which of its causes hold on this host now. */
import { readFileSync } from 'node:fs';
import { buildSnapshot } from '../snapshot/build.js';
import { answerWhy, knownMessages, type WhyAnswer } from '../why/answer.js';
import { renderWhy, whyToJson } from '../render/why.js';
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
  -                 read log lines from stdin (at most 10 distinct messages are answered)
  --list            the messages it knows, with their conditions
  --json            the answers as JSON (docs/why.md)
  --interval D      counter sampling window, as for a diagnosis (default 1; 0 = one read)
  --root DIR        check a captured host instead of this one
  --no-color
  -h, --help

Exit codes: 2 a cause holds now, 1 one is close, 0 none holds, 3 not recognised (or could not run).
`;

/** Distinct recognised lines of a log, in order; unrecognised ones only when nothing else is. */
function linesOf(io: Io, positionals: string[]): string[] {
  if (positionals.length === 1 && positionals[0] === '-') {
    const text = readFileSync(0, 'latin1').slice(0, 8 << 20);
    return text.split('\n').map((l) => l.trim()).filter(Boolean);
  }
  void io;
  return [positionals.join(' ')];
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
  const lines = linesOf(io, positionals);
  const snapshot = await buildSnapshot({ root, intervalMs, now: fixedClock(io.env.SOCKDOC_NOW) });
  const d = diagnose(snapshot, options, {});
  let answers: WhyAnswer[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const a = answerWhy(line, snapshot, d.findings);
    const key = a.recognised ? `${a.recognised.id} ${a.hints.port ?? ''} ${a.hints.path ?? ''}` : 'unknown';
    if (seen.has(key)) continue;
    seen.add(key);
    answers.push(a);
    if (answers.filter((x) => x.recognised).length >= 10) break;
  }
  // From a log, the lines it knows; "not recognised" only when it knows none of them.
  if (answers.some((a) => a.recognised)) answers = answers.filter((a) => a.recognised);
  const exitCode = answers.every((a) => a.exitCode === 3) ? EXIT.unknown : Math.max(...answers.map((a) => (a.exitCode === 3 ? 0 : a.exitCode)));
  if (values.json) io.stdout(JSON.stringify({ ...whyToJson(answers), exitCode }, null, 2) + '\n');
  else io.stdout(renderWhy(answers, { color: useColor(io) && !values['no-color'], columns: io.columns, where: root === '/' ? 'this host' : `the host captured in ${root}` }));
  if (snapshot.partial) for (const n of snapshot.notes.slice(0, 3)) io.stderr(`sockdoc: note: ${terminalSafe(n)}\n`);
  return exitCode as 0 | 1 | 2 | 3;
};

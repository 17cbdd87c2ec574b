/**
 * THE shell-quoting function. Every fix line that puts a host string (a path, a unit name, a user
 * name, an argv) into a command goes through shellQuote/shellCommand, never through string pasting:
 * root copies these lines into a shell, and `~/supervisord -c ~/s.conf '; curl … | sh #'` or a
 * drop-in named `zz $(…).conf` must arrive as one inert word each.
 *
 * Forms (POSIX.1-2024 XCU 2.2.2 and 2.2.4):
 * - a word of only safe characters is left as is: `/etc/supervisor/supervisord.conf`;
 * - otherwise single quotes, a ' inside written '\'': `'my file'`, `'it'\''s'`;
 * - a word holding control or bidi characters (a newline would end the command a line early when
 *   pasted, an ESC would act on the terminal) uses dollar-single-quotes with \xHH bytes:
 *   `$'a\x0ab'`. POSIX.1-2024, bash, zsh, ksh and busybox sh read it as the original word; a shell
 *   without it (dash 0.5.12) reads a literal `$a\x0ab`: a wrong word, but still one inert word.
 *   A byte of a host name that is not UTF-8 (kept as U+DC80+byte, host-bytes.ts) is written back
 *   as that byte: `$'/run/a\xff.sock'` names the file the kernel has.
 *
 * @example shellQuote("/home/bob/s.conf'; curl x | sh #") // "'/home/bob/s.conf'\\''; curl x | sh #'"
 * @example shellCommand(['prlimit', '--pid', '42']) // "prlimit --pid 42"
 */
import { needsEscape } from './terminal.js';
import { hostBytes } from './host-bytes.js';

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One shell word that stands for exactly `word`, whatever it contains. */
export function shellQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  if (!needsEscape(word)) return `'${word.replace(/'/g, `'\\''`)}'`;
  let out = "$'";
  for (const ch of word) {
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (needsEscape(ch)) for (const b of hostBytes(ch)) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + "'";
}

/** A command line from argv, each word quoted. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}


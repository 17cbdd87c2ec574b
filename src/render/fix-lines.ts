/**
 * Fix lines that only count or look (ss, strace, top, ls | wc -l, a for loop over /proc ...) and
 * those that change something (sysctl -w, prlimit --nofile=, a file written with tee or >, a
 * restart, a config directive). The short form has room for two lines: the remedy goes first and
 * the commands that count follow, so "sysctl -w fs.inotify.max_user_instances=1024" is not pushed
 * out by two counting commands (noticed on inotify-watches-exhausted).
 *
 * Judged by the command words of every stage of the line (pipes, `;`, `&&`, `$( )`, loops), after
 * the prefixes that only say where it runs (sudo, ip netns exec NS, nsenter ... -t PID, runuser,
 * timeout): a line is "counting" when every stage is a reading command with no writing option and
 * nothing is redirected into a file. Anything else — unknown commands included — is treated as a
 * remedy, so a new rule's line is never demoted by mistake. Comment lines are notes and keep their
 * place among the counting commands, except config edits (`# in FILE:LINE, CTX: set ...`), which
 * are remedies.
 */

/** Commands that only read, whatever their arguments (their writing forms are below). */
const READING = new Set([
  'ss', 'strace', 'top', 'ls', 'cat', 'grep', 'egrep', 'awk', 'gawk', 'sort', 'uniq', 'head', 'tail', 'wc', 'find', 'stat',
  'echo', 'ps', 'lsof', 'dmesg', 'journalctl', 'cut', 'tr', 'readlink', 'getent', 'id', 'netstat', 'test', '[', 'true',
  'conntrack', 'sysctl', 'sed', 'prlimit', 'systemctl', 'iptables', 'ip6tables', 'nft', 'ulimit', 'printf', 'docker', 'kubectl',
]);

/** The writing forms of READING commands: any of these arguments makes the line a change. */
const WRITING_ARGS: Record<string, RegExp> = {
  conntrack: /^-(F|D|U|I)$|^--(flush|delete|update|create)$/,
  sysctl: /^-w$|^--write$|=|^-p$|^--load|^--system$/,
  sed: /^-i|^--in-place/,
  prlimit: /^--(nofile|nproc|core|as|memlock)=|^-n\d/,
  systemctl: /^(start|stop|restart|reload|try-restart|reload-or-restart|kill|edit|set-property|daemon-reload|enable|disable|mask|unmask|revert)$/,
  iptables: /^-(A|I|D|R|F|N|X|P|Z)$|^--(append|insert|delete|replace|flush)$/,
  ip6tables: /^-(A|I|D|R|F|N|X|P|Z)$|^--(append|insert|delete|replace|flush)$/,
  nft: /^(add|insert|delete|flush|create|replace|-f)$/,
  ulimit: /^\d+$|^unlimited$/,
  docker: /^(update|restart|run|rm|stop|kill|start|compose|exec)$/,
  kubectl: /^(delete|patch|set|apply|edit|rollout|scale|exec|create|replace)$/,
  find: /^-(delete|exec|execdir|ok|fprint)/,
};

/** Words that say where or as whom a command runs; the command follows (nsenter's -t takes a value). */
function skipPrefixes(words: string[]): string[] {
  let w = words;
  for (;;) {
    if (w[0] === 'sudo' || w[0] === 'exec' || w[0] === 'command') w = w.slice(1);
    else if (w[0] === 'ip' && w[1] === 'netns' && w[2] === 'exec') w = w.slice(4);
    else if (w[0] === 'timeout') w = w.slice(w[1]?.startsWith('-') ? 3 : 2);
    else if (w[0] === 'nsenter' || w[0] === 'runuser' || w[0] === 'setpriv') {
      let i = 1;
      while (i < w.length && w[i].startsWith('-')) {
        if (w[i] === '--') {
          i++;
          break;
        }
        i += /^(-t|--target|-u|--user|-g|--group)$/.test(w[i]) ? 2 : 1;
      }
      w = w.slice(i);
    } else return w;
  }
}

/** Shell words that open or close a compound command, or assign: the command is the next word. */
const SHELL_WORDS = new Set(['for', 'do', 'done', 'if', 'then', 'else', 'fi', 'while', 'until', '!', '{', '}', '(', ')']);

/**
 * True when the line only reads: every stage is a reading command used without its writing form,
 * and nothing is written to a file (`2>/dev/null` is no write).
 */
export function isCountingLine(line: string): boolean {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return false;
  // The command without its quoted strings (whose | ; > # are data), its trailing comment, and the
  // redirections that write no file (2>/dev/null, >&2).
  const command = text
    .replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, "''")
    .replace(/\s+#.*$/, '')
    .replace(/\d*>&\d+/g, '')
    .replace(/(?:\d|&)?>>?\s*\/dev\/null/g, '');
  if (command.includes('>')) return false;
  const stages = command.split(/\|\||&&|[|;&]|\$\(|`|\)/);
  let any = false;
  for (const stage of stages) {
    let words = stage.trim().split(/\s+/).filter((w) => w !== '');
    // A for loop's list (`for p in /proc/[0-9]*`) is no command.
    if (words[0] === 'for') continue;
    while (words.length && (SHELL_WORDS.has(words[0]) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]))) words = words.slice(1);
    words = skipPrefixes(words);
    if (words.length === 0) continue;
    const name = words[0].replace(/^.*\//, '');
    if (!READING.has(name)) return false;
    const writing = WRITING_ARGS[name];
    if (writing && words.slice(1).some((w) => writing.test(w))) return false;
    any = true;
  }
  return any;
}

/** A config edit written as a comment (src/provenance/config-edit.ts): "# in FILE:LINE, CTX: set `X`". */
const DIRECTIVE = /^#\s*in\s.+:\s(set|replace)\s/;

/**
 * A remedy: an entry that changes something (any line neither counting nor a plain comment), or a
 * config edit written as a comment.
 */
export function isRemedy(entry: string): boolean {
  const lines = entry.split('\n');
  if (lines.every(isCountingLine)) return false;
  return !lines.every((l) => l.trim().startsWith('#') && !DIRECTIVE.test(l.trim()));
}

/**
 * Fix entries with the remedies first, then the rest (notes, the commands that count) in the
 * rule's order: what the short form's two lines show. Without a remedy, the rule's order.
 */
export function remedyFirst(entries: readonly string[]): string[] {
  const remedies = entries.filter(isRemedy);
  return [...remedies, ...entries.filter((e) => !remedies.includes(e))];
}

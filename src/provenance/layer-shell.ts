/**
 * A shell whose limit differs from its parent's ran `ulimit -n` (bash's ulimit sets soft and hard
 * unless -S or -H is given: bash builtins/ulimit.def), in a `-c` string, a script, or a startup file.
 */
import { ownerIdentity } from '../probe/pid-status.js';
import type { ProcNode } from './chain.js';
import { globFiles, isSpecialFile, readOptional } from './config-files.js';
import type { ExplainContext, Verdict } from './context.js';
import { memoRead } from './context.js';
import { proposedValue, shellFix } from './fix.js';
import { canRaiseHard, hardRaiseNeeds } from './host-facts.js';
import { formatSH } from './rlimit.js';
import { readPasswd } from '../probe/passwd.js';
import { shellQuote } from '../safety/shell-quote.js';
import { accountOf, accountText, untrusted, untrustedText } from './fix-runner.js';

/** `ulimit -n 300`, `ulimit -Sn 4096`, `ulimit -HSn unlimited` ... */
// The value is only a number, a keyword or a variable: the statement becomes a metric label
// (sockdoc_process_fd_limit_info{setting}), and what follows it on a command line
// (`ulimit -n 400;SECRET=x ./run`) must not.
const ULIMIT_RE = /\bulimit\s+(?:-[A-Za-z]*\s+)*-[A-Za-z]*n[A-Za-z]*\s+(?:\d+|unlimited|hard|soft|\$\{?\w+\}?)(?![^\s;&|)])/;

/** The first `ulimit ... -n` statement in a text, with its line number. */
export function findUlimit(text: string): { statement: string; line: number } | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const code = lines[i].replace(/(^|\s)#.*$/, '');
    const m = ULIMIT_RE.exec(code);
    if (m) return { statement: m[0].replace(/[;&|)]+$/, ''), line: i + 1 };
  }
  return null;
}

/** Where a shell's commands came from: `-c STRING`, a script argument, or (interactive) startup files. */
function sources(ctx: ExplainContext, root: string, node: ProcNode): Array<{ where: string | null; text: string }> {
  const args = node.argv.slice(1);
  const c = args.findIndex((a) => /^-[A-Za-z]*c[A-Za-z]*$/.test(a));
  if (c >= 0 && args[c + 1] !== undefined) return [{ where: null, text: args[c + 1] }];
  const script = args.find((a) => !a.startsWith('-'));
  if (script && script.startsWith('/')) {
    // `bash /dev/stdin`, a FIFO, a /dev/fd/N: the script came through a pipe or a device and cannot be read back.
    if (/^\/(dev|proc)\//.test(script) || isSpecialFile(root, script)) throw new UnreadableScript(script);
    const text = readOptional(root, script, ownerIdentity(root, node.pid));
    return text === null ? [] : [{ where: script, text }];
  }
  // Interactive or login shell: bash reads these (bash(1) INVOCATION); dash/sh read /etc/profile, ~/.profile.
  const pw = memoRead(ctx, 'passwd', () => readPasswd(root));
  const home = pw.ok ? pw.value.find((e) => e.uid === node.uid)?.home : undefined;
  const files = ['/etc/profile', ...globFiles(root, '/etc/profile.d/*.sh', 'posix'), '/etc/bash.bashrc'];
  if (home) files.push(`${home}/.bash_profile`, `${home}/.bash_login`, `${home}/.profile`, `${home}/.bashrc`, `${home}/.zshrc`);
  const as = ownerIdentity(root, node.pid);
  return files.flatMap((f) => {
    const text = readOptional(root, f, as);
    return text === null ? [] : [{ where: f, text }];
  });
}

/** The shell's script is a pipe or device (`bash /dev/stdin`): nothing to read, and nothing may be guessed. */
class UnreadableScript extends Error {
  constructor(readonly script: string) {
    super(`its script is ${script}, a pipe or device whose content was consumed when the shell read it, so sockdoc cannot see whether it ran ulimit`);
  }
}

/** ", owned by bob (uid 1003), who runs it" when the script is not root's, or the warning when a third party can change it. */
function scriptNote(ctx: ExplainContext, root: string, script: string, node: ProcNode): string {
  const runner = node.uid ?? 0;
  const bad = untrusted(ctx, root, script, runner);
  if (bad) return ` (${untrustedText(ctx, root, bad)}, and the shell runs it as ${runner === 0 ? 'root' : accountText(accountOf(ctx, root, runner))}: check it)`;
  return runner !== 0 ? ` (as ${accountText(accountOf(ctx, root, runner))}, who runs it)` : '';
}

export function shellVerdict(ctx: ExplainContext, root: string, node: ProcNode, parent: ProcNode | null): Verdict {
  let found: { statement: string; where: string | null; line: number } | null = null;
  let readError: string | null = null;
  try {
    for (const s of sources(ctx, root, node)) {
      const u = findUlimit(s.text);
      if (u) {
        found = { statement: u.statement, where: s.where, line: u.line };
        break;
      }
    }
  } catch (err) {
    readError = (err as Error).message;
  }
  const from = parent ? `its parent ${parent.name} (pid ${parent.pid}) has ${formatSH(parent.limit.soft, parent.limit.hard)}` : 'it has no parent in view';
  const where = found ? (found.where ? `${found.where}:${found.line}` : 'its command line') : null;
  const reason = found
    ? `the shell ${node.name} (pid ${node.pid}) ran \`${found.statement}\` (${where}): it has ${formatSH(node.limit.soft, node.limit.hard)} while ${from}, and everything it starts inherits it.`
    : `the shell ${node.name} (pid ${node.pid}) has ${formatSH(node.limit.soft, node.limit.hard)} while ${from}: it ran \`ulimit -n\` (in a startup file, a sourced script or interactively), or someone ran prlimit on it.`;
  // The shell starts again with its parent's hard limit; without CAP_SYS_RESOURCE `ulimit -n` cannot go above it.
  const ceiling = parent?.limit.hard ?? null;
  const canRaise = canRaiseHard(ctx, root, node.pid);
  let value = proposedValue(node.limit);
  if (canRaise === false && ceiling !== null && value.hard > ceiling && ceiling > (node.limit.soft ?? 0)) value = { soft: ceiling, hard: ceiling };
  const needs = hardRaiseNeeds(value.hard, ceiling, canRaise, `the shell ${node.name} (pid ${node.pid})`);
  return {
    source: {
      layer: 'shell',
      pid: node.pid,
      file: found?.where ?? undefined,
      setting: found?.statement ?? 'ulimit -n',
      value: formatSH(node.limit.soft, node.limit.hard),
      reason: reason.charAt(0).toUpperCase() + reason.slice(1),
    },
    contradictions: [],
    fix: shellFix(found?.where ? `${shellQuote(found.where)}:${found.line}${scriptNote(ctx, root, found.where, node)}` : found ? 'the shell command line' : null, value, needs),
    notes: readError ? [readError.startsWith('its script is') ? `${node.name} (pid ${node.pid}): ${readError}.` : `could not read the shell's startup files: ${readError}`] : [],
    confident: found !== null,
  };
}

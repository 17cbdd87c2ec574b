/**
 * Supervisors that run a service directory's `run` script (runit's runsv, s6-supervise,
 * daemontools' supervise): the service inherits the supervisor's limit unless `run` sets one with
 * the suite's own tool (chpst -o, s6-softlimit -o, softlimit -o) or `ulimit -n`. `run` is read from
 * the directory the supervisor was given (its argv) or its working directory.
 */
import { replaceInFile } from '../config-edit.js';
import { ownerIdentity } from '../../probe/pid-status.js';
import type { ProcNode } from '../chain.js';
import { readOptional } from '../config-files.js';
import { cwdOf, memoRead, type Verdict } from '../context.js';
import { type FixStep } from '../fix.js';
import { shellQuote } from '../../safety/shell-quote.js';
import { accountOf, accountText, ownerOf, refusedLines, runAs, untrusted } from '../fix-runner.js';
import { canRaiseHard } from '../host-facts.js';
import { limitOf, who } from './common.js';
import type { LauncherCase } from './types.js';

export interface RunScriptSuite {
  id: string;
  /** comm of the supervisor process. */
  comm: string;
  /** The suite's limit tool as it appears in `run` ("chpst", "s6-softlimit", "softlimit"). */
  tool: string;
  /** Restart command words for a service directory. */
  restart: (dir: string) => string[];
  /** Directories to look in when argv names the service without a path. */
  serviceDirs: string[];
}

/** Whitespace-separated words of a line with their offsets; `;`, `|` and `&` end a word too (they start a new command). */
function words(line: string): Array<{ w: string; at: number; end: number }> {
  const out: Array<{ w: string; at: number; end: number }> = [];
  const re = /[^\s;|&]+/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push({ w: m[0], at: m.index, end: m.index + m[0].length });
  return out;
}

/** Options looked at after the tool's name: chpst has about 20 in all, so a real line has a few. */
const MAX_OPTIONS = 32;

/**
 * `chpst -o 4096`, `s6-softlimit -o 4096`, `softlimit -o 4096`, or `ulimit -n 4096` in a run script.
 * Read word by word, at most MAX_OPTIONS options after each tool word (a run script is host text: a regular expression with nested
 * repetition took seconds on a long line of `chpst -a` words).
 */
export function findRunLimit(text: string, tool: string): { statement: string; line: number; value: number } | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const code = lines[i].replace(/(^|\s)#.*$/, '');
    const ws = words(code);
    for (let k = 0; k < ws.length; k++) {
      const start = ws[k];
      if (start.w === tool) {
        // tool [-X VALUE]... -o N   (or -oN)
        let j = k + 1;
        while (j < ws.length && j < k + 1 + 2 * MAX_OPTIONS) {
          const w = ws[j].w;
          const glued = /^-o(\d+)$/.exec(w);
          if (glued) return { statement: code.slice(start.at, ws[j].end), line: i + 1, value: Number(glued[1]) };
          if (w === '-o' && j + 1 < ws.length && /^\d+$/.test(ws[j + 1].w)) return { statement: code.slice(start.at, ws[j + 1].end), line: i + 1, value: Number(ws[j + 1].w) };
          if (!/^-[A-Za-z]+$/.test(w) || j + 1 >= ws.length) break;
          j += 2;
        }
      } else if (start.w === 'ulimit') {
        // ulimit [-X]... -…n… N
        let j = k + 1;
        while (j < ws.length && j < k + 1 + MAX_OPTIONS && /^-[A-Za-z]*$/.test(ws[j].w)) {
          if (/^-[A-Za-z]*n[A-Za-z]*$/.test(ws[j].w) && j + 1 < ws.length && /^\d+$/.test(ws[j + 1].w)) return { statement: code.slice(start.at, ws[j + 1].end), line: i + 1, value: Number(ws[j + 1].w) };
          j++;
        }
      }
    }
  }
  return null;
}

/** The service directory of a supervisor process: its argv[1] (absolute, or a name under a known directory), else its cwd. */
export function serviceDir(root: string, sup: ProcNode, suite: RunScriptSuite): string {
  const arg = sup.argv[1];
  if (arg && arg.startsWith('/')) return arg;
  if (arg) {
    for (const d of suite.serviceDirs) if (readOptional(root, `${d}/${arg}/run`, ownerIdentity(root, sup.pid)) !== null) return `${d}/${arg}`;
  }
  return cwdOf(root, sup.pid);
}

/** The verdict for a service under such a supervisor (`sup` is the supervisor, `service` its child holding the value). */
export function runScriptVerdict(c: LauncherCase, suite: RunScriptSuite, sup: ProcNode, service: ProcNode | null): Verdict {
  const { ctx, root } = c;
  const dir = serviceDir(root, sup, suite);
  const run = `${dir}/run`;
  const text = memoRead(ctx, `run:${run}`, () => readOptional(root, run, ownerIdentity(root, sup.pid)));
  const found = text.ok && text.value !== null ? findRunLimit(text.value, suite.tool) : null;
  const holder = service ?? sup;
  // The supervisor runs `run` as its own user when the service restarts: a `run` (or a directory
  // above it, the supervise/control FIFO's included) that someone else can change is named in the
  // line. The restart command itself runs as the supervisor's owner.
  const owner = ownerOf(ctx, root, sup) ?? accountOf(ctx, root, 0);
  const bad = untrusted(ctx, root, run, owner.uid);
  const line = runAs(ctx, root, owner, suite.restart(dir));
  const lines = bad ? refusedLines(ctx, root, line, owner, `${sup.name} then runs ${shellQuote(run)} as ${accountText(owner)}`, bad) : [line];
  const restart: FixStep = { kind: 'restart', title: `Restart the service so that ${run} runs again.`, lines, blastRadius: `stops the service in ${dir} (${who(holder)}) while it restarts; the supervisor and other services keep running` };
  // `chpst -o` (and the others) run under the supervisor: its hard limit is the ceiling unless it has CAP_SYS_RESOURCE.
  const v = c.valueFor({ hard: sup.limit.hard, canRaise: canRaiseHard(ctx, root, sup.pid), who: who(sup), raiseFirst: `the hard limit ${who(sup)} starts with (it inherits it from what starts ${sup.name})` });
  const edit: FixStep = {
    kind: 'durable',
    title: `Set the limit in ${run}.`,
    // Only the number changes: the statement's other options (a user, other limits) stay as written.
    lines: found ? [replaceInFile(`${shellQuote(run)}:${found.line}`, found.statement, found.statement.replace(/\d+$/, String(v.value.soft)))] : [`# in ${shellQuote(run)}, start the program through:`, `exec ${suite.tool} -o ${v.value.soft} PROGRAM ...`],
    ...(v.needs ? { needs: v.needs } : {}),
    ...(v.higher ? { higher: v.higher } : {}),
  };
  const why = found
    ? `${run}:${found.line} runs \`${found.statement}\`, so the service ${who(holder)} has ${limitOf(holder)} while its supervisor ${who(sup)} has ${limitOf(sup)}.`
    : service
      ? `the service ${who(service)} has ${limitOf(service)} while its supervisor ${who(sup)} has ${limitOf(sup)}, but ${run} ${text.ok && text.value !== null ? `has no ${suite.tool} -o or ulimit -n line` : 'could not be read'}; the program may set its own limit.`
      : `${suite.id}'s supervisor ${who(sup)} holds ${limitOf(sup)} and the service it runs inherits it: ${run} sets no limit (${suite.tool} -o).`;
  return {
    source: { layer: 'launcher', launcher: suite.id, pid: holder.pid, file: found ? run : undefined, setting: found?.statement, value: limitOf(holder), reason: `Started by ${suite.id}: ${why}` },
    contradictions: [],
    fix: [edit, restart],
    notes: [],
    confident: found !== null,
  };
}

/** The catalogue entry's explain for a run-script suite. */
export function explainRunScript(c: LauncherCase, suite: RunScriptSuite): Verdict | null {
  const isSup = (n: ProcNode | null) => n !== null && n.name === suite.comm;
  if (isSup(c.parent)) return runScriptVerdict(c, suite, c.parent as ProcNode, c.origin);
  if (isSup(c.origin) && c.oi > 0) return runScriptVerdict(c, suite, c.origin, null);
  return null;
}


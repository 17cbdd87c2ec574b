/**
 * pm2 (github.com/Unitech/pm2): one long-lived daemon, "PM2 vX.Y.Z: God Daemon (PM2_HOME)" in
 * `ps`, forks every app (fork and cluster mode), so every app inherits the daemon's limit. That
 * limit was fixed when the daemon started: the shell of the first `pm2` command (which then
 * exited: the daemon is reparented), or pm2-USER.service from `pm2 startup`. `ulimit -n` before
 * `pm2 start` or `pm2 restart` changes only the CLI, never the daemon. The daemon is Node.js, which
 * raises its soft limit to the hard limit at start-up.
 */
import type { ProcNode } from '../chain.js';
import { readOptionalUnder } from '../../probe/read-file.js';
import { type FixStep } from '../fix.js';
import { shellQuote } from '../../safety/shell-quote.js';
import { accountOf, accountText, ceilingAs, ownerOf, refusedLines, runAs, runWithLimitAs, untrusted } from '../fix-runner.js';
import type { Launcher } from './types.js';
import { limitOf, runs, who } from './common.js';

const TITLE = /^PM2 v[\d.]+[^:]*: God Daemon(?: \((.*)\))?$/;

function title(n: ProcNode): RegExpExecArray | null {
  return TITLE.exec(n.argv.join(' ')) ?? TITLE.exec(n.argv[0] ?? '');
}

/** A title cut short: "PM2 v7.0.4: God Daemon (/tmp/user-x/.pm" (no closing parenthesis). */
const CUT = /^PM2 v[\d.]+[^:]*: God Daemon \((.*)$/;

/**
 * PM2_HOME of the daemon, from its title; null when unknown. Node's process.title (libuv
 * uv_set_process_title) only overwrites the memory of the daemon's original argv, so a long
 * PM2_HOME is cut (ps shows "God Daemon (/tmp/sockdoc-pm2-user-f8ucXX/.pm2" without its end); the
 * daemon's environment (`environ`, NUL-separated: pm2 starts the daemon with PM2_HOME in it) then
 * gives it whole, taken only when it starts with what the title kept.
 */
export function pm2Home(n: ProcNode, environ: string | null = null): string | null {
  const whole = title(n)?.[1];
  if (whole !== undefined) return whole;
  const cut = CUT.exec(n.argv[0] ?? '');
  if (!cut || environ === null) return null;
  const home = environ.split('\0').find((e) => e.startsWith('PM2_HOME='))?.slice('PM2_HOME='.length);
  return home && home.startsWith(cut[1]) ? home : null;
}

/** The process's environment (NUL-separated), or null when it cannot be read (a capture has none). */
function environOf(root: string, pid: number): string | null {
  try {
    return readOptionalUnder(root, `proc/${pid}/environ`, 'proc');
  } catch {
    return null;
  }
}

export const pm2: Launcher = {
  id: 'pm2',
  recognisedBy: 'its process title "PM2 vX.Y.Z: God Daemon (PM2_HOME)" (comm "PM2 vX.Y.Z: God")',
  settingLives: 'the limit the daemon started with: the shell of the first pm2 command, or pm2-USER.service (pm2 startup)',
  childrenGet: "the daemon's limit, whatever the shell running `pm2 start` has",
  durableFix: 'as the daemon\'s user (runuser -u USER, PM2_HOME stated): `pm2 save`, `pm2 kill`, then `ulimit -n N && pm2 resurrect` in that user\'s shell (or LimitNOFILE= in pm2-USER.service)',
  relief: 'prlimit on the app and on the daemon (apps it restarts later inherit the daemon)',
  identity: { what: "pm2's daemon", binaries: ['node', 'nodejs'], runsAs: 'any' },
  is: (n) => n.name.startsWith('PM2 v') || title(n) !== null,
  explain({ ctx, root, origin, valueFor }) {
    if (!pm2.is(origin)) return null;
    const home = pm2Home(origin, environOf(root, origin.pid));
    // The daemon's owner runs every pm2 command: its apps, dump.pm2 and socket are that user's
    // (PM2_HOME is in its home). As root they would start the user's apps as root.
    const owner = ownerOf(ctx, root, origin) ?? accountOf(ctx, root, 0);
    const env: Array<[string, string]> = home ? [['PM2_HOME', home]] : [];
    const pm2cmd = (...words: string[]) => runAs(ctx, root, owner, ['pm2', ...words], env);
    const c = valueFor(ceilingAs(ctx, root, owner));
    // Every pm2 command reads PM2_HOME as the account running it: `save` writes dump.pm2 there, `kill`
    // talks to the daemon through its socket there, `resurrect` starts what dump.pm2 lists. A
    // PM2_HOME (or a directory above it) someone else can change is theirs to fill: none of the
    // three is offered as a command (fix-runner.ts refusedLines).
    const dump = home ? untrusted(ctx, root, home, owner.uid) : null;
    const guard = (line: string, does: string) => (dump ? refusedLines(ctx, root, line, owner, does, dump, `check it (the apps in ${shellQuote(`${home}/dump.pm2`)} and ecosystem files), or move PM2_HOME somewhere only ${accountText(owner)} can write, before running that`) : [line]);
    const steps: FixStep[] = [
      { kind: 'durable', title: `Record the apps pm2 runs, so that they come back after the daemon restarts${owner.uid !== 0 ? ` (as ${accountText(owner)}, whose daemon it is)` : ''}.`, lines: guard(pm2cmd('save'), `pm2 save writes ${shellQuote(`${home}/dump.pm2`)} as ${accountText(owner)}`) },
      {
        kind: 'restart',
        title: "Restart pm2's daemon from a shell that has the limit: the apps come back as children of the new daemon.",
        lines: [
          ...guard(pm2cmd('kill'), `pm2 kill talks to the daemon through the socket in ${shellQuote(home ?? '')} as ${accountText(owner)}`),
          ...guard(runWithLimitAs(ctx, root, owner, c.value.soft, ['pm2', 'resurrect'], env), `resurrect starts the apps listed in ${shellQuote(`${home}/dump.pm2`)} as ${accountText(owner)}`),
        ],
        ...(c.needs ? { needs: c.needs } : {}),
        ...(c.higher ? { higher: c.higher } : {}),
        blastRadius: `stops every app pm2 runs (${runs(ctx, root, origin)}) until resurrect has started them again`,
      },
    ];
    return {
      source: {
        layer: 'launcher',
        launcher: 'pm2',
        pid: origin.pid,
        value: limitOf(origin),
        setting: 'the limit the pm2 daemon started with',
        reason: `pm2's daemon ${who(origin)} holds ${limitOf(origin)} and every app it runs is forked from it, so each inherits that. The daemon got it when it first started (from the shell of the first pm2 command, since exited); \`ulimit -n\` before \`pm2 start\` or \`pm2 restart\` changes only the pm2 command, not the daemon.`,
      },
      contradictions: [],
      fix: steps,
      notes: [],
      reliefAlso: [origin],
    };
  },
};

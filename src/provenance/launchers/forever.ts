/**
 * forever (github.com/foreversd/forever): one monitor process per app, `node …/forever/bin/monitor
 * SCRIPT`, started detached by `forever start`; the app is its child and inherits the monitor's
 * limit, fixed by the shell that ran `forever start`. `forever restart` reuses the monitor.
 */
import { type FixStep } from '../fix.js';
import { shellQuote } from '../../safety/shell-quote.js';
import { resolve } from 'node:path';
import { cwdOrNull } from '../context.js';
import { accountOf, accountText, ceilingAs, ownerOf, refusedLines, runAs, runWithLimitAs, untrusted } from '../fix-runner.js';
import { terminalSafe } from '../../safety/terminal.js';
import { limitOf, who } from './common.js';
import type { Launcher } from './types.js';

const MONITOR = /(^|\/)forever\/bin\/monitor$/;

export const forever: Launcher = {
  id: 'forever',
  recognisedBy: 'a node process whose argv[1] ends in forever/bin/monitor',
  settingLives: 'the shell that ran `forever start` (the monitor keeps its limit)',
  childrenGet: "the monitor's limit, also after `forever restart`",
  durableFix: 'as the monitor\'s user (runuser -u USER): `forever stop SCRIPT`, then `ulimit -n N && forever start SCRIPT` in that user\'s shell',
  relief: 'prlimit on the app and on its monitor',
  identity: { what: "forever's monitor", binaries: ['node', 'nodejs'], runsAs: 'any' },
  is: (n) => n.argv.slice(0, 2).some((a) => MONITOR.test(a)),
  explain({ ctx, root, origin, valueFor }) {
    if (!forever.is(origin)) return null;
    const i = origin.argv.findIndex((a) => MONITOR.test(a));
    const given = origin.argv[i + 1] ?? null;
    // The monitor keeps the script as `forever start` was given it; relative to the monitor's cwd, which a pasted line does not share.
    const cwd = cwdOrNull(root, origin.pid);
    const script = given === null ? 'SCRIPT' : given.startsWith('/') ? given : cwd !== null ? resolve(cwd, given) : given;
    // forever keeps its state in ~/.forever of the user who ran it, and `forever start` runs the
    // script: both as the monitor's owner, never as root for another user's script.
    const owner = ownerOf(ctx, root, origin) ?? accountOf(ctx, root, 0);
    const env: Array<[string, string]> = owner.home ? [['HOME', owner.home]] : [];
    const c = valueFor(ceilingAs(ctx, root, owner));
    const bad = script.startsWith('/') ? untrusted(ctx, root, script, owner.uid) : null;
    const start = runWithLimitAs(ctx, root, owner, c.value.soft, ['forever', 'start', script], env);
    const startLines = bad
      ? refusedLines(ctx, root, start, owner, `this runs ${shellQuote(script)} as ${accountText(owner)}`, bad)
      : script.startsWith('/')
        ? [start]
        : [`# not offered: ${terminalSafe(start)}`, `# the script ${shellQuote(script)} is relative and the monitor's working directory could not be read: start it with its absolute path`];
    const steps: FixStep[] = [
      {
        kind: 'restart',
        title: `Start the app again under a new monitor, from a shell that has the limit${owner.uid !== 0 ? `, as ${accountText(owner)}, whose app it is` : ''}.`,
        lines: [runAs(ctx, root, owner, ['forever', 'stop', script], env), ...startLines],
        blastRadius: `stops ${script} while it restarts`,
        ...(c.needs ? { needs: c.needs } : {}),
        ...(c.higher ? { higher: c.higher } : {}),
      },
    ];
    return {
      source: {
        layer: 'launcher',
        launcher: 'forever',
        pid: origin.pid,
        value: limitOf(origin),
        setting: 'the limit forever start ran with',
        reason: `forever's monitor ${who(origin)} for ${script} holds ${limitOf(origin)}, and the app is its child; the monitor got it from the shell that ran \`forever start\`, and \`forever restart\` keeps the same monitor.`,
      },
      contradictions: [],
      fix: steps,
      notes: [],
      reliefAlso: [origin],
    };
  },
};

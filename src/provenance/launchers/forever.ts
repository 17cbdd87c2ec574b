/**
 * forever (github.com/foreversd/forever): one monitor process per app, `node …/forever/bin/monitor
 * SCRIPT`, started detached by `forever start`; the app is its child and inherits the monitor's
 * limit, fixed by the shell that ran `forever start`. `forever restart` reuses the monitor.
 */
import { type FixStep } from '../fix.js';
import { shellCommand } from '../../safety/shell-quote.js';
import { limitOf, who } from './common.js';
import type { Launcher } from './types.js';

const MONITOR = /(^|\/)forever\/bin\/monitor$/;

export const forever: Launcher = {
  id: 'forever',
  recognisedBy: 'a node process whose argv[1] ends in forever/bin/monitor',
  settingLives: 'the shell that ran `forever start` (the monitor keeps its limit)',
  childrenGet: "the monitor's limit, also after `forever restart`",
  durableFix: '`forever stop SCRIPT`, then `ulimit -n N && forever start SCRIPT`',
  relief: 'prlimit on the app and on its monitor',
  is: (n) => n.argv.slice(0, 2).some((a) => MONITOR.test(a)),
  explain({ origin, value, valueNeeds }) {
    if (!forever.is(origin)) return null;
    const i = origin.argv.findIndex((a) => MONITOR.test(a));
    const script = origin.argv[i + 1] ?? 'SCRIPT';
    const steps: FixStep[] = [
      {
        kind: 'restart',
        title: 'Start the app again under a new monitor, from a shell that has the limit.',
        lines: [shellCommand(['forever', 'stop', script]), `ulimit -n ${value.soft} && ${shellCommand(['forever', 'start', script])}`],
        blastRadius: `stops ${script} while it restarts`,
        ...(valueNeeds ? { needs: valueNeeds } : {}),
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

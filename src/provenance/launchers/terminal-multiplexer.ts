/**
 * tmux and screen: one server process outlives the terminals. Every window and pane is forked by
 * the server, so it gets the server's limit, fixed when the first session was created; a client
 * attaching later with another `ulimit -n` changes nothing (tmux: the server forks panes, cmd.c /
 * spawn.c; screen likewise from its SCREEN process).
 */
import { type FixStep } from '../fix.js';
import { shellCommand } from '../../safety/shell-quote.js';
import { limitOf, runs } from './common.js';
import type { Launcher } from './types.js';

export const terminalMultiplexer: Launcher = {
  id: 'tmux/screen',
  recognisedBy: 'comm "tmux: server" (or "tmux"), "screen"/"SCREEN" holding the limit of the panes below it',
  settingLives: 'the shell that created the first session (the server keeps its limit for its whole life)',
  childrenGet: "the server's limit, in every new window and pane",
  durableFix: 'start the program from a service manager instead; or `tmux kill-server` and start tmux again from a shell with the limit',
  relief: 'prlimit on the program, or `ulimit -n` in its pane before starting it again (up to the hard limit)',
  is: (n) => /^tmux/.test(n.name) || n.name === 'screen' || n.name === 'SCREEN',
  explain({ ctx, root, origin, oi, value, valueNeeds }) {
    if (!terminalMultiplexer.is(origin) || oi === 0) return null;
    const tmux = origin.name.startsWith('tmux');
    const steps: FixStep[] = [
      { kind: 'durable', title: 'Run the program under a service manager, which gives it a limit of its own (a multiplexer session is a terminal, not a service).', lines: [`# e.g. systemd-run --unit=NAME -p LimitNOFILE=${value.soft}:${value.hard} PROGRAM ...`], ...(valueNeeds ? { needs: valueNeeds } : {}) },
      {
        kind: 'restart',
        title: `Or restart the ${tmux ? 'tmux' : 'screen'} server from a shell that has the limit.`,
        lines: [tmux ? shellCommand(['tmux', 'kill-server']) : '# quit every screen session (C-a \\)', `ulimit -n ${value.soft} && ${tmux ? 'tmux new-session' : 'screen'}`],
        blastRadius: `ends every ${tmux ? 'tmux' : 'screen'} session, window and program in them (${runs(ctx, root, origin)})`,
        ...(valueNeeds ? { needs: valueNeeds } : {}),
      },
    ];
    return {
      source: {
        layer: 'launcher',
        launcher: 'tmux/screen',
        pid: origin.pid,
        value: limitOf(origin),
        setting: `the limit the ${tmux ? 'tmux' : 'screen'} server started with`,
        reason: `The ${tmux ? 'tmux' : 'screen'} server (pid ${origin.pid}) holds ${limitOf(origin)}, fixed when its first session was created; every window and pane is forked by the server and inherits that, whatever limit the terminal that attached later has.`,
      },
      contradictions: [],
      fix: steps,
      notes: [],
    };
  },
};

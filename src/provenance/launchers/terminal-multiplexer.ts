/**
 * tmux and screen: one server process outlives the terminals. Every window and pane is forked by
 * the server, so it gets the server's limit, fixed when the first session was created; a client
 * attaching later with another `ulimit -n` changes nothing (tmux: the server forks panes, cmd.c /
 * spawn.c; screen likewise from its SCREEN process).
 */
import { type FixStep } from '../fix.js';
import { shellQuote } from '../../safety/shell-quote.js';
import { accountOf, accountText, ceilingAs, ownerOf, runAs, runWithLimitAs } from '../fix-runner.js';
import { limitOf, runs } from './common.js';
import type { Launcher } from './types.js';

/** The socket options a tmux server was started with (`-L NAME`, `-S PATH`): kill-server must reach that server. */
function socketArgs(argv: readonly string[]): string[] {
  for (let i = 1; i < argv.length - 1; i++) if (argv[i] === '-L' || argv[i] === '-S') return [argv[i], argv[i + 1]];
  return [];
}

export const terminalMultiplexer: Launcher = {
  id: 'tmux/screen',
  recognisedBy: 'comm "tmux: server" (or "tmux"), "screen"/"SCREEN" holding the limit of the panes below it',
  settingLives: 'the shell that created the first session (the server keeps its limit for its whole life)',
  childrenGet: "the server's limit, in every new window and pane",
  durableFix: 'start the program from a service manager instead; or, as the server\'s user, `tmux kill-server` and start tmux again from a shell with the limit',
  relief: 'prlimit on the program, or `ulimit -n` in its pane before starting it again (up to the hard limit)',
  identity: { what: 'tmux or screen', binaries: ['tmux', 'screen'], runsAs: 'any' },
  is: (n) => /^tmux/.test(n.name) || n.name === 'screen' || n.name === 'SCREEN',
  explain({ ctx, root, origin, oi, value, valueFor }) {
    if (!terminalMultiplexer.is(origin) || oi === 0) return null;
    const tmux = origin.name.startsWith('tmux');
    // The server is its user's: its socket (/tmp/tmux-UID/, or -L/-S as the server was started) and
    // the shells it starts. Every line runs as that user; root would reach (or start) its own server.
    const owner = ownerOf(ctx, root, origin) ?? accountOf(ctx, root, 0);
    const socket = tmux ? socketArgs(origin.argv) : [];
    const c = valueFor(ceilingAs(ctx, root, owner));
    const asUser = owner.uid !== 0 && owner.name !== null ? ` --uid=${shellQuote(owner.name)}` : '';
    const steps: FixStep[] = [
      { kind: 'durable', title: 'Run the program under a service manager, which gives it a limit of its own (a multiplexer session is a terminal, not a service).', lines: [`# e.g. systemd-run --unit=NAME${asUser} -p LimitNOFILE=${value.soft}:${value.hard} PROGRAM ...`] },
      {
        kind: 'restart',
        title: `Or restart the ${tmux ? 'tmux' : 'screen'} server from a shell that has the limit${owner.uid !== 0 ? `, as ${accountText(owner)}, whose server it is` : ''}; attach to the new session afterwards.`,
        lines: tmux
          ? [runAs(ctx, root, owner, ['tmux', ...socket, 'kill-server']), runWithLimitAs(ctx, root, owner, c.value.soft, ['tmux', ...socket, 'new-session', '-d'])]
          : [runAs(ctx, root, owner, ['screen', '-X', 'quit']) + '   # repeat per session (screen -ls lists them)', runWithLimitAs(ctx, root, owner, c.value.soft, ['screen', '-dm'])],
        blastRadius: `ends every ${tmux ? 'tmux' : 'screen'} session, window and program in them (${runs(ctx, root, origin)})`,
        ...(c.needs ? { needs: c.needs } : {}),
        ...(c.higher ? { higher: c.higher } : {}),
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

/**
 * Children of live tests that cannot outlive them. A test that fails, times out or is killed must
 * leave no `serve` or `watch` running (orphans of one session burned CPU for hours):
 * - `diesWithTest(argv)`: the child gets SIGKILL when the test's process ends, however it ends
 *   (prctl PR_SET_PDEATHSIG through setpriv(1), kept across the execs of `ip netns exec`,
 *   `unshare`, `prlimit` and node: the pid stays the command's), with at most `cpuSeconds` of CPU
 *   (prlimit: a spinning child ends by itself);
 * - `killTmuxLater(socketPath, ms)`: a tmux server a test starts belongs to no test process (it
 *   daemonises), so a watchdog of its own kills it after `ms` whatever happens to the test and
 *   removes the socket's directory (PrivateTmux, src/testing/tmux.ts, gives each server one); the
 *   hung-up terminal ends what ran in it (SIGHUP). The returned function cancels the watchdog.
 */
import { spawn } from 'node:child_process';

export function diesWithTest(argv: string[], cpuSeconds = 600): string[] {
  return ['setpriv', '--pdeathsig', 'KILL', '--', 'prlimit', `--cpu=${cpuSeconds}`, '--', ...argv];
}

export function killTmuxLater(socket: string, ms: number): () => void {
  const seconds = Math.ceil(ms / 1000);
  const dog = spawn('sh', ['-c', 'sleep "$1"; tmux -S "$2" kill-server; rm -rf -- "$(dirname -- "$2")"', 'sh', String(seconds), socket], { stdio: 'ignore', detached: true });
  dog.unref();
  return () => {
    try {
      if (dog.pid) process.kill(-dog.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
}

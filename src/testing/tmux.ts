/**
 * A tmux server of a test's own. Its socket lives in a directory of its own under the temp dir
 * (`tmux -S`), not in /tmp/tmux-UID where `-L NAME` puts it: a server that dies by SIGKILL (as
 * tests do on purpose) leaves its socket file behind, and the directory goes with `close()` — or
 * with the watchdog (`killTmuxLater`) if the test itself dies.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killTmuxLater } from './bounded.js';

export class PrivateTmux {
  readonly dir: string;
  readonly socket: string;
  private readonly cancelWatchdog: () => void;

  constructor(tag: string, watchdogMs = 180_000) {
    this.dir = mkdtempSync(join(tmpdir(), `sockdoc-tmux-${tag}-`));
    this.socket = join(this.dir, 'server');
    this.cancelWatchdog = killTmuxLater(this.socket, watchdogMs);
  }

  /** tmux with this server's socket; the result as spawnSync gives it. */
  raw(...args: string[]): SpawnSyncReturns<string> {
    return spawnSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', timeout: 5000 });
  }

  /** tmux with this server's socket; its stdout, or an error with its stderr. */
  run(...args: string[]): string {
    const r = this.raw(...args);
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Ends the server (if it still runs), cancels the watchdog and removes the socket's directory. */
  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore', timeout: 5000 });
    this.cancelWatchdog();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Live network-namespace scenes for tests: `ip netns` namespaces with their own somaxconn, and
 * python peers (src/lab/peers/tcp-peer.ts, written to a temporary directory) inside them. Everything made here is removed by `close()`,
 * which never throws; every peer also exits by itself after 60 s.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNetns, destroyNetns, runOrThrow } from '../../scripts/bench/netns.js';
import { writeTcpPeer } from '../lab/peers/tcp-peer.js';

/** The peer script, written once per test process into a directory any user can read (nobody runs it too). */
export const PEER = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-peer-'));
  chmodSync(dir, 0o755);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return writeTcpPeer(dir);
})();
/** The system interpreter: a per-user one (pyenv under /root) is not runnable by `nobody`. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface Scene {
  /** Makes namespace `name` (loopback up) with net.core.somaxconn = `somaxconn` when given. */
  netns(name: string, somaxconn?: number): void;
  /** Starts a peer in `ns` (null: the test's own namespace; as `user` when given) and waits for its "ready". Returns its pid. */
  peer(ns: string | null, args: string[], user?: string): Promise<number>;
  close(): string[];
}

export function scene(): Scene {
  const made: string[] = [];
  const children: ChildProcess[] = [];
  return {
    netns(name, somaxconn) {
      destroyNetns(name); // a leftover of a killed run
      createNetns(name);
      made.push(name);
      if (somaxconn !== undefined) runOrThrow('ip', ['netns', 'exec', name, 'sysctl', '-qw', `net.core.somaxconn=${somaxconn}`]);
    },
    peer(ns, args, user) {
      const argv = [...(ns === null ? [] : ['ip', 'netns', 'exec', ns]), ...(user ? ['setpriv', `--reuid=${user}`, '--regid=65534', '--clear-groups'] : []), PYTHON, PEER, ...args];
      const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      return new Promise((resolve, reject) => {
        const where = ns ?? 'this namespace';
        const timer = setTimeout(() => reject(new Error(`peer ${args.join(' ')} in ${where}: not ready after 10 s`)), 10_000);
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line === 'ready') {
            clearTimeout(timer);
            resolve(child.pid as number);
          }
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`peer ${args.join(' ')} in ${where} exited ${code}`));
        });
      });
    },
    close() {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      return made.flatMap((name) => destroyNetns(name, children.map((c) => c.pid ?? 0).filter((p) => p > 0)));
    },
  };
}

/** `ss -tanpH` (or other `args`) run inside namespace `ns` (null: the test's own). */
export function ssIn(ns: string | null, args: string[] = ['-tanpH']): string {
  const argv = [...(ns === null ? [] : ['ip', 'netns', 'exec', ns]), 'ss', ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`ss in ${ns ?? 'this namespace'}: ${r.stderr}`);
  return r.stdout;
}

/** Starting `sockdoc serve` and other programs from tests: wait for a line, stop and check the exit. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { diesWithTest } from '../../testing/bounded.js';
import { cliPath } from '../../testing/paths.js';

export interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `file args`, collecting stdout+stderr. */
export function start(file: string, args: string[], opts: SpawnOptions = {}): Started {
  // stdin stays open: the lab's peers exit when it ends (their parent went away).
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exited };
}

/** Resolves when the output matches `re` (returns the match), rejects at exit or after `ms`. */
export function waitForOutput(s: Started, re: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${re} within ${ms} ms; output: ${s.output().slice(-500)}`)), ms);
    const check = (): void => {
      const m = re.exec(s.output());
      if (m) finish(null, m);
    };
    const onExit = (): void => {
      check();
      finish(new Error(`exited before ${re}; output: ${s.output().slice(-500)}`));
    };
    function finish(err: Error | null, m?: RegExpMatchArray): void {
      clearTimeout(timer);
      s.child.stdout?.off('data', check);
      s.child.stderr?.off('data', check);
      s.child.off('close', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    s.child.stdout?.on('data', check);
    s.child.stderr?.on('data', check);
    s.child.once('close', onExit);
    check();
  });
}

/**
 * `sockdoc serve ARGS` (prefix: e.g. ['ip', 'netns', 'exec', NS]); resolves with its port once
 * listening. It dies with the test's process (whatever way that ends: no orphaned exporter).
 */
export async function startServe(args: string[], prefix: string[] = []): Promise<Started & { port: number }> {
  const argv = diesWithTest([...prefix, process.execPath, cliPath, 'serve', ...args]);
  const s = start(argv[0], argv.slice(1));
  const m = await waitForOutput(s, /listening on http:\/\/[^\s]*:(\d+)\/metrics/);
  return { ...s, port: Number(m[1]) };
}

/** SIGKILL if still running after `ms` (cleanup in finally). */
export async function stopHard(s: Started | undefined, ms = 3000): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const t = setTimeout(() => s.child.kill('SIGKILL'), ms);
  await s.exited;
  clearTimeout(t);
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over TCP (host, port) or a unix socket (socketPath). */
export function httpGet(target: { host?: string; port?: number; socketPath?: string }, path: string, method = 'GET', timeoutMs = 10_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path, method, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * One request written by hand (exactly these request and header lines: a forged Host, two of them,
 * none), on a connection of its own; resolves with everything the server sent before it closed,
 * or what came within `ms`.
 */
export function rawHttp(port: number, lines: string[], ms = 2000, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => s.write(`${lines.join('\r\n')}\r\n\r\n`));
    let out = '';
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('error', reject);
  });
}

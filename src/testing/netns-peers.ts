/**
 * Small real peers for live tests of the newer causes, run inside a network namespace the test
 * created (loopback only). Each is `node -e CODE args`: no file to build, bounded in count and time,
 * and it prints one line per milestone so the test can wait for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { inNetns } from '../../scripts/bench/netns.js';

/**
 * Servers on 127.0.0.1: `churn` answers a client's FIN with its own (the client closed first, so the
 * client's end goes to TIME_WAIT); `hold` keeps every connection open. Prints "listening".
 */
export const SERVERS = `
const net = require('net');
const [churn, hold] = process.argv.slice(1).map(Number);
const keep = [];
let up = 0;
const ready = () => { if (++up === 2) console.log('listening'); };
net.createServer((s) => { s.on('error', () => {}); s.on('end', () => s.end()); }).listen(churn, '127.0.0.1', ready);
net.createServer((s) => { s.on('error', () => {}); keep.push(s); }).listen(hold, '127.0.0.1', ready);
setTimeout(() => process.exit(0), 60000).unref();
setInterval(() => {}, 1000);
`;

/**
 * The client: opens and closes connections to `churn` until connect() fails (EADDRNOTAVAIL), then
 * opens and keeps connections to `hold` until it fails again. At most `max` attempts per phase and
 * 20 s in all. Prints "churn N CODE", "hold N CODE", then stays alive holding its sockets.
 */
export const CLIENT = `
const net = require('net');
const [churn, hold, max] = process.argv.slice(1).map(Number);
const deadline = Date.now() + 20000;
const kept = [];
function attempt(port, keep, n, done) {
  if (n >= max || Date.now() > deadline) return done(n, 'LIMIT');
  const s = net.connect({ port, host: '127.0.0.1' });
  s.once('error', (e) => done(n, e.code));
  s.once('connect', () => {
    if (keep) { kept.push(s); attempt(port, keep, n + 1, done); return; }
    s.once('close', () => attempt(port, keep, n + 1, done));
    s.end();
  });
}
attempt(churn, false, 0, (n, code) => {
  console.log('churn ' + n + ' ' + code);
  attempt(hold, true, 0, (m, code2) => { console.log('hold ' + m + ' ' + code2); });
});
setTimeout(() => process.exit(0), 60000).unref();
setInterval(() => {}, 1000);
`;

/** Listeners for `sockdoc port`: one per spec "host:port[:v6only]". Prints "listening". */
export const LISTENERS = `
const net = require('net');
const specs = process.argv.slice(1);
let up = 0;
for (const spec of specs) {
  const [host, port, v6] = spec.split('|');
  net.createServer(() => {}).listen({ host, port: Number(port), ipv6Only: v6 === 'v6only' }, () => { if (++up === specs.length) console.log('listening'); });
}
setTimeout(() => process.exit(0), 60000).unref();
setInterval(() => {}, 1000);
`;

export interface Peer {
  child: ChildProcess;
  /** Resolves with the first line starting with `prefix` (rejects after timeoutMs or on exit). */
  line(prefix: string, timeoutMs?: number): Promise<string>;
}

/** Starts `node -e code args` inside the namespace. */
export function startPeer(ns: string, code: string, args: string[]): Peer {
  const [cmd, argv] = inNetns(ns, process.execPath, ['-e', code, ...args]);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    line(prefix, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`peer: no "${prefix}" line after ${timeoutMs} ms (got: ${lines.join(' | ')})`)), timeoutMs);
        const check = (): void => {
          const found = lines.find((l) => l.startsWith(prefix));
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`peer exited ${child.exitCode} before "${prefix}" (got: ${lines.join(' | ')})`));
          } else waiters.push(check);
        };
        child.once('exit', () => waiters.splice(0).forEach((w) => w()));
        check();
      });
    },
  };
}

/**
 * Every message family, most specific first: a line is answered by the first entry whose pattern
 * matches, so a program's own wording wins over the bare strerror text it contains.
 */
import { curl } from './messages/curl.js';
import { glibc } from './messages/glibc.js';
import { go } from './messages/go.js';
import { haproxy } from './messages/haproxy.js';
import { java } from './messages/java.js';
import { linux } from './messages/linux.js';
import { nginx } from './messages/nginx.js';
import { node } from './messages/node.js';
import { php } from './messages/php.js';
import { python } from './messages/python.js';
import { tools } from './messages/tools.js';
import { apache } from './messages/apache.js';
import { memcached } from './messages/memcached.js';
import { mysql } from './messages/mysql.js';
import { pgbouncer } from './messages/pgbouncer.js';
import { postgresql } from './messages/postgresql.js';
import { redis } from './messages/redis.js';
import type { Hints, MessageEntry, MessageFamily } from './types.js';

export const FAMILIES: readonly MessageFamily[] = [redis, postgresql, mysql, pgbouncer, memcached, apache, go, java, node, python, nginx, haproxy, php, curl, tools, linux, glibc];

export interface Recognised {
  family: MessageFamily;
  entry: MessageEntry;
  hints: Hints;
}

/** Lines are logs from anywhere: bounded before any pattern runs on them. */
export const MAX_LINE = 4096;

/**
 * The unix socket path or the port a line is about. A path: "unix:/run/x.sock", "unix:///run/x.sock"
 * (PHP), "dial unix /run/x.sock" (Go), "connect EAGAIN /run/x.sock" (Node). A port: the peer of
 * "a->b" (Go's read/write errors), else the first address:port, else "port N".
 */
export function extractHints(line: string): Hints {
  const hints: Hints = {};
  // Who logged it: a syslog/journal tag "nginx[812]:", nginx's "[error] 812#812:", Redis's "812:M ".
  const tag = /(?:^|\s)([A-Za-z_][\w.@-]{0,63})\[(\d{1,10})\]:\s/.exec(line);
  const nginxPid = /\[(?:emerg|alert|crit|error|warn|notice|info|debug)\] (\d{1,10})#\d+:/.exec(line);
  const redisPid = /^(\d{1,10}):[MCSX] \d{1,2} [A-Z][a-z]{2} /.exec(line);
  const pid = Number(nginxPid?.[1] ?? tag?.[2] ?? redisPid?.[1] ?? NaN);
  if (Number.isInteger(pid) && pid > 0 && pid <= 4194304) hints.pid = pid;
  if (tag) hints.tag = tag[1];
  // nginx names the upstream it failed to reach: that is the port the message is about, not the client's.
  const upstream = /\bupstream: "[a-z]+:\/\/([^"\/]+)/i.exec(line);
  if (upstream && !/^unix:/i.test(upstream[1])) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[^:]+):(\d{1,5})$/.exec(upstream[1]);
    if (m && Number(m[2]) >= 1 && Number(m[2]) <= 65535) {
      hints.port = Number(m[2]);
      hints.address = m[1].replace(/^\[|\]$/g, '');
      return hints;
    }
  }
  const path = /unix:(?:\/\/)?((?:\/|@)[^\s"'()\],;]+)|dial unix ((?:\/|@)[^\s:"']+)|connect E[A-Z]+ ((?:\/|@)[^\s"']+)/i.exec(line);
  const p = path?.[1] ?? path?.[2] ?? path?.[3];
  if (p) hints.path = p.replace(/:$/, '');
  const rest = p ? line.replace(p, '') : line;
  const addr = /(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|localhost):(\d{1,5})\b/g;
  const all = [...rest.matchAll(addr)];
  const arrow = rest.indexOf('->');
  const chosen = arrow >= 0 ? (all.find((m) => (m.index ?? 0) > arrow) ?? all[0]) : all[0];
  const portWord = /\bport (\d{1,5})\b/i.exec(rest);
  const port = chosen ? Number(chosen[2]) : portWord ? Number(portWord[1]) : NaN;
  if (Number.isInteger(port) && port >= 1 && port <= 65535) hints.port = port;
  if (chosen) hints.address = chosen[1].replace(/^\[|\]$/g, '');
  return hints;
}

/** The entry a log line is, or null. */
export function recognise(text: string): Recognised | null {
  const line = text.slice(0, MAX_LINE);
  for (const family of FAMILIES) {
    for (const entry of family.entries) if (entry.pattern.test(line)) return { family, entry, hints: extractHints(line) };
  }
  return null;
}

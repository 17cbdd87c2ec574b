/**
 * nginx: each worker serves at most `worker_connections` connections at once (events block,
 * default 512), and every connection it holds counts: client connections, upstream connections,
 * each listening socket, and the channel to its master (src/event/ngx_event.c
 * ngx_event_process_init takes one per listener; ngx_add_channel_event one for the channel). With
 * none free, ngx_get_connection first closes idle keep-alive connections ("worker_connections are
 * not enough, reusing connections", src/core/ngx_connection.c ngx_drain_connections) and then
 * closes new ones at once ("worker_connections are not enough"): clients see resets and dropped
 * keep-alives while no kernel queue is full. Each connection is a descriptor too: a worker whose
 * fd limit (worker_rlimit_nofile) is below worker_connections runs out of fds first.
 *
 * The master's title keeps its command line ("nginx: master process /usr/sbin/nginx -c FILE"); the
 * configuration is FILE or the compiled-in /etc/nginx/nginx.conf (Debian, Red Hat, the official
 * packages), includes relative to its directory. `kill -HUP` (systemctl reload) starts new workers
 * with the new value; old ones finish their connections.
 */
import { hostJoin } from './config-reader.js';
import { intValue, signalReload, titleWords, unreadableConfig } from './common.js';
import { directivesIn, lastIn, parseNginxConfig, tokenizeNginx, type NginxDirective } from './syntax/nginx-conf.js';
import type { Program, Upstream } from './types.js';

const DEFAULT_CONF = '/etc/nginx/nginx.conf';
/** ngx_event.c: worker_connections defaults to 512 (DEFAULT_CONNECTIONS). */
const DEFAULT_WORKER_CONNECTIONS = 512;

/** The configuration file and prefix of a master, from the words of its title. */
export function nginxConfPath(words: readonly string[]): string {
  const i = words.indexOf('process');
  const args = i >= 0 ? words.slice(i + 2) : words.slice(1);
  let conf: string | null = null;
  let prefix: string | null = null;
  for (let j = 0; j < args.length; j++) {
    if (args[j] === '-c' && j + 1 < args.length) conf = args[++j];
    else if (args[j] === '-p' && j + 1 < args.length) prefix = args[++j];
    else if (args[j].startsWith('-c') && args[j].length > 2) conf = args[j].slice(2);
  }
  if (conf === null) return DEFAULT_CONF;
  return hostJoin(prefix ?? '/', conf);
}

/** The `-g` directives of a master's title ("daemon on; master_process on;"), which count as main-context lines. */
function globalDirectives(cmdline: string): NginxDirective[] {
  const at = cmdline.indexOf(' -g ');
  if (at < 0) return [];
  const out: NginxDirective[] = [];
  let words: string[] = [];
  for (const t of tokenizeNginx(cmdline.slice(at + 4))) {
    if (t.t === 'word') words.push(t.v);
    else if (t.t === ';') {
      if (words.length) out.push({ name: words[0], args: words.slice(1), file: 'the -g option of its command line', line: 0 });
      words = [];
    } else break;
  }
  return out;
}

/** "127.0.0.1:8080", "[::1]:80", "8080", "*:80" -> the port; null for unix: sockets. */
function listenPort(arg: string | undefined): number | null {
  if (!arg || arg.startsWith('unix:')) return null;
  const colon = arg.lastIndexOf(':');
  const p = intValue(colon >= 0 && !arg.endsWith(']') ? arg.slice(colon + 1) : arg);
  return p !== null && p > 0 && p < 65536 ? p : null;
}

/** "http://10.0.0.5:8080/x", "127.0.0.1:9000", "grpc://[::1]:50051" -> host and port (the scheme's default port when none). */
function upstreamAddress(arg: string): { host: string; port: number } | null {
  let rest = arg;
  let dflt = 80;
  const scheme = rest.indexOf('://');
  if (scheme >= 0) {
    const name = rest.slice(0, scheme);
    dflt = name === 'https' || name === 'grpcs' ? 443 : 80;
    rest = rest.slice(scheme + 3);
  }
  if (rest.startsWith('unix:') || rest.includes('$')) return null;
  const slash = rest.indexOf('/');
  if (slash >= 0) rest = rest.slice(0, slash);
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return null;
    const port = rest[close + 1] === ':' ? intValue(rest.slice(close + 2)) : dflt;
    return port === null ? null : { host: rest.slice(1, close), port };
  }
  const colon = rest.lastIndexOf(':');
  if (colon < 0) return { host: rest, port: dflt };
  const port = intValue(rest.slice(colon + 1));
  return port === null ? null : { host: rest.slice(0, colon), port };
}

/** An address sockdoc can follow without a resolver: a numeric IPv4/IPv6 address or "localhost". */
function followable(host: string): string | null {
  if (host === 'localhost') return '127.0.0.1';
  const ipv4 = host.split('.');
  if (ipv4.length === 4 && ipv4.every((x) => intValue(x) !== null && Number(x) < 256)) return host;
  return host.includes(':') ? host : null;
}

const PASS = new Set(['proxy_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'grpc_pass']);

/** Where each server block sends connections: its listen ports and every *_pass in it, upstream blocks resolved. */
export function nginxUpstreams(main: readonly NginxDirective[]): Upstream[] {
  const out: Upstream[] = [];
  const http = lastIn(main, 'http')?.block ?? [];
  const groups = new Map<string, NginxDirective[]>();
  for (const u of directivesIn(http, 'upstream')) groups.set(u.args[0] ?? '', directivesIn(u.block, 'server'));
  const passes = (list: readonly NginxDirective[] | undefined, acc: NginxDirective[], depth = 0) => {
    for (const d of list ?? []) {
      if (PASS.has(d.name)) acc.push(d);
      else if (d.block && depth < 16) passes(d.block, acc, depth + 1);
    }
    return acc;
  };
  for (const server of directivesIn(http, 'server')) {
    const ports = directivesIn(server.block, 'listen').map((l) => listenPort(l.args[0])).filter((p): p is number => p !== null);
    const listenPorts = ports.length ? [...new Set(ports)] : [80];
    for (const d of passes(server.block, [])) {
      const arg = d.args[0] ?? '';
      const scheme = arg.indexOf('://');
      const name = (scheme >= 0 ? arg.slice(scheme + 3) : arg).split('/')[0];
      const group = groups.get(name);
      const targets = group ? group.map((g) => ({ a: upstreamAddress(g.args[0] ?? ''), at: g })) : [{ a: upstreamAddress(arg), at: d }];
      for (const { a, at } of targets) {
        const host = a ? followable(a.host) : null;
        if (a && host) out.push({ listenPorts, address: host, port: a.port, directive: group ? `${d.name} ${arg} (server of upstream ${name})` : d.name, file: at.file, line: at.line });
      }
    }
  }
  return out;
}

export const nginx: Program = {
  id: 'nginx',
  label: 'nginx',
  recognisedBy: 'comm "nginx": the master ("nginx: master process ...", its title keeps -c/-p/-g) and its workers ("nginx: worker process")',
  capLives: '`worker_connections N;` in the events { } block of nginx.conf (-c FILE, default /etc/nginx/nginx.conf, includes relative to its directory); per worker, × worker_processes in all',
  defaults: 'worker_connections 512, worker_processes 1 (all versions)',
  fromFdLimit: 'not derived, but bounded: every connection is a descriptor, so a worker whose fd limit (worker_rlimit_nofile, else inherited) is below worker_connections runs out of fds first',
  atCapDoc: 'closes idle keep-alive connections to make room ("worker_connections are not enough, reusing connections"), then closes new connections at once ("worker_connections are not enough"); nothing waits in the kernel queue',
  reloadDoc: '`systemctl reload nginx` or `kill -HUP MASTER`: new workers start with the new value, old ones finish their connections',
  role(p) {
    if (p.name !== 'nginx') return null;
    if (p.cmdline.startsWith('nginx: worker process') || p.cmdline.startsWith('nginx: cache ')) return 'worker';
    return 'main';
  },
  read(c) {
    const words = titleWords(c.main);
    const file = nginxConfPath(words);
    const parsed = parseNginxConfig(c.reader, file);
    const reload = signalReload(c.unit, c.main.pid, 'HUP', 'new workers start with it, old ones finish their connections', 'nothing: the reload is graceful (an invalid file is refused and the old workers keep running)');
    if (!c.reader.files.includes(file)) return { caps: [], unknown: unreadableConfig(c.reader, file, 'nginx'), reload, notes: [] };
    const main = [...globalDirectives(c.main.cmdline), ...parsed.directives];
    const events = lastIn(main, 'events');
    const wc = lastIn(events?.block, 'worker_connections');
    const notes = parsed.problems.map((p) => `nginx configuration: ${p}.`);
    const workers = c.workers.filter((w) => w.cmdline.startsWith('nginx: worker process'));
    const pids = (workers.length ? workers : [c.main]).map((w) => w.pid);
    let value = DEFAULT_WORKER_CONNECTIONS;
    if (wc) {
      const v = intValue(wc.args[0]);
      if (v === null) return { caps: [], unknown: `nginx: worker_connections at ${wc.file}:${wc.line} is not a number sockdoc can read, so its cap is unknown`, reload, notes };
      value = v;
    }
    // ngx_event.c: with accept_mutex on (the default before 1.11.3) and several workers, a worker stops
    // accepting once fewer than 1/8 of its connections are free (ngx_accept_disabled).
    const mutex = lastIn(events?.block, 'accept_mutex')?.args[0] === 'on' && workers.length > 1;
    const saturatesAt = mutex ? value - Math.floor(value / 8) : Math.max(1, value - 1);
    const softs = (workers.length ? workers : [c.main]).map((w) => w.soft).filter((s): s is number => s !== null);
    const soft = softs.length ? Math.min(...softs) : null;
    const rlimit = lastIn(main, 'worker_rlimit_nofile');
    if (soft !== null && value > soft) {
      notes.push(`worker_connections ${value} exceeds the workers' fd limit ${soft}${rlimit ? ` (worker_rlimit_nofile at ${rlimit.file}:${rlimit.line})` : ''}: a worker runs out of descriptors ("Too many open files") before it reaches worker_connections.`);
    }
    return {
      caps: [
        {
          directive: 'worker_connections',
          value,
          scope: 'process',
          counts: 'process-sockets',
          reserved: 1,
          saturatesAt,
          origin: wc ? 'config' : 'default',
          ...(wc ? { file: wc.file, line: wc.line } : { file }),
          pids,
          atCap: 'close',
          atCapText: 'nginx closes idle keep-alive connections early to make room, then closes new connections at once ("worker_connections are not enough")',
          where: 'the events { } block',
          fdCeiling: soft,
          setLine: 'worker_connections {};',
        },
      ],
      reload,
      upstreams: nginxUpstreams(main),
      notes,
    };
  },
};

export { DEFAULT_CONF as NGINX_DEFAULT_CONF };

/**
 * Redis refuses clients above `maxclients` (default 10000): it accepts the connection, writes
 * "-ERR max number of clients reached" and closes it (networking.c acceptCommonHandler). At start it
 * needs maxclients + 32 descriptors (CONFIG_MIN_RESERVED_FDS); when its fd limit is lower and cannot
 * be raised it lowers maxclients to limit − 32 and logs "maxclients has been reduced to N to
 * compensate for low ulimit" (server.c adjustOpenFilesLimit). So the value in force is
 * min(maxclients, soft limit − 32), the soft limit being what Redis set for itself.
 *
 * Redis rewrites its title ("redis-server 127.0.0.1:6379"), so the configuration file is found from
 * its launcher (the unit's ExecStart=, e.g. Debian's /etc/redis/redis.conf), from its own title when
 * proc-title-template shows {config-file}, or among the *.conf of its working directory (where
 * `redis-server ./redis.conf` was started), the usual paths and /etc/redis, when that file's `port`
 * is the port it listens on. `CONFIG SET maxclients N` changes it at once; the file keeps it.
 */
import { shellCommand } from '../../safety/shell-quote.js';
import { dirname, hostJoin } from './config-reader.js';
import { intValue, portsOf, titleWords } from './common.js';
import { lineWords } from './syntax/line-words.js';
import type { CapSpec, Program, ProgramCase } from './types.js';

/** server.h CONFIG_MIN_RESERVED_FDS: descriptors Redis keeps for itself (persistence, listeners, ...). */
export const REDIS_RESERVED_FDS = 32;
const DEFAULT_MAXCLIENTS = 10000;
const DEFAULT_PORT = 6379;
const MAX_INCLUDES = 32;
/** *.conf files of its working directory (or /etc/redis) tried at most, for its port. */
const MAX_CWD_CANDIDATES = 8;

/** Where distributions and the official image put redis.conf (checked only against the port it listens on). */
const USUAL = (port: number) => [`/etc/redis/redis.conf`, `/etc/redis.conf`, `/etc/redis/${port}.conf`, `/etc/redis/redis-${port}.conf`, `/usr/local/etc/redis/redis.conf`, `/usr/local/etc/redis.conf`, `/etc/redis/redis-server.conf`];

interface RedisConf {
  file: string;
  maxclients: { value: number | null; file: string; line: number } | null;
  port: number | null;
  /** requirepass, an aclfile, or a `user` line with a password: clients must authenticate. */
  auth: boolean;
}

/**
 * Whether a `user NAME ...` ACL rule asks for a password (">pw", "#sha256"), or switches the user
 * off; "nopass" or no password leaves it open (ACL.c ACLSetUser). The default user open is what counts.
 */
function userRuleAuth(words: readonly string[]): boolean | null {
  if (words[1] !== 'default') return null;
  const rules = words.slice(2);
  if (rules.includes('off')) return true;
  if (rules.includes('nopass')) return false;
  return rules.some((r) => r.startsWith('>') || r.startsWith('#'));
}

/** Why an instance answers anyone (server.c: without requirepass/ACL every client is the default user, which may run CONFIG SET). */
const REDIS_OPEN = 'Redis without requirepass or an ACL answers anyone who reaches its port: they can read and change every key, and CONFIG SET lets them write files as its user';

/** Directives of a redis.conf and its includes (later lines win, as Redis applies them). */
function readRedisConf(c: ProgramCase, file: string): RedisConf | null {
  const conf: RedisConf = { file, maxclients: null, port: null, auth: false };
  const queue = [file];
  let read = 0;
  while (queue.length && read < MAX_INCLUDES) {
    const f = queue.shift() as string;
    const r = c.reader.read(f);
    read++;
    if (r.text === null) {
      if (f === file) return null;
      continue;
    }
    for (const l of lineWords(r.text)) {
      const kw = l.words[0].toLowerCase();
      if (kw === 'maxclients') conf.maxclients = { value: intValue(l.words[1]), file: f, line: l.line };
      else if (kw === 'port') conf.port = intValue(l.words[1]);
      else if (kw === 'requirepass') conf.auth = (l.words[1] ?? '').replace(/^"(.*)"$/, '$1') !== '';
      else if (kw === 'aclfile' && l.words[1]) conf.auth = true;
      else if (kw === 'user') conf.auth = userRuleAuth(l.words) ?? conf.auth;
      else if (kw === 'include' && l.words[1]) queue.push(...c.reader.glob(l.words[1], dirname(f)));
    }
  }
  return conf;
}

/** A word that names a configuration file: argv of the title, or of the launcher's command line. */
function confWord(words: readonly string[] | null): string | null {
  for (const w of (words ?? []).slice(1)) if (w.endsWith('.conf')) return w;
  return null;
}

export const redis: Program = {
  id: 'redis',
  label: 'Redis',
  recognisedBy: 'comm "redis-server" (its title is rewritten to "redis-server ADDR:PORT"; the config file comes from the unit\'s ExecStart=, a title showing {config-file}, or a *.conf of its working directory, the usual paths or /etc/redis checked against its port)',
  capLives: '`maxclients N` in redis.conf (and its include files); `--maxclients N` on the command line',
  defaults: 'maxclients 10000 (all versions since 2.6)',
  fromFdLimit: 'lowered at start to (fd limit − 32) when the limit is too low ("maxclients has been reduced to N"); in force: min(maxclients, soft limit − 32)',
  atCapDoc: 'accepts, answers "-ERR max number of clients reached" and closes: clients get an error, nothing waits in the queue',
  reloadDoc: '`redis-cli CONFIG SET maxclients N` at once (Redis raises its fd limit as far as its hard limit allows), and the same line in redis.conf (or CONFIG REWRITE) to keep it',
  role(p) {
    return p.name === 'redis-server' ? 'main' : null;
  },
  read(c) {
    const ports = portsOf(c.listeners);
    const port = ports[0] ?? DEFAULT_PORT;
    const soft = c.main.soft;
    const ceiling = soft !== null ? Math.max(0, soft - REDIS_RESERVED_FDS) : null;
    const host = c.listeners.find((l) => l.address === '127.0.0.1' || l.address === '::1')?.address ?? c.listeners[0]?.address ?? '127.0.0.1';
    const cli = ['redis-cli', '-h', host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, '-p', String(port)];
    const reload = {
      lines: [`${shellCommand([...cli, 'CONFIG', 'SET', 'maxclients'])} {}   # at once; add --askpass when requirepass is set`, `${shellCommand([...cli, 'CONFIG', 'REWRITE'])}   # keeps it: rewrites redis.conf (or edit the line above yourself)`],
      blastRadius: 'nothing: no restart, no client is disconnected',
      restart: false,
      viaListener: true,
    };
    // The configuration: named by the title or the launcher, else a usual path whose port matches.
    const named = confWord(titleWords(c.main)) ?? confWord(c.launch?.argv ?? null);
    let conf: RedisConf | null = null;
    let how = '';
    if (named) {
      conf = readRedisConf(c, hostJoin(c.cwd, named));
      how = confWord(titleWords(c.main)) ? 'named in its title' : `named in ${c.launch?.from ?? 'its launcher'}`;
    } else {
      // Started by hand (`redis-server /path/redis.conf`, then the title is rewritten): the file is
      // most often in the directory it was started from, which stays its working directory unless
      // the file sets `dir`; then the usual paths, then any *.conf of /etc/redis. Each candidate
      // must name the port it listens on (or be silent and it listens on 6379).
      const candidates: Array<{ file: string; how: string }> = [];
      if (c.cwd !== '/') for (const f of c.reader.glob('*.conf', c.cwd).slice(0, MAX_CWD_CANDIDATES)) candidates.push({ file: f, how: `found in its working directory ${c.cwd}, with port ${port}` });
      for (const f of USUAL(port)) candidates.push({ file: f, how: `found at a usual path, with port ${port}` });
      for (const f of c.reader.glob('/etc/redis/*.conf', '/').slice(0, MAX_CWD_CANDIDATES)) candidates.push({ file: f, how: `found in /etc/redis, with port ${port}` });
      const tried = new Set<string>();
      for (const cand of candidates) {
        if (tried.has(cand.file)) continue;
        tried.add(cand.file);
        const probe = readRedisConf(c, cand.file);
        if (probe && (probe.port ?? DEFAULT_PORT) === port) {
          conf = probe;
          how = cand.how;
          break;
        }
      }
    }
    // CONFIG SET maxclients raises Redis's own soft limit as far as its hard limit (adjustOpenFilesLimit).
    const reach = c.main.hard ?? soft;
    const common = { directive: 'maxclients', scope: 'instance' as const, counts: 'accepted' as const, ports, atCap: 'refuse' as const, atCapText: 'Redis accepts, answers "-ERR max number of clients reached" and closes the connection', where: '', fdCeiling: reach !== null ? Math.max(0, reach - REDIS_RESERVED_FDS) : null, setLine: 'maxclients {}' };
    const notes: string[] = [];
    // Authentication: from the file, or --requirepass on its command line (the title keeps it only
    // when Redis did not rewrite it). Unknown (no file read) is treated as open: never exposed on a guess.
    const argAuth = c.argv.some((w) => w === '--requirepass' || w === '--aclfile');
    const unauthenticated = argAuth || conf?.auth ? undefined : conf ? REDIS_OPEN : `${REDIS_OPEN} (its configuration was not read: whether it asks for a password is unknown)`;
    const open = unauthenticated ? { unauthenticated } : {};
    if (!conf) {
      const why = named ? `its configuration ${hostJoin(c.cwd, named)} could not be read${c.reader.problems.length ? ` (${c.reader.problems[0]})` : ''}` : `it rewrote its title, no unit names its configuration, and no file for its port ${port} is in its working directory (${c.cwd}), at a usual path or in /etc/redis`;
      if (ceiling === null) return { caps: [], unknown: `Redis: ${why}, so its maxclients is unknown`, reload, notes, ...open };
      // Whatever the file says, Redis cannot hold more than its fd limit − 32 clients: a bound, not a guess.
      const cap: CapSpec = { ...common, value: ceiling, origin: 'fd-limit', atMost: true, fromFdLimit: { soft: soft as number, how: `${why}; whatever maxclients is, Redis holds at most its fd limit ${soft} − ${REDIS_RESERVED_FDS}` } };
      return { caps: [cap], reload, notes, ...open };
    }
    const m = conf.maxclients;
    if (m && m.value === null) return { caps: [], unknown: `Redis: maxclients at ${m.file}:${m.line} is not a number sockdoc can read, so its cap is unknown`, reload, notes, ...open };
    const configured = m?.value ?? DEFAULT_MAXCLIENTS;
    const at = m ? { file: m.file, line: m.line } : { file: conf.file };
    if (ceiling !== null && ceiling < configured) {
      return {
        caps: [{ ...common, ...at, value: ceiling, configured, origin: 'fd-limit', fromFdLimit: { soft: soft as number, how: `maxclients ${configured}${m ? '' : ' (the default)'} needs ${configured + REDIS_RESERVED_FDS} descriptors; with an fd limit of ${soft} Redis lowered it at start to ${soft} − ${REDIS_RESERVED_FDS} = ${ceiling} ("maxclients has been reduced to ${ceiling} to compensate for low ulimit")` } }],
        reload,
        configFrom: how,
        notes,
        ...open,
      };
    }
    return { caps: [{ ...common, ...at, value: configured, origin: m ? 'config' : 'default' }], reload, configFrom: how, notes, ...open };
  },
};

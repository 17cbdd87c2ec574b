/**
 * PHP-FPM: each pool runs at most `pm.max_children` children (required; the packaged www.conf sets
 * 5), each serving one request at a time. When all are busy the master stops handing out the
 * pool's socket: new connections wait in its listen queue (listen.backlog, default 511; the master
 * logs "server reached pm.max_children setting (N), consider raising it"), then time out.
 *
 * The master's title names its configuration ("php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)");
 * `include=` globs in it bring in the pool files (one [name] section per pool); `$pool` in a value
 * is the pool's name. A pool listening on a unix socket has no TCP queue: its cap is recorded with
 * the socket's path (the unix-socket queue is read elsewhere). SIGUSR2 (systemctl reload) is a
 * graceful reload.
 */
import { dirname, hostJoin, type ConfigReader } from './config-reader.js';
import { intValue, signalReload } from './common.js';
import { parseIni, type IniEntry } from './syntax/ini.js';
import type { CapSpec, Program } from './types.js';
import { bindPorts } from './haproxy.js';

function readFpm(reader: ConfigReader, file: string, depth: number, out: IniEntry[]): boolean {
  const r = reader.read(file);
  if (r.text === null) return false;
  for (const e of parseIni(r.text, file, { inlineComments: ';' })) {
    if (e.key === 'include' && depth < 4) for (const f of reader.glob(e.value, dirname(file))) readFpm(reader, f, depth + 1, out);
    else out.push(e);
  }
  return true;
}

/** The configuration of a master, from its title "php-fpm: master process (FILE)". */
export function fpmConfPath(cmdline: string): string | null {
  const open = cmdline.indexOf('(');
  const close = cmdline.lastIndexOf(')');
  return open >= 0 && close > open ? cmdline.slice(open + 1, close) : null;
}

export const phpFpm: Program = {
  id: 'php-fpm',
  label: 'PHP-FPM',
  recognisedBy: 'comm "php-fpm*": the master ("php-fpm: master process (FILE)") and its pool children ("php-fpm: pool NAME")',
  capLives: '`pm.max_children` in each pool\'s [name] section (the files `include=` brings into php-fpm.conf)',
  defaults: 'no built-in default (php-fpm refuses a pool without it); the packaged www.conf sets 5',
  fromFdLimit: 'not derived: each child is a process serving one request',
  atCapDoc: 'stops handing out connections: they wait in the pool\'s listen queue (listen.backlog), "server reached pm.max_children setting"',
  reloadDoc: '`systemctl reload php*-fpm` or `kill -USR2 MASTER`: graceful, children finish their requests',
  unixListeners: true,
  role(p) {
    if (!p.name.startsWith('php-fpm')) return null;
    return p.cmdline.startsWith('php-fpm: pool ') ? 'worker' : 'main';
  },
  read(c) {
    const reload = signalReload(c.unit, c.main.pid, 'USR2', 'graceful: new children with the new setting', 'nothing: running requests finish');
    // FastCGI has no authentication: whoever reaches a TCP pool makes PHP-FPM run any script file it
    // names (SCRIPT_FILENAME) as the pool's user. listen.allowed_clients only filters addresses.
    const open = { unauthenticated: 'PHP-FPM speaks FastCGI, which has no authentication: whoever reaches the port makes it run any PHP file it names, as the pool\'s user' };
    const file = fpmConfPath(c.main.cmdline) ?? '/etc/php-fpm.conf';
    const entries: IniEntry[] = [];
    if (!readFpm(c.reader, hostJoin(c.cwd, file), 0, entries)) {
      return { caps: [], unknown: `PHP-FPM: its configuration ${file} could not be read${c.reader.problems.length ? ` (${c.reader.problems[0]})` : ''}, so its pm.max_children is unknown`, reload, notes: [], ...open };
    }
    const pools = new Map<string, Map<string, IniEntry>>();
    for (const e of entries) {
      if (e.section === 'global' || e.section === '') continue;
      const m = pools.get(e.section) ?? new Map<string, IniEntry>();
      m.set(e.key, e);
      pools.set(e.section, m);
    }
    const caps: CapSpec[] = [];
    const notes: string[] = [];
    for (const [name, keys] of pools) {
      const listen = keys.get('listen')?.value.replaceAll('$pool', name) ?? '';
      const mc = keys.get('pm.max_children');
      const value = intValue(mc?.value);
      if (!mc || value === null) {
        notes.push(`PHP-FPM pool ${name}: pm.max_children is ${mc ? `not a number sockdoc can read (${mc.file}:${mc.line})` : 'not set'}: its cap is unknown.`);
        continue;
      }
      const unix = listen.startsWith('/') ? listen : null;
      const ports = unix ? [] : bindPorts(listen.includes(':') ? listen : `:${listen}`);
      if (!unix && !ports.length) continue;
      caps.push({
        directive: 'pm.max_children',
        value,
        scope: 'listener',
        counts: 'accepted',
        origin: 'config',
        file: mc.file,
        line: mc.line,
        ports,
        ...(unix ? { unixPath: unix } : {}),
        atCap: 'queue',
        atCapText: 'PHP-FPM stops handing out connections: they wait in the pool\'s listen queue ("server reached pm.max_children setting")',
        where: `the [${name}] pool`,
        setLine: 'pm.max_children = {}',
      });
    }
    return { caps, reload, notes, ...open };
  },
};

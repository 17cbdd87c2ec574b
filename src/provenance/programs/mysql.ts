/**
 * MySQL and MariaDB refuse a connection above `max_connections` (default 151) with "ERROR 1040
 * (HY000): Too many connections" (one more is kept for a CONNECTION_ADMIN/SUPER user). At start the
 * server fits it under its open files limit: when the descriptors it gets cannot hold
 * max_connections + 10 + 2 × table_open_cache's minimum (400 in MySQL's mysqld.cc
 * adjust_max_connections, TABLE_OPEN_CACHE_MIN), it lowers max_connections and logs "Changed limits:
 * max_connections: N (requested M)". The value in force is then min(max_connections,
 * soft limit − 810); MariaDB computes it alike (sql/mysqld.cc), so there it is approximate.
 *
 * Option files (man my.cnf, "Using Option Files"): /etc/my.cnf, /etc/mysql/my.cnf, then
 * --defaults-extra-file; only --defaults-file when given. `!include FILE` and `!includedir DIR`
 * (every *.cnf in it); the [mysqld], [server], [mysqld-VERSION], [mariadb], [mariadbd] groups.
 * The command line (--max-connections=N, --max_connections=N) wins. `SET GLOBAL max_connections = N`
 * changes it at once.
 */
import { hostJoin, type ConfigReader } from './config-reader.js';
import { argValue, intValue } from './common.js';
import { lastEntry, parseIni, type IniEntry } from './syntax/ini.js';
import type { Program } from './types.js';

const DEFAULT_MAX_CONNECTIONS = 151;
/** mysqld.cc adjust_max_connections: 10 + 2 × TABLE_OPEN_CACHE_MIN (400) descriptors beside the connections. */
const FD_OVERHEAD = 10 + 2 * 400;
const DEFAULT_FILES = ['/etc/my.cnf', '/etc/mysql/my.cnf', '/usr/etc/my.cnf'];
const GROUPS = ['mysqld', 'server', 'mariadb', 'mariadbd', 'mysqld_safe'];

function readOptionFile(reader: ConfigReader, file: string, depth: number, out: IniEntry[]): boolean {
  const r = reader.read(file);
  if (r.text === null) return false;
  for (const e of parseIni(r.text, file, { inlineComments: '#' })) {
    if (e.key === '!include' && depth < 8) readOptionFile(reader, hostJoin('/', e.value), depth + 1, out);
    else if (e.key === '!includedir' && depth < 8) {
      for (const f of [...reader.glob('*.cnf', e.value), ...reader.glob('*.ini', e.value)].sort()) readOptionFile(reader, f, depth + 1, out);
    } else out.push(e);
  }
  return true;
}

export const mysql: Program = {
  id: 'mysql',
  label: 'MySQL',
  recognisedBy: 'comm "mysqld" or "mariadbd"',
  capLives: '`max_connections` (or max-connections) in the [mysqld]/[server]/[mariadb] groups of /etc/my.cnf, /etc/mysql/my.cnf and their !include/!includedir files (only --defaults-file when given); --max-connections=N on the command line wins',
  defaults: 'max_connections 151 (MySQL ≥ 5.1.15 and MariaDB; 100 before)',
  fromFdLimit: 'lowered at start to fit the open files limit: min(max_connections, fd limit − 810) ("Changed limits: max_connections")',
  atCapDoc: 'accepts, answers "ERROR 1040 (HY000): Too many connections" and closes (one extra slot for a CONNECTION_ADMIN/SUPER user)',
  reloadDoc: '`SET GLOBAL max_connections = N` at once (MySQL 8: SET PERSIST keeps it), and the option file for the next start',
  role(p) {
    return p.name === 'mysqld' || p.name === 'mariadbd' ? 'main' : null;
  },
  read(c) {
    const label = c.main.name === 'mariadbd' ? 'MariaDB' : 'MySQL';
    const argv = c.argv.length > 1 ? c.argv : (c.launch?.argv ?? c.argv);
    const reload = {
      lines: ["mysql -e 'SET GLOBAL max_connections = {}'   # at once, as an administrative user (MySQL 8: SET PERSIST also keeps it)"],
      blastRadius: 'nothing: no restart, no session is disconnected',
      restart: false,
      viaListener: true,
    };
    const flag = argValue(argv, ['--max-connections', '--max_connections']);
    const entries: IniEntry[] = [];
    const only = argValue(argv, ['--defaults-file']);
    const files = only ? [hostJoin(c.cwd, only)] : [...DEFAULT_FILES, ...[argValue(argv, ['--defaults-extra-file'])].filter((f): f is string => f !== null).map((f) => hostJoin(c.cwd, f))];
    let found = false;
    for (const f of files) found = readOptionFile(c.reader, f, 0, entries) || found;
    const soft = c.main.soft;
    const fdCeiling = soft !== null ? Math.max(0, soft - FD_OVERHEAD) : null;
    const common = { directive: 'max_connections', scope: 'instance' as const, counts: 'accepted' as const, ports: [...new Set(c.listeners.map((l) => l.port))], atCap: 'refuse' as const, atCapText: `${label} answers "ERROR 1040 (HY000): Too many connections"`, where: 'the [mysqld] group', fdCeiling, setLine: 'max_connections = {}' };
    let configured: number;
    let at: { file?: string; line?: number } = {};
    let origin: 'flag' | 'config' | 'default';
    if (flag !== null) {
      const v = intValue(flag);
      if (v === null) return { caps: [], unknown: `${label}: --max-connections on its command line is not a number sockdoc can read, so its cap is unknown`, reload, notes: [] };
      configured = v;
      origin = 'flag';
    } else {
      if (!found) return { caps: [], unknown: `${label}: none of its option files (${files.join(', ')}) could be read${c.reader.problems.length ? ` (${c.reader.problems[0]})` : ''}, so its max_connections is unknown`, reload, notes: [] };
      const hit = lastEntry(entries, 'max_connections', GROUPS);
      if (hit && intValue(hit.value) === null) return { caps: [], unknown: `${label}: max_connections at ${hit.file}:${hit.line} is not a number sockdoc can read, so its cap is unknown`, reload, notes: [] };
      configured = hit ? (intValue(hit.value) as number) : DEFAULT_MAX_CONNECTIONS;
      at = hit ? { file: hit.file, line: hit.line } : { file: files.find((f) => c.reader.files.includes(f)) };
      origin = hit ? 'config' : 'default';
    }
    if (fdCeiling !== null && fdCeiling < configured) {
      return {
        caps: [{ ...common, ...at, value: Math.max(1, fdCeiling), configured, origin: 'fd-limit', approximate: label === 'MariaDB', fromFdLimit: { soft: soft as number, how: `max_connections ${configured} needs about ${configured + FD_OVERHEAD} descriptors; with an fd limit of ${soft} ${label} lowered it at start to ${soft} − ${FD_OVERHEAD} ("Changed limits: max_connections: ${fdCeiling} (requested ${configured})")` } }],
        reload,
        notes: [],
      };
    }
    return { caps: [{ ...common, ...at, value: configured, origin }], reload, notes: [] };
  },
};

/**
 * PostgreSQL refuses a connection above `max_connections` (default 100) with "FATAL: sorry, too
 * many clients already" (src/backend/utils/init/postinit.c); the last superuser_reserved_connections
 * (3) and reserved_connections (16+, 0 by default) slots are kept for privileged roles, so ordinary
 * clients are refused a few earlier ("remaining connection slots are reserved ..."). The postmaster
 * forks one backend per connection: the backends hold the accepted sockets.
 *
 * Configuration (doc/src/sgml/config.sgml): postgresql.conf in the data directory (-D, $PGDATA) or
 * `-c config_file=FILE` (Debian: /etc/postgresql/VERSION/CLUSTER/postgresql.conf), its `include`,
 * `include_if_exists` and `include_dir`, then postgresql.auto.conf of the data directory (ALTER
 * SYSTEM), which wins; `-N N`, `-c max_connections=N` or `--max_connections=N` on the command line
 * win over files. It is read at server start only: a change needs a restart.
 */
import { dirname, hostJoin, type ConfigReader } from './config-reader.js';
import { intValue, restartReload } from './common.js';
import { parseIni, type IniEntry } from './syntax/ini.js';
import type { Program } from './types.js';

const DEFAULT_MAX_CONNECTIONS = 100;
const MAX_FILES_PER_DIR = 256;

/** A server option from the command line: -c name=value, --name=value, -N (max_connections). */
function commandOption(argv: readonly string[], name: string): string | null {
  let v: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' && argv[i + 1]?.startsWith(`${name}=`)) v = argv[i + 1].slice(name.length + 1);
    else if (a.startsWith(`-c${name}=`)) v = a.slice(name.length + 3);
    else if (a.startsWith(`--${name}=`)) v = a.slice(name.length + 3);
    else if (name === 'max_connections' && a === '-N' && i + 1 < argv.length) v = argv[i + 1];
  }
  return v;
}

/** Entries of a postgresql.conf and what it includes, in the order PostgreSQL applies them. */
function readConf(reader: ConfigReader, file: string, depth: number, out: IniEntry[]): boolean {
  const r = reader.read(file);
  if (r.text === null) return false;
  for (const e of parseIni(r.text, file, { inlineComments: '#', sectionless: true })) {
    const key = e.key.toLowerCase();
    if (depth < 8 && (key === 'include' || key === 'include_if_exists')) readConf(reader, hostJoin(dirname(file), e.value), depth + 1, out);
    else if (depth < 8 && key === 'include_dir') {
      for (const f of reader.glob('*.conf', hostJoin(dirname(file), e.value)).slice(0, MAX_FILES_PER_DIR)) readConf(reader, f, depth + 1, out);
    } else out.push(e);
  }
  return true;
}

export const postgresql: Program = {
  id: 'postgresql',
  label: 'PostgreSQL',
  recognisedBy: 'comm "postgres" (or "postmaster"); the instance is the postmaster, its backends are its children',
  capLives: '`max_connections` in postgresql.conf (-D DIR or -c config_file=FILE, its include/include_dir), overridden by postgresql.auto.conf (ALTER SYSTEM) and by -N / -c max_connections= on the command line',
  defaults: 'max_connections 100 (all supported versions); superuser_reserved_connections 3',
  fromFdLimit: 'not derived: each backend is a process with its own descriptors (max_files_per_process)',
  atCapDoc: 'accepts, then the backend answers "FATAL: sorry, too many clients already" (or "remaining connection slots are reserved") and exits',
  reloadDoc: 'a restart (`systemctl restart postgresql@VERSION-CLUSTER`, `pg_ctl restart`): every session is disconnected; `ALTER SYSTEM SET max_connections = N` writes it',
  role(p) {
    if (p.name !== 'postgres' && p.name !== 'postmaster') return null;
    return 'main';
  },
  read(c) {
    const argv = c.argv.length > 1 ? c.argv : (c.launch?.argv ?? c.argv);
    const reload = restartReload(c.unit, 'PostgreSQL', 'every session: they are disconnected while the server restarts');
    const dataDir = (() => {
      const i = argv.indexOf('-D');
      if (i >= 0 && i + 1 < argv.length) return hostJoin(c.cwd, argv[i + 1]);
      const d = argv.find((a) => a.startsWith('--data-directory='));
      return d ? hostJoin(c.cwd, d.slice('--data-directory='.length)) : null;
    })();
    const configArg = commandOption(argv, 'config_file');
    const file = configArg ? hostJoin(c.cwd, configArg) : dataDir ? `${dataDir}/postgresql.conf` : null;
    const entries: IniEntry[] = [];
    const flag = commandOption(argv, 'max_connections');
    if (flag !== null) {
      const v = intValue(flag);
      if (v === null) return { caps: [], unknown: 'PostgreSQL: max_connections on its command line is not a number sockdoc can read, so its cap is unknown', reload, notes: [] };
      return { caps: [capOf(v, 'flag', c.listeners.map((l) => l.port))], reload, notes: [] };
    }
    if (file === null || !readConf(c.reader, file, 0, entries)) {
      return { caps: [], unknown: `PostgreSQL: ${file === null ? 'its command line names neither -D nor config_file' : `its configuration ${file} could not be read${c.reader.problems.length ? ` (${c.reader.problems[0]})` : ''}`}, so its max_connections is unknown`, reload, notes: [] };
    }
    // ALTER SYSTEM writes postgresql.auto.conf in the data directory (config_file may live elsewhere).
    const auto = dataDir ?? (configArg ? null : dirname(file));
    if (auto) readConf(c.reader, `${auto}/postgresql.auto.conf`, 0, entries);
    let hit: IniEntry | undefined;
    let reserved = 3;
    for (const e of entries) {
      const k = e.key.toLowerCase();
      if (k === 'max_connections') hit = e;
      else if (k === 'superuser_reserved_connections') reserved = intValue(e.value) ?? reserved;
    }
    if (hit && intValue(hit.value) === null) return { caps: [], unknown: `PostgreSQL: max_connections at ${hit.file}:${hit.line} is not a number sockdoc can read, so its cap is unknown`, reload, notes: [] };
    const value = hit ? (intValue(hit.value) as number) : DEFAULT_MAX_CONNECTIONS;
    const cap = capOf(value, hit ? 'config' : 'default', c.listeners.map((l) => l.port));
    // The last superuser_reserved_connections slots refuse ordinary roles: they are at the cap from there.
    return {
      caps: [{ ...cap, ...(hit ? { file: hit.file, line: hit.line } : { file }), saturatesAt: Math.max(1, value - reserved) }],
      reload: { ...reload, lines: ['# or, as the database superuser: ALTER SYSTEM SET max_connections = {}; (postgresql.auto.conf, read at the restart)', ...reload.lines] },
      notes: [],
    };
  },
};

function capOf(value: number, origin: 'config' | 'default' | 'flag', ports: number[]) {
  return {
    directive: 'max_connections',
    value,
    scope: 'instance' as const,
    counts: 'accepted' as const,
    origin,
    ports: [...new Set(ports)],
    atCap: 'refuse' as const,
    atCapText: 'PostgreSQL answers "FATAL: sorry, too many clients already" (ordinary roles hear "remaining connection slots are reserved" a few before)',
    where: origin === 'flag' ? 'its command line' : 'postgresql.conf',
    setLine: 'max_connections = {}',
  };
}

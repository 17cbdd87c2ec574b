/**
 * PgBouncer refuses a client above `max_client_conn` (default 100): it accepts and answers "no more
 * connections allowed (max_client_conn)" (src/client.c). Each client and each server connection is a
 * descriptor: it warns at start when max_client_conn + pools exceed its fd limit ("max expected fd
 * use"), and past the limit accept() fails with EMFILE. The [pgbouncer] section of the ini file its
 * command line names (`pgbouncer [-d] FILE`), with `%include FILE`; `RELOAD` on the admin console
 * or SIGHUP applies a new max_client_conn at once.
 */
import { dirname, hostJoin, type ConfigReader } from './config-reader.js';
import { intValue, signalReload } from './common.js';
import { lastEntry, parseIni, type IniEntry } from './syntax/ini.js';
import type { Program } from './types.js';

const DEFAULT_MAX_CLIENT_CONN = 100;

function readIni(reader: ConfigReader, file: string, depth: number, out: IniEntry[]): boolean {
  const r = reader.read(file);
  if (r.text === null) return false;
  for (const e of parseIni(r.text, file, { inlineComments: ';#' })) {
    if (e.key === '%include' && depth < 8) readIni(reader, hostJoin(dirname(file), e.value), depth + 1, out);
    else out.push(e);
  }
  return true;
}

export const pgbouncer: Program = {
  id: 'pgbouncer',
  label: 'PgBouncer',
  recognisedBy: 'comm "pgbouncer"; its configuration is the .ini its command line names',
  capLives: '`max_client_conn` in the [pgbouncer] section of pgbouncer.ini (and %include files)',
  defaults: 'max_client_conn 100 (all versions)',
  fromFdLimit: 'not derived, but bounded: clients and server connections are descriptors; past the fd limit accept() fails ("Too many open files")',
  atCapDoc: 'accepts, answers "no more connections allowed (max_client_conn)" and closes',
  reloadDoc: '`systemctl reload pgbouncer`, `kill -HUP PID` or RELOAD on the admin console: applied at once',
  role(p) {
    return p.name === 'pgbouncer' ? 'main' : null;
  },
  read(c) {
    const argv = c.argv.length > 1 ? c.argv : (c.launch?.argv ?? c.argv);
    const reload = signalReload(c.unit, c.main.pid, 'HUP', 'PgBouncer re-reads its file; max_client_conn applies at once', 'nothing: connected clients stay');
    const named = argv.slice(1).find((a) => !a.startsWith('-'));
    const file = named ? hostJoin(c.cwd, named) : null;
    const entries: IniEntry[] = [];
    if (file === null || !readIni(c.reader, file, 0, entries)) {
      return { caps: [], unknown: `PgBouncer: ${file === null ? 'its command line names no configuration file' : `its configuration ${file} could not be read${c.reader.problems.length ? ` (${c.reader.problems[0]})` : ''}`}, so its max_client_conn is unknown`, reload, notes: [] };
    }
    const hit = lastEntry(entries, 'max_client_conn', ['pgbouncer']);
    if (hit && intValue(hit.value) === null) return { caps: [], unknown: `PgBouncer: max_client_conn at ${hit.file}:${hit.line} is not a number sockdoc can read, so its cap is unknown`, reload, notes: [] };
    const value = hit ? (intValue(hit.value) as number) : DEFAULT_MAX_CLIENT_CONN;
    const soft = c.main.soft;
    return {
      caps: [
        {
          directive: 'max_client_conn',
          value,
          scope: 'instance',
          counts: 'accepted',
          origin: hit ? 'config' : 'default',
          ...(hit ? { file: hit.file, line: hit.line } : { file }),
          ports: [...new Set(c.listeners.map((l) => l.port))],
          atCap: 'refuse',
          atCapText: 'PgBouncer answers "no more connections allowed (max_client_conn)"',
          where: 'the [pgbouncer] section',
          // Server connections need descriptors too: leave room for a pool beside the clients.
          fdCeiling: soft !== null ? Math.max(0, soft - 100) : null,
          setLine: 'max_client_conn = {}',
        },
      ],
      reload,
      notes: [],
    };
  },
};

/**
 * memcached takes at most `-c N` / `--conn-limit=N` connections (default 1024; memcached.c). Past
 * it, with maxconns_fast (on by default since 1.5), it accepts, writes "ERROR Too many open
 * connections" and closes; older versions stop accepting. It needs a descriptor per connection and
 * refuses to start when its fd limit cannot hold them ("failed to set rlimit for open files").
 * Options are its command line; Debian's unit builds it from /etc/memcached.conf (one option per
 * line), so the fix names that file when it exists. A change needs a restart.
 */
import { argValue, intValue, restartReload } from './common.js';
import { lineWords } from './syntax/line-words.js';
import type { Program } from './types.js';

const DEFAULT_CONN_LIMIT = 1024;
const DEBIAN_CONF = '/etc/memcached.conf';

export const memcached: Program = {
  id: 'memcached',
  label: 'memcached',
  recognisedBy: 'comm "memcached"; its options are its command line',
  capLives: '`-c N` / `--conn-limit=N` on its command line (Debian: a `-c N` line of /etc/memcached.conf, which its unit turns into options)',
  defaults: '-c 1024 (all versions)',
  fromFdLimit: 'not derived: it refuses to start when its fd limit is below the connection limit',
  atCapDoc: 'accepts, answers "ERROR Too many open connections" and closes (maxconns_fast, the default since 1.5; older versions stop accepting)',
  reloadDoc: 'a restart with the new option',
  role(p) {
    return p.name === 'memcached' ? 'main' : null;
  },
  read(c) {
    const reload = restartReload(c.unit, 'memcached', 'memcached, and every cached item is lost (it keeps them in memory only)');
    // Without -S (SASL) memcached has no authentication at all (protocol.txt): anyone who reaches it reads and writes every item.
    const sasl = c.argv.some((w) => w === '-S' || w === '--enable-sasl');
    const open = sasl ? {} : { unauthenticated: 'memcached without SASL (-S) has no authentication: anyone who reaches its port reads, changes and flushes every item' };
    const v = argValue(c.argv, ['-c', '--conn-limit'], true);
    const value = v === null ? DEFAULT_CONN_LIMIT : intValue(v);
    if (value === null) return { caps: [], unknown: 'memcached: -c on its command line is not a number sockdoc can read, so its cap is unknown', reload, notes: [], ...open };
    // Debian's wrapper reads /etc/memcached.conf: name the line to edit when the file holds it.
    const conf = c.reader.read(DEBIAN_CONF);
    const line = conf.text !== null ? lineWords(conf.text).find((l) => l.words[0] === '-c' || l.words[0].startsWith('--conn-limit')) : undefined;
    return {
      caps: [
        {
          directive: '-c',
          value,
          scope: 'instance',
          counts: 'accepted',
          origin: v === null ? 'default' : 'flag',
          ...(line ? { file: DEBIAN_CONF, line: line.line } : {}),
          ports: [...new Set(c.listeners.map((l) => l.port))],
          atCap: 'refuse',
          atCapText: 'memcached answers "ERROR Too many open connections" and closes',
          where: line ? DEBIAN_CONF : 'its command line',
          fdCeiling: c.main.hard !== null ? Math.max(0, c.main.hard - 20) : null,
          setLine: '-c {}',
        },
      ],
      reload,
      notes: [],
      ...open,
    };
  },
};

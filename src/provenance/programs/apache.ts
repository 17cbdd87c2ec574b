/**
 * Apache httpd serves at most `MaxRequestWorkers` requests at once (MaxClients before 2.3.13): with
 * the prefork MPM each child serves one connection; with worker and event each thread one. When all
 * are busy the listener is not accepted from ("server reached MaxRequestWorkers setting, consider
 * raising the MaxRequestWorkers setting" in the error log): new connections wait in the listen
 * queue (ListenBacklog, 511). Defaults (docs: mpm_common): prefork 256 (ServerLimit); worker/event
 * ServerLimit 16 × ThreadsPerChild 25 = 400. The event MPM also keeps idle keep-alive connections
 * without a worker (up to AsyncRequestWorkerFactor, 2, per idle worker), so there the count of
 * connections only approximates the point where it stops accepting.
 *
 * Configuration: `-f FILE` and `-d ServerRoot` of its command line, else the packaged layout
 * (Debian apache2: /etc/apache2/apache2.conf; Red Hat httpd: /etc/httpd/conf/httpd.conf);
 * `Include`/`IncludeOptional` globs relative to ServerRoot; `<IfModule mpm_x_module>` sections
 * apply to the MPM its LoadModule lines load. A graceful restart (SIGUSR1, `apachectl -k graceful`,
 * `systemctl reload apache2`) applies a new value; raising ServerLimit needs a full restart.
 */
import { dirname, hostJoin, type ConfigReader } from './config-reader.js';
import { intValue, signalReload } from './common.js';
import { lineWords, type WordLine } from './syntax/line-words.js';
import type { Program } from './types.js';

type Mpm = 'prefork' | 'worker' | 'event';

interface ApacheLine extends WordLine {
  file: string;
  /** Enclosing <IfModule> conditions, innermost last ("mpm_event_module", "!ssl_module"). */
  ifModules: string[];
}

const MAX_DEPTH = 8;

/** Directives of a file and everything it includes, in order, each with its <IfModule> conditions. */
function readApache(reader: ConfigReader, file: string, serverRoot: string, depth: number, ifs: string[], out: ApacheLine[]): boolean {
  const r = reader.read(file);
  if (r.text === null) return false;
  // Continuation lines (a trailing backslash) are joined first: Apache's own rule.
  const text = r.text.split('\\\n').join(' ');
  const stack = [...ifs];
  for (const l of lineWords(text)) {
    const kw = l.words[0];
    if (kw.startsWith('</')) {
      if (kw.toLowerCase() === '</ifmodule>' && stack.length > ifs.length) stack.pop();
      continue;
    }
    if (kw.startsWith('<')) {
      if (kw.toLowerCase() === '<ifmodule') stack.push((l.words[1] ?? '').replace('>', ''));
      continue;
    }
    const name = kw.toLowerCase();
    if ((name === 'include' || name === 'includeoptional') && l.words[1] && depth < MAX_DEPTH) {
      for (const f of reader.glob(l.words[1], serverRoot)) readApache(reader, f, serverRoot, depth + 1, stack, out);
      continue;
    }
    out.push({ ...l, file, ifModules: [...stack] });
  }
  return true;
}

/** The MPM its LoadModule lines load ("LoadModule mpm_event_module ..."); prefork when built in and none is loaded. */
function loadedMpm(lines: readonly ApacheLine[]): Mpm | null {
  let mpm: Mpm | null = null;
  for (const l of lines) {
    if (l.words[0].toLowerCase() !== 'loadmodule') continue;
    const m = l.words[1] ?? '';
    if (m === 'mpm_event_module') mpm = 'event';
    else if (m === 'mpm_worker_module') mpm = 'worker';
    else if (m === 'mpm_prefork_module') mpm = 'prefork';
  }
  return mpm;
}

/** Does an <IfModule> condition hold for this MPM? Only the MPM modules are judged; others are assumed loaded. */
function holds(cond: string, mpm: Mpm): boolean {
  const neg = cond.startsWith('!');
  const name = neg ? cond.slice(1) : cond;
  const m = name.match(/^mpm_(event|worker|prefork)(_module|\.c)$/);
  const on = m ? m[1] === mpm : true;
  return neg ? !on : on;
}

export const apache: Program = {
  id: 'apache',
  label: 'Apache httpd',
  recognisedBy: 'comm "apache2" (Debian) or "httpd" (Red Hat, upstream): the parent and its children',
  capLives: '`MaxRequestWorkers` (MaxClients before 2.3.13), with ServerLimit/ThreadsPerChild, in the MPM\'s section (Debian: mods-enabled/mpm_*.conf) of apache2.conf/httpd.conf and its Include files',
  defaults: 'prefork: 256; worker and event: ServerLimit 16 × ThreadsPerChild 25 = 400 (2.4)',
  fromFdLimit: 'not derived',
  atCapDoc: 'stops accepting: connections wait in the listen queue (ListenBacklog 511), "server reached MaxRequestWorkers setting"; the event MPM also holds idle keep-alive connections without a worker',
  reloadDoc: '`systemctl reload apache2` or `kill -USR1 PARENT` (graceful restart); raising ServerLimit needs a full restart',
  role(p) {
    if (p.name !== 'apache2' && p.name !== 'httpd') return null;
    return 'main';
  },
  read(c) {
    const argv = c.argv.length > 1 ? c.argv : (c.launch?.argv ?? c.argv);
    const reload = signalReload(c.unit, c.main.pid, 'USR1', 'a graceful restart: children finish their requests, new ones get the value', 'nothing: running requests finish first');
    const debian = c.main.name === 'apache2';
    const fIdx = argv.indexOf('-f');
    const dIdx = argv.indexOf('-d');
    const serverRoot = dIdx >= 0 && argv[dIdx + 1] ? hostJoin(c.cwd, argv[dIdx + 1]) : debian ? '/etc/apache2' : '/etc/httpd';
    const file = fIdx >= 0 && argv[fIdx + 1] ? hostJoin(serverRoot, argv[fIdx + 1]) : debian ? '/etc/apache2/apache2.conf' : '/etc/httpd/conf/httpd.conf';
    const lines: ApacheLine[] = [];
    if (!readApache(c.reader, file, serverRoot, 0, [], lines)) {
      return { caps: [], unknown: `Apache httpd: its configuration ${file} could not be read${c.reader.problems.length ? ` (${c.reader.problems[0]})` : ''}, so its MaxRequestWorkers is unknown`, reload, notes: [] };
    }
    const mpm = loadedMpm(lines) ?? 'prefork';
    const applying = lines.filter((l) => l.ifModules.every((m) => holds(m, mpm)));
    const last = (...names: string[]) => {
      let hit: ApacheLine | undefined;
      for (const l of applying) if (names.includes(l.words[0].toLowerCase())) hit = l;
      return hit;
    };
    const num = (l: ApacheLine | undefined) => (l ? intValue(l.words[1]) : null);
    const set = last('maxrequestworkers', 'maxclients');
    const serverLimit = num(last('serverlimit'));
    const threads = num(last('threadsperchild')) ?? 25;
    const dflt = mpm === 'prefork' ? (serverLimit ?? 256) : (serverLimit ?? 16) * threads;
    if (set && num(set) === null) return { caps: [], unknown: `Apache httpd: MaxRequestWorkers at ${set.file}:${set.line} is not a number sockdoc can read, so its cap is unknown`, reload, notes: [] };
    // ServerLimit (× ThreadsPerChild) caps MaxRequestWorkers too: httpd lowers it at start with a warning.
    const ceiling = mpm === 'prefork' ? (serverLimit ?? 256) : (serverLimit ?? 16) * threads;
    const value = Math.min(set ? (num(set) as number) : dflt, ceiling);
    const factor = num(last('asyncrequestworkerfactor')) ?? 2;
    const notes = mpm === 'event' ? [`Apache httpd (pid ${c.main.pid}) runs the event MPM: idle keep-alive connections do not take a worker (up to AsyncRequestWorkerFactor ${factor} per idle worker), so more connections than MaxRequestWorkers ${value} can be open before it stops accepting; the count is judged against ${value} × ${1 + factor}.`] : [];
    return {
      caps: [
        {
          directive: 'MaxRequestWorkers',
          value: mpm === 'event' ? value * (1 + factor) : value,
          scope: 'instance',
          counts: 'accepted',
          origin: set ? 'config' : 'default',
          ...(set ? { file: set.file, line: set.line } : { file }),
          ...(mpm === 'event' ? { approximate: true, multiplier: 1 + factor } : {}),
          ports: [...new Set(c.listeners.map((l) => l.port))],
          atCap: 'queue',
          atCapText: 'Apache stops accepting: connections wait in the listen queue ("server reached MaxRequestWorkers setting")',
          where: `the ${mpm} MPM's settings${set ? '' : ` (Debian: ${dirname(file)}/mods-enabled/mpm_${mpm}.conf)`}; ServerLimit${mpm === 'prefork' ? '' : ' × ThreadsPerChild'} must allow it (raising ServerLimit takes a full restart)`,
          setLine: 'MaxRequestWorkers {}',
        },
      ],
      reload,
      notes,
    };
  },
};

/**
 * The Python application servers, gunicorn and uvicorn: both are started with their settings on the
 * command line (or, for gunicorn, in a gunicorn.conf.py), so their caps come from argv.
 *
 * gunicorn (gunicorn/config.py, workers/*.py): a `sync` worker (the default) serves one connection
 * at a time, so the instance takes `workers` connections and the rest wait in the listen queue
 * (`backlog`, default 2048); a `gthread` worker (any --threads > 1) stops accepting at
 * `worker_connections` (default 1000; workers/gthread.py `can_accept`), gevent/eventlet pool at it:
 * workers × worker_connections. SIGHUP makes the master re-read its configuration and replace the
 * workers gracefully.
 *
 * uvicorn (uvicorn/protocols/http/*): `--limit-concurrency N` (no limit by default) answers "503
 * Service Unavailable" once N connections or tasks are open, per worker process.
 */
import { hostJoin } from './config-reader.js';
import { argValue, base, intValue, restartReload, signalReload } from './common.js';
import { lineWords } from './syntax/line-words.js';
import { unquote } from './syntax/ini.js';
import type { CapReading, Program, ProgramCase, ProgramProcess } from './types.js';

/** Is `p` running the console script or module `name` ("gunicorn", "python3 -m uvicorn", "/venv/bin/uvicorn")? */
function runs(p: ProgramProcess, name: string): boolean {
  if (p.name === name) return true;
  if (!p.name.startsWith('python')) return false;
  const w = p.cmdline.split(' ');
  const i = w.findIndex((x, j) => j > 0 && !x.startsWith('-'));
  if (w.includes('-m')) return w[w.indexOf('-m') + 1] === name;
  return i > 0 && base(w[i]) === name;
}

/** gunicorn's title when setproctitle is installed: "gunicorn: master [app]", "gunicorn: worker [app]". */
const gunicornWorker = (p: ProgramProcess) => p.cmdline.startsWith('gunicorn: worker');

/** `NAME = <integer or 'string'>` assignments of a gunicorn.conf.py (only literals: anything computed is unknown). */
function pythonSettings(text: string): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  for (const l of lineWords(text)) {
    if (l.indented || l.words.length !== 3 || l.words[1] !== '=') continue;
    out.set(l.words[0], { value: l.words[2], line: l.line });
  }
  return out;
}

function gunicornRead(c: ProgramCase): CapReading {
  const argv = c.argv.length > 1 && !c.main.cmdline.startsWith('gunicorn: ') ? c.argv : (c.launch?.argv ?? c.argv);
  const reload = signalReload(c.unit, c.main.pid, 'HUP', 'the master re-reads its settings and replaces the workers', 'nothing: workers finish their requests first');
  const cfgArg = argValue(argv, ['-c', '--config']);
  const cfgFile = cfgArg && !cfgArg.startsWith('python:') ? hostJoin(c.cwd, cfgArg) : hostJoin(c.cwd, 'gunicorn.conf.py');
  const conf = c.reader.read(cfgFile);
  const file = conf.text !== null ? pythonSettings(conf.text) : new Map<string, { value: string; line: number }>();
  const setting = (flags: string[], key: string): { value: string; from: string; line?: number } | null => {
    const a = argValue(argv, flags, true);
    if (a !== null) return { value: a, from: 'flag' };
    const f = file.get(key);
    return f ? { value: unquote(f.value), from: 'config', line: f.line } : null;
  };
  const klass = setting(['-k', '--worker-class'], 'worker_class')?.value ?? 'sync';
  const threads = intValue(setting(['--threads'], 'threads')?.value) ?? 1;
  const kind = klass.includes('gthread') || (klass === 'sync' && threads > 1) ? 'gthread' : klass.includes('gevent') || klass.includes('eventlet') || klass.includes('tornado') ? 'async' : klass.includes('uvicorn') ? 'asgi' : 'sync';
  const workersSeen = c.workers.filter((w) => gunicornWorker(w) || w.ppid === c.main.pid).length;
  const ws = setting(['-w', '--workers'], 'workers');
  const workers = intValue(ws?.value) ?? (workersSeen || null);
  const notes: string[] = [];
  if (ws && intValue(ws.value) === null) notes.push(`gunicorn: workers is computed in ${cfgFile} (not a literal); ${workersSeen} worker processes were seen and counted.`);
  if (workers === null) return { caps: [], unknown: 'gunicorn: how many workers it runs is unknown (no -w, no literal in its configuration, none seen)', reload, notes };
  const common = { scope: 'instance' as const, counts: 'accepted' as const, ports: [...new Set(c.listeners.map((l) => l.port))], atCap: 'queue' as const, where: cfgArg || conf.text !== null ? `${cfgFile} or its command line` : 'its command line' };
  if (kind === 'asgi') return { caps: [], reload, notes: [...notes, 'gunicorn runs uvicorn workers: they set no connection cap of their own.'] };
  if (kind === 'sync') {
    return {
      caps: [{ ...common, directive: 'workers', value: workers, origin: ws ? (ws.from === 'flag' ? 'flag' : 'config') : 'default', ...(ws?.line ? { file: cfgFile, line: ws.line } : {}), atCapText: 'each sync worker serves one connection at a time: the next clients wait in the listen queue (--backlog)', setLine: 'workers = {}' }],
      reload,
      notes,
    };
  }
  const wc = setting(['--worker-connections'], 'worker_connections');
  const per = intValue(wc?.value) ?? 1000;
  return {
    caps: [{ ...common, directive: 'worker_connections', value: per * workers, origin: wc ? (wc.from === 'flag' ? 'flag' : 'config') : 'default', ...(wc?.line ? { file: cfgFile, line: wc.line } : {}), atCapText: `a ${kind === 'gthread' ? 'gthread' : klass} worker stops accepting at worker_connections ${per} (× ${workers} workers): the next clients wait in the listen queue`, multiplier: workers, setLine: 'worker_connections = {}' }],
    reload,
    notes,
  };
}

export const gunicorn: Program = {
  id: 'gunicorn',
  label: 'gunicorn',
  recognisedBy: 'comm "gunicorn" or a Python running the gunicorn script / -m gunicorn (titles "gunicorn: master|worker [app]" with setproctitle); workers are the master\'s children',
  capLives: 'command line (-w/--workers, -k, --threads, --worker-connections) over gunicorn.conf.py (-c FILE, default ./gunicorn.conf.py; literals only)',
  defaults: 'workers 1, worker_class sync (gthread when threads > 1), worker_connections 1000, backlog 2048',
  fromFdLimit: 'not derived',
  atCapDoc: 'sync: all workers busy, the next clients wait in the listen queue; gthread/gevent: a worker stops accepting at worker_connections',
  reloadDoc: '`kill -HUP MASTER` (or systemctl reload): new workers with the new settings',
  role(p) {
    if (!runs(p, 'gunicorn') && !p.cmdline.startsWith('gunicorn: ')) return null;
    return gunicornWorker(p) ? 'worker' : 'main';
  },
  read: gunicornRead,
};

export const uvicorn: Program = {
  id: 'uvicorn',
  label: 'uvicorn',
  recognisedBy: 'comm "uvicorn" or a Python running the uvicorn script / -m uvicorn; --workers children (multiprocessing) belong to it',
  capLives: '`--limit-concurrency N` on its command line (or UVICORN_LIMIT_CONCURRENCY, not read); per worker process',
  defaults: 'no limit_concurrency (no cap); backlog 2048',
  fromFdLimit: 'not derived',
  atCapDoc: 'accepts and answers "503 Service Unavailable" once N connections or tasks are open',
  reloadDoc: 'a restart with the new option',
  role(p) {
    return runs(p, 'uvicorn') ? 'main' : null;
  },
  read(c) {
    const argv = c.argv.length > 1 ? c.argv : (c.launch?.argv ?? c.argv);
    const reload = restartReload(c.unit, 'uvicorn', 'the application while it restarts');
    const v = argValue(argv, ['--limit-concurrency']);
    if (v === null) return { caps: [], reload, notes: [] };
    const n = intValue(v);
    if (n === null) return { caps: [], unknown: 'uvicorn: --limit-concurrency is not a number sockdoc can read, so its cap is unknown', reload, notes: [] };
    const workers = intValue(argValue(argv, ['--workers']) ?? undefined) ?? 1;
    return {
      caps: [
        {
          directive: 'limit_concurrency',
          value: n * workers,
          scope: 'instance',
          counts: 'accepted',
          origin: 'flag',
          ports: [...new Set(c.listeners.map((l) => l.port))],
          atCap: 'refuse',
          atCapText: `uvicorn answers "503 Service Unavailable" (limit_concurrency ${n}${workers > 1 ? ` per worker, × ${workers} workers` : ''})`,
          where: 'its command line',
          multiplier: workers,
          setLine: '--limit-concurrency {}',
        },
      ],
      reload,
      notes: [],
    };
  },
};

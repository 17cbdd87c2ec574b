/**
 * HAProxy stops accepting at `maxconn` (doc/configuration.txt): the global one per process (also
 * `-n N` on the command line), a frontend's or listen section's (default: the defaults section's,
 * else the global value), and a bind line's `maxconn`. At the cap "excess connections will be
 * queued by the system in the socket's listen queue": the listen() backlog of a frontend defaults
 * to its maxconn, so the queue fills soon after. Without a global maxconn, HAProxy ≥ 2.0 derives
 * one from its fd limit at start (haproxy.c compute_ideal_maxconn: about two descriptors per
 * connection, after its listeners and internal fds) and then sets its own RLIMIT_NOFILE to what that
 * needs: the value is about half its current soft limit.
 *
 * Configuration: every `-f FILE|DIR` of its command line (a directory: its *.cfg files in order);
 * a master-worker (-W/-Ws) reloads on SIGUSR2, `systemctl reload haproxy` does it through the unit.
 */
import { hostJoin } from './config-reader.js';
import { intValue, signalReload } from './common.js';
import { lineWords, type WordLine } from './syntax/line-words.js';
import type { CapSpec, Program, ProgramCase, Upstream } from './types.js';

const SECTIONS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'mailers', 'program', 'http-errors', 'ring', 'cache', 'fcgi-app', 'crt-store', 'traces', 'log-forward']);

/** Fixed descriptors HAProxy 2.6 kept beside 2 per connection, measured (maxconn 498 at 1024, 2034 at 4096, 9986 at 20000 with two listeners). */
const DERIVED_OVERHEAD = 24;

/** One section with its lines. */
export interface HaproxySection {
  kind: string;
  name: string;
  file: string;
  line: number;
  lines: WordLine[];
}

/** Sections of every file, in order. */
export function haproxySections(files: ReadonlyArray<{ path: string; text: string }>): HaproxySection[] {
  const out: HaproxySection[] = [];
  for (const f of files) {
    let cur: HaproxySection | null = null;
    for (const l of lineWords(f.text)) {
      const kw = l.words[0];
      if (!l.indented && SECTIONS.has(kw)) {
        cur = { kind: kw, name: l.words[1] ?? '', file: f.path, line: l.line, lines: [] };
        out.push(cur);
        continue;
      }
      cur?.lines.push(l);
    }
  }
  return out;
}

/** Ports of a bind line's address list ("*:80", ":8080-8082", "[::]:443", "ipv4@0.0.0.0:80,:81"); unix sockets have none. */
export function bindPorts(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const at = part.indexOf('@');
    const addr = at >= 0 ? part.slice(at + 1) : part;
    const scheme = at >= 0 ? part.slice(0, at) : '';
    if (scheme === 'unix' || scheme === 'abns' || scheme === 'fd' || scheme === 'sockpair' || addr.startsWith('/')) continue;
    const colon = addr.lastIndexOf(':');
    const range = colon >= 0 ? addr.slice(colon + 1) : addr;
    const dash = range.indexOf('-');
    const lo = intValue(dash >= 0 ? range.slice(0, dash) : range);
    const hi = dash >= 0 ? intValue(range.slice(dash + 1)) : lo;
    if (lo === null || hi === null || lo < 1 || hi > 65535 || hi < lo) continue;
    for (let p = lo; p <= hi && out.length < 1024; p++) out.push(p);
  }
  return out;
}

/** The value of a keyword in a section (the last one), with its line. */
function keyword(s: HaproxySection | undefined, kw: string): { value: number | null; line: number; file: string } | null {
  let hit: { value: number | null; line: number; file: string } | null = null;
  for (const l of s?.lines ?? []) if (l.words[0] === kw) hit = { value: intValue(l.words[1]), line: l.line, file: s!.file };
  return hit;
}

/** Config files the command line names: every -f, a directory read as its *.cfg files in lexical order. */
function configFiles(c: ProgramCase): string[] {
  const argv = c.argv.length > 1 ? c.argv : (c.launch?.argv ?? c.argv);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let v: string | null = null;
    if (argv[i] === '-f' && i + 1 < argv.length) v = argv[++i];
    else if (argv[i].startsWith('-f') && argv[i].length > 2) v = argv[i].slice(2);
    if (v === null) continue;
    const path = hostJoin(c.cwd, v);
    const inDir = c.reader.glob('*.cfg', path);
    out.push(...(inDir.length ? inDir : [path]));
  }
  return out;
}

export const haproxy: Program = {
  id: 'haproxy',
  label: 'HAProxy',
  recognisedBy: 'comm "haproxy" (a master-worker\'s master and its worker; the worker holds the listeners)',
  capLives: '`maxconn N` in the global section (or `-n N`), in a frontend/listen section (default: the defaults section\'s, else global), and `maxconn` on a bind line; files from every -f FILE|DIR',
  defaults: 'global maxconn: derived from the fd limit since 2.0 (DEFAULT_MAXCONN, 2000 in most builds, before); frontend maxconn: the global value (2000 before 1.8)',
  fromFdLimit: 'without a global maxconn: about (fd limit − its listeners and internal fds) / 2, computed at start; HAProxy then sets its own fd limit to what that needs',
  atCapDoc: 'stops accepting: connections wait in the listen queue (a frontend\'s backlog defaults to its maxconn), then handshakes are dropped',
  reloadDoc: '`systemctl reload haproxy`, or `kill -USR2 MASTER` (master-worker): new workers take the listeners, old ones finish their connections',
  role(p) {
    if (p.name !== 'haproxy') return null;
    return 'main';
  },
  read(c) {
    const reload = c.unit || c.argv.some((a) => a === '-W' || a === '-Ws' || a === '-Wx')
      ? signalReload(c.unit, c.main.pid, 'USR2', 'the master starts new workers with it; old ones finish their connections', 'nothing: existing connections stay with the old workers until they end')
      : { lines: [`# start a new haproxy with the same -f files and -sf ${c.main.pid}: it takes the listeners, the old one finishes its connections`], blastRadius: 'nothing when done with -sf', restart: false };
    const files = configFiles(c);
    const texts: Array<{ path: string; text: string }> = [];
    for (const f of files) {
      const r = c.reader.read(f);
      if (r.text !== null) texts.push({ path: f, text: r.text });
    }
    if (!files.length || !texts.length) {
      const why = !files.length ? 'its command line names no -f configuration' : `its configuration (${files.join(', ')}) could not be read${c.reader.problems.length ? ` (${c.reader.problems[0]})` : ''}`;
      return { caps: [], unknown: `HAProxy: ${why}, so its maxconn is unknown`, reload, notes: [] };
    }
    const sections = haproxySections(texts);
    const global = sections.filter((s) => s.kind === 'global');
    const notes: string[] = [];
    const flag = c.argv.indexOf('-n');
    const flagValue = flag >= 0 ? intValue(c.argv[flag + 1]) : null;
    let globalCap: CapSpec;
    const g = global.map((s) => keyword(s, 'maxconn')).filter((k) => k !== null).pop();
    const allPorts = [...new Set(c.listeners.map((l) => l.port))].sort((a, b) => a - b);
    const common = { scope: 'instance' as const, counts: 'accepted' as const, ports: allPorts, atCap: 'queue' as const, atCapText: 'HAProxy stops accepting: new connections wait in the listen queue, then handshakes are dropped', setLine: 'maxconn {}' };
    const holder = [c.main, ...c.workers].find((p) => p.soft !== null);
    const soft = holder?.soft ?? null;
    if (flagValue !== null) {
      globalCap = { ...common, directive: 'maxconn', value: flagValue, origin: 'flag', where: 'the -n option of its command line (it overrides the global section)' };
    } else if (g && g.value !== null) {
      globalCap = { ...common, directive: 'maxconn', value: g.value, origin: 'config', file: g.file, line: g.line, where: 'the global section', fdCeiling: soft };
    } else if (g) {
      return { caps: [], unknown: `HAProxy: maxconn at ${g.file}:${g.line} is not a number sockdoc can read (an environment variable?), so its cap is unknown`, reload, notes };
    } else if (soft !== null) {
      const binds = sections.filter((s) => s.kind === 'frontend' || s.kind === 'listen').reduce((n, s) => n + s.lines.filter((l) => l.words[0] === 'bind').length, 0);
      const value = Math.max(1, Math.floor((soft - DERIVED_OVERHEAD - 2 * binds) / 2));
      globalCap = {
        ...common,
        directive: 'maxconn',
        value,
        origin: 'fd-limit',
        approximate: true,
        file: global[0]?.file ?? texts[0].path,
        ...(global[0] ? { line: global[0].line } : {}),
        fromFdLimit: { soft, how: `no maxconn is set, so HAProxy derived it at start from its fd limit: about (${soft} − its listeners and internal descriptors) / 2, two descriptors per proxied connection` },
        where: 'the global section',
      };
    } else {
      return { caps: [], unknown: 'HAProxy: no maxconn is set and its fd limit could not be read, so the maxconn it derived is unknown', reload, notes };
    }
    const caps: CapSpec[] = [globalCap];
    const dflt = sections.filter((s) => s.kind === 'defaults').map((s) => keyword(s, 'maxconn')).filter((k) => k !== null).pop();
    for (const s of sections) {
      if (s.kind !== 'frontend' && s.kind !== 'listen') continue;
      const binds = s.lines.filter((l) => l.words[0] === 'bind');
      const ports = [...new Set(binds.flatMap((b) => bindPorts(b.words[1] ?? '')))].sort((a, b) => a - b);
      const own = keyword(s, 'maxconn');
      const fe = own ?? dflt;
      const where = `the ${s.kind} ${s.name} section`;
      if (fe && fe.value !== null && fe.value > 0 && fe.value < globalCap.value) {
        caps.push({ ...common, scope: 'listener', ports, directive: 'maxconn', value: fe.value, origin: 'config', file: fe.file, line: fe.line, where: own ? where : `the defaults section (it applies to ${s.kind} ${s.name})` });
      }
      for (const b of binds) {
        const i = b.words.indexOf('maxconn');
        const v = i > 0 ? intValue(b.words[i + 1]) : null;
        if (v !== null && v > 0) caps.push({ ...common, scope: 'listener', ports: bindPorts(b.words[1] ?? ''), directive: 'maxconn', value: v, origin: 'config', file: s.file, line: b.line, where: `a bind line of ${s.kind} ${s.name}`, setLine: 'bind ... maxconn {}' });
      }
    }
    const upstreams: Upstream[] = [];
    const backends = new Map(sections.filter((x) => x.kind === 'backend').map((x) => [x.name, x]));
    const serversOf = (sec: HaproxySection, listenPorts: number[]) => {
      for (const l of sec.lines) {
        if (l.words[0] !== 'server' || !l.words[2]) continue;
        const a = l.words[2];
        const colon = a.lastIndexOf(':');
        const port = intValue(colon >= 0 ? a.slice(colon + 1) : undefined);
        const host = colon >= 0 ? a.slice(0, colon).replace(/^ipv[46]@/, '') : a;
        if (port !== null && host && (host === 'localhost' || /^[0-9.:[\]a-f]+$/i.test(host))) upstreams.push({ listenPorts, address: host === 'localhost' ? '127.0.0.1' : host.replace('[', '').replace(']', ''), port, directive: `server ${l.words[1]} of ${sec.kind} ${sec.name}`, file: sec.file, line: l.line });
      }
    };
    for (const sec of sections) {
      if (sec.kind !== 'frontend' && sec.kind !== 'listen') continue;
      const ports = [...new Set(sec.lines.filter((l) => l.words[0] === 'bind').flatMap((b) => bindPorts(b.words[1] ?? '')))];
      if (sec.kind === 'listen') serversOf(sec, ports);
      for (const l of sec.lines) {
        const name = l.words[0] === 'default_backend' ? l.words[1] : l.words[0] === 'use_backend' ? l.words[1] : undefined;
        const b = name ? backends.get(name) : undefined;
        if (b) serversOf(b, ports);
      }
    }
    if (!c.listeners.length) notes.push(`HAProxy (pid ${c.main.pid}) holds no TCP listener sockdoc saw.`);
    return { caps, reload, notes, ...(upstreams.length ? { upstreams } : {}) };
  },
};

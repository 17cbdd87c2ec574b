/**
 * nginx: the master (root) forks workers; each worker sets soft = hard = worker_rlimit_nofile
 * before it drops root (src/os/unix/ngx_process_cycle.c ngx_worker_process_init), so it may go
 * above the master's hard limit: the master's CAP_SYS_RESOURCE allows it, fs.nr_open caps it.
 * `nginx -s reload` starts new workers with the new value; old ones finish their connections.
 */
import { setInFile } from '../config-edit.js';
import { ownerIdentity } from '../../probe/pid-status.js';
import type { ProcNode } from '../chain.js';
import { readOptional } from '../config-files.js';
import { memoRead, nrOpen } from '../context.js';
import { canRaiseHard } from '../host-facts.js';
import type { FixStep } from '../fix.js';
import { shellCommand, shellQuote } from '../../safety/shell-quote.js';
import { accountOf, accountText, ownerOf, refusedLines, runAs, untrustedClosure } from '../fix-runner.js';
import { ConfigReader } from '../programs/config-reader.js';
import { dirname } from 'node:path';
import { directivesIn, parseNginxConfig, type NginxDirective } from '../programs/syntax/nginx-conf.js';
import { limitOf, who } from './common.js';
import type { Launcher, LauncherCase } from './types.js';

/** `worker_rlimit_nofile N;` in the main context of the configuration the master was started with. */
export function nginxSetting(c: LauncherCase, master: ProcNode): { file: string; line: number; value: number } | null {
  const joined = master.argv.join(' ');
  // The master's title is "nginx: master process /usr/sbin/nginx -c FILE ..." (argv rewritten by ngx_setproctitle).
  const m = /(?:^|\s)-c\s+(\S+)/.exec(joined);
  const file = m ? m[1] : '/etc/nginx/nginx.conf';
  const r = memoRead(c.ctx, `nginx:${file}`, () => readOptional(c.root, file, ownerIdentity(c.root, master.pid)));
  if (!r.ok || !r.value) return null;
  const lines = r.value.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const w = /^\s*worker_rlimit_nofile\s+(\d+)\s*;/.exec(lines[i]);
    if (w) return { file, line: i + 1, value: Number(w[1]) };
  }
  return null;
}

/** The nginx binary of a master, from its title "nginx: master process /usr/sbin/nginx -c …"; null when the title does not carry a path. */
function masterBinary(master: ProcNode): string | null {
  const m = /master process (\S+)/.exec(master.argv.join(' '));
  return m && m[1].startsWith('/') ? m[1] : null;
}

/**
 * What a reload makes the master read as its owner: the main file, every file an `include` brings
 * in (globs expanded, nested), every directory those globs listed (a new file there is read at the
 * next reload), the paths of `load_module` (loaded into the root master), the directories of the
 * logs and pid file it opens for writing, and the binary `nginx -t` runs. Read through the programs' bounded ConfigReader (files, bytes, depth, glob budget).
 */
export function nginxClosure(root: string, conf: string, bin: string | null): string[] {
  const reader = new ConfigReader(root);
  const parsed = parseNginxConfig(reader, conf);
  const modules = directivesIn(parsed.directives, 'load_module').map((d) => d.args[0] ?? '');
  return [...(bin ? [bin] : []), conf, ...reader.files, ...reader.listed, ...modules.filter((m) => m.startsWith('/')), ...writtenDirs(parsed.directives)];
}

/** Directives whose file the master opens for writing as root on a reload (ngx_reopen_files, ngx_create_pidfile). */
const WRITTEN = new Set(['error_log', 'access_log', 'pid']);

/**
 * The directories of the files a reload makes the root master open for writing, in every block: a
 * directory someone else can write lets them put a link there that root then writes through (the
 * files themselves may be the workers' user's, as Debian's logs are: the directory decides).
 */
function writtenDirs(list: readonly NginxDirective[], depth = 0): string[] {
  const out: string[] = [];
  for (const d of list) {
    const path = d.args[0] ?? '';
    if (WRITTEN.has(d.name) && path.startsWith('/')) out.push(dirname(path));
    if (d.block && depth < 16) out.push(...writtenDirs(d.block, depth + 1));
  }
  return out;
}

/**
 * The reload: SIGHUP to this master (what `nginx -s reload` sends, but to the right process: -s
 * reads a pid file that another nginx may own), after `nginx -t` with the master's own binary and
 * configuration, as the master's owner. nginx re-reads its whole configuration as root on a reload
 * (load_module, ssl_engine, error_log and pid paths act as root), and `nginx -t` loads its modules:
 * when anything of that closure is someone else's to change, neither line is offered (refusedLines).
 */
function reloadStep(c: LauncherCase, master: ProcNode, conf: string): FixStep {
  const { ctx, root } = c;
  const owner = ownerOf(ctx, root, master) ?? accountOf(ctx, root, 0);
  const bin = masterBinary(master);
  const closure = memoRead(ctx, `nginx-closure:${bin}:${conf}`, () => nginxClosure(root, conf, bin));
  const bad = closure.ok ? untrustedClosure(ctx, root, closure.value, owner.uid) : { path: conf, uid: -1, why: `not checkable (${closure.error})` };
  const hup = shellCommand(['kill', '-HUP', String(master.pid)]);
  const line = `${runAs(ctx, root, owner, [bin ?? 'nginx', '-t', '-c', conf])} && ${hup}`;
  const lines = bad ? refusedLines(ctx, root, line, owner, `nginx then reads ${shellQuote(conf)} and everything it includes as ${accountText(owner)}`, bad) : [line];
  return { kind: 'restart', title: `Reload nginx (master ${who(master)}): new workers start with the new limit.`, lines, blastRadius: 'replaces the workers gracefully: old workers finish their open connections, nothing is dropped' };
}

export const nginx: Launcher = {
  id: 'nginx',
  recognisedBy: 'comm "nginx": the master ("nginx: master process ...") and its workers',
  settingLives: 'worker_rlimit_nofile in nginx.conf (main context) for workers; the master has its launcher\'s limit',
  childrenGet: 'workers: soft = hard = worker_rlimit_nofile, set as root, so it may exceed the master\'s hard limit',
  durableFix: '`worker_rlimit_nofile N;` in nginx.conf, then `nginx -t -c CONF` (the master\'s binary and config, as its owner) and `kill -HUP MASTER`',
  relief: 'prlimit on each worker (a reload replaces them)',
  identity: { what: 'nginx', binaries: ['nginx'], runsAs: 'any' },
  is: (n) => n.name === 'nginx',
  explain(c) {
    const { origin, parent } = c;
    if (!nginx.is(origin) || !parent || !nginx.is(parent)) return null;
    const s = nginxSetting(c, parent);
    if (!s) return null;
    const nr = nrOpen(c.ctx, c.root);
    const wanted = Math.min(c.value.soft, nr ?? c.value.soft);
    // Each worker sets it while still root, so the master's hard limit caps it unless the master has CAP_SYS_RESOURCE.
    const masterCan = canRaiseHard(c.ctx, c.root, parent.pid);
    const v = c.valueFor({ hard: parent.limit.hard, canRaise: masterCan, who: `the nginx master ${who(parent)}`, raiseFirst: `the hard limit the nginx master ${who(parent)} starts with (its unit's LimitNOFILE=, or what starts it)` });
    const value = Math.min(wanted, v.value.soft);
    const applied = s.value === origin.limit.hard;
    const steps: FixStep[] = [
      { kind: 'durable', title: `Set worker_rlimit_nofile ${value} for the workers.`, lines: [setInFile(`${shellQuote(s.file)}:${s.line}`, 'main context', `worker_rlimit_nofile ${value};`)], ...(v.needs ? { needs: v.needs } : {}), ...(v.higher ? { higher: v.higher } : {}) },
      reloadStep(c, parent, s.file),
    ];
    return {
      source: {
        layer: 'self',
        launcher: 'nginx',
        pid: origin.pid,
        file: s.file,
        setting: `worker_rlimit_nofile ${s.value}`,
        value: String(s.value),
        reason: `nginx sets its workers' limit itself: ${s.file}:${s.line} has worker_rlimit_nofile ${s.value}, which each worker sets as soft and hard limit while still root, above its master's if need be (${who(origin)} has ${limitOf(origin)}, its master ${who(parent)} ${limitOf(parent)}).${applied ? '' : ` The worker does not have ${s.value}: the file changed since the workers started (\`nginx -s reload\` applies it), or setrlimit failed (see nginx's error log).`}`,
      },
      contradictions: [],
      fix: steps,
      notes: [],
    };
  },
};

/** Pieces the catalogue entries share: numbers from configuration text, reload lines, unknown sentences. */
import { shellCommand } from '../../safety/shell-quote.js';
import { newContext } from '../context.js';
import { accountOf, accountText, refusedLines, untrustedClosure } from '../fix-runner.js';
import type { ConfigReader } from './config-reader.js';
import type { ProgramProcess, ReloadSpec } from './types.js';

/** A non-negative decimal integer as configuration writes it, or null ("1024" yes; "1e3", "-1", "auto" no). */
export function intValue(text: string | undefined): number | null {
  if (text === undefined || text.length === 0 || text.length > 10) return null;
  for (const c of text) if (c < '0' || c > '9') return null;
  const v = Number(text);
  return v <= 2 ** 31 - 1 ? v : null;
}

/** The value after a flag ("-c FILE", "--config=FILE", "-cFILE" when `glued`); the last occurrence wins. */
export function argValue(argv: readonly string[], names: readonly string[], glued = false): string | null {
  let v: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    for (const n of names) {
      if (a === n && i + 1 < argv.length) v = argv[i + 1];
      else if (n.startsWith('--') && a.startsWith(`${n}=`)) v = a.slice(n.length + 1);
      else if (glued && !n.startsWith('--') && a.startsWith(n) && a.length > n.length) v = a.slice(n.length);
    }
  }
  return v;
}

/** Words of a title a program rewrote into one string ("nginx: master process /usr/sbin/nginx -c /etc/x.conf"). */
export function titleWords(p: ProgramProcess): string[] {
  return p.cmdline.split(' ').filter((w) => w !== '');
}

/** The basename of a path. */
export function base(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Reload through the unit when there is one, else a signal to the master (no program binary is run as root). */
export function signalReload(unit: string | null, pid: number, signal: string, what: string, blastRadius: string): ReloadSpec {
  return {
    lines: [unit ? `${shellCommand(['systemctl', 'reload', unit])}   # ${what}` : `${shellCommand(['kill', `-${signal}`, String(pid)])}   # ${what}`],
    blastRadius,
    restart: false,
  };
}

/** A restart, through the unit when there is one. */
export function restartReload(unit: string | null, name: string, blastRadius: string): ReloadSpec {
  return {
    lines: [unit ? shellCommand(['systemctl', 'restart', unit]) : `# restart ${name} the way it is started (no systemd unit runs it)`],
    blastRadius,
    restart: true,
  };
}

/** "its configuration (PATH) could not be read: EACCES ..." — the cap is then unknown, never guessed. */
export function unreadableConfig(reader: ConfigReader, path: string | null, what: string): string {
  if (path === null) return `${what}: sockdoc could not tell which configuration file it was started with, so its cap is unknown`;
  const problem = reader.problems.find((p) => p.startsWith(path));
  return problem ? `${what}: its configuration could not be read (${problem}), so its cap is unknown` : `${what}: its configuration file ${path} was not found, so its cap is unknown`;
}

/** Every distinct port of the instance's listeners. */
export function portsOf(listeners: ReadonlyArray<{ port: number }>): number[] {
  return [...new Set(listeners.map((l) => l.port))].sort((a, b) => a - b);
}

/**
 * A reload or restart makes the program read its whole configuration again as its own account
 * (`uid`): when someone other than root and that account can change any of it (the files read, the
 * directories their include globs listed, the binary: fix-runner.ts untrustedClosure), its lines
 * are not offered as commands (refusedLines), the same rule as the launcher fixes. Lines that talk
 * to the program over its listener (viaListener: redis-cli, mysql) read no configuration file.
 */
export function guardReload(root: string, uid: number, closure: readonly string[], reload: ReloadSpec, label: string): ReloadSpec {
  if (reload.viaListener || !reload.lines.some((l) => !l.startsWith('#'))) return reload;
  const ctx = newContext();
  const bad = untrustedClosure(ctx, root, closure, uid);
  if (!bad) return reload;
  const runner = accountOf(ctx, root, uid);
  const does = `${label} then reads its configuration as ${accountText(runner)}`;
  return { ...reload, lines: reload.lines.flatMap((l) => (l.startsWith('#') ? [l] : refusedLines(ctx, root, l, runner, does, bad))) };
}

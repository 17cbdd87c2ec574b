/**
 * A process started by a systemd manager: the unit (from its cgroup) says what the manager
 * applied at exec time (man systemd.exec LimitNOFILE=). What the process has now is compared with
 * what the configuration on disk gives, which tells a stale service from a program that moved its
 * own soft limit, and from a supervisord that raised it to minfds.
 */
import type { ProcNode } from './chain.js';
import { memoRead, nrOpen, type ExplainContext, type Verdict } from './context.js';
import { proposedValue, systemdFix, type SystemdFixOptions } from './fix.js';
import { accountOf, accountText, capAt, operator, refusedLines, runAs, untrusted } from './fix-runner.js';
import { shellQuote } from '../safety/shell-quote.js';
import { terminalSafe } from '../safety/terminal.js';
import { canRaiseHard, systemdVersion } from './host-facts.js';
import { isNginx, isJava, isSupervisord, unitOf } from './kinds.js';
import { appliedBySystemd, formatPair, formatSH, type Effective } from './rlimit.js';
import { builtinDefault, type BuiltinDefault } from './systemd-defaults.js';
import { describeMasked, readUnitLimit, systemScope, userUnitSearchPath, type ManagerScope, type Masked, type UnitLimit } from './systemd.js';
import { shellCommand } from '../safety/shell-quote.js';
import { readPasswd } from '../probe/passwd.js';
import { pamUser } from './context.js';

/** What the unit configures, resolved to numbers under this manager. */
export interface UnitExpectation {
  unit: string;
  config: UnitLimit;
  /** What the configuration gives: the candidate the process matches, else the first candidate. */
  expected: Effective;
  /**
   * Every value the configuration may give: one, or, when it falls to systemd's built-in default and
   * the version is unknown, the pre-240 and the 240+ default (never one of them asserted).
   */
  candidates: Effective[];
  /** Does the process's limit follow from the configuration (any candidate)? */
  matches: boolean;
  /** The built-in default applies and the systemd version could not be read. */
  versionUnknown: boolean;
  scope: ManagerScope;
}

/** The system manager's built-in default on this host (by its systemd version). */
export function systemBuiltin(ctx: ExplainContext, root: string): BuiltinDefault {
  return builtinDefault(systemdVersion(ctx, root)?.version ?? null, nrOpen(ctx, root));
}

/**
 * The scope of a user manager: its unit search path (the user's home from /etc/passwd), and as
 * the default what the manager was started with: user@UID.service's own limit from the system
 * manager (a user manager passes on what it got, src/core/main.c), capped at its hard limit.
 */
export function userScope(ctx: ExplainContext, root: string, manager: ProcNode): ManagerScope {
  const pw = memoRead(ctx, 'passwd', () => readPasswd(root));
  const home = pw.ok ? (pw.value.find((e) => e.uid === manager.uid)?.home ?? null) : null;
  const unit = manager.uid !== null ? `user@${manager.uid}.service` : null;
  const sys = unit ? readUnit(ctx, root, unit, systemScope(systemBuiltin(ctx, root))) : null;
  let builtin: BuiltinDefault;
  // user@UID.service on the built-in default of an unknown systemd version: what the manager runs with is the fact to use.
  if (sys && sys.ok && !(sys.value.limit.origin === 'built-in' && systemBuiltin(ctx, root).unknownVersion)) {
    const got = appliedBySystemd(sys.value.limit.value, { hard: null, canRaise: null }, nrOpen(ctx, root));
    const soft = got.soft !== null && manager.limit.hard !== null ? Math.min(got.soft, manager.limit.hard) : got.soft;
    const hard = got.hard !== null && manager.limit.hard !== null ? Math.min(got.hard, manager.limit.hard) : (got.hard ?? manager.limit.hard);
    const how = sys.value.limit.origin === 'built-in' ? 'the system default' : `${sys.value.limit.setting}${sys.value.limit.file ? ` (${sys.value.limit.file}:${sys.value.limit.line})` : ''}`;
    builtin = { value: { soft: soft ?? 1024, hard: hard ?? soft ?? 1024 }, describe: `${formatSH(soft, hard)}, what the user manager got from ${unit} (${how}; PAMName=systemd-user lets limits.conf change it too)` };
  } else {
    builtin = { value: { soft: manager.limit.soft ?? 1024, hard: manager.limit.hard ?? 1024 }, describe: `${formatSH(manager.limit.soft, manager.limit.hard)}, the user manager's own limit` };
  }
  return { user: true, searchPath: userUnitSearchPath(home), builtin };
}

export function readUnit(ctx: ExplainContext, root: string, unit: string, scope: ManagerScope) {
  return memoRead(ctx, `unit:${scope.user ? 'user:' : ''}${unit}:${scope.searchPath[0]}`, () => readUnitLimit(root, unit, scope));
}

/** The scope for a process started by `manager`. */
export function scopeOf(ctx: ExplainContext, root: string, manager: ProcNode): ManagerScope {
  return manager.pid === 1 ? systemScope(systemBuiltin(ctx, root)) : userScope(ctx, root, manager);
}

/** Expected limit for a process the manager `manager` started in `unit`. */
export function unitExpectation(ctx: ExplainContext, root: string, unit: string, node: ProcNode, manager: ProcNode): UnitExpectation | { error: string } {
  const scope = scopeOf(ctx, root, manager);
  const r = readUnit(ctx, root, unit, scope);
  if (!r.ok) return { error: r.error };
  const canRaise = scope.user ? false : canRaiseHard(ctx, root, manager.pid);
  const unknown = r.value.limit.origin === 'built-in' ? scope.builtin.unknownVersion : undefined;
  const configured = unknown ? [unknown.before240, unknown.since240] : [r.value.limit.value];
  const candidates = configured.map((v) => appliedBySystemd(v, { hard: manager.limit.hard, canRaise }, nrOpen(ctx, root)));
  const hit = candidates.find((c) => c.soft === node.limit.soft && c.hard === node.limit.hard);
  return { unit, config: r.value, expected: hit ?? candidates[candidates.length - 1], candidates, scope, matches: hit !== undefined, versionUnknown: unknown !== undefined };
}

/**
 * The built-in default of an unknown systemd version, said as both and what each would mean for
 * this process: "… on 240 or later that is the default; before 240 it would be 1024:4096, so …".
 */
function unknownVersionText(e: UnitExpectation, node: ProcNode): string {
  const [older, newer] = e.candidates;
  const has = formatSH(node.limit.soft, node.limit.hard);
  const same = (c: Effective) => c.soft === node.limit.soft && c.hard === node.limit.hard;
  const who = `${node.name} (pid ${node.pid})`;
  const elsewhere = 'so on that version its limit came from elsewhere (the program changed it, or the configuration changed after the service started)';
  if (same(older)) return `${who} has ${has}: on a systemd older than 240 that is the default, and nothing is stale; on 240 or later the default would be ${formatSH(newer.soft, newer.hard)}, ${elsewhere}.`;
  if (same(newer)) return `${who} has ${has}: on systemd 240 or later that is the default, and nothing is stale; before 240 the default would be ${formatSH(older.soft, older.hard)}, ${elsewhere}.`;
  return `${who} has ${has}, which is neither default: on either version its limit came from elsewhere (the program changed it, or the configuration changed after the service started).`;
}

function describeSetting(u: UnitLimit, scope: ManagerScope, applied: Effective): string {
  const l = u.limit;
  const written = formatPair(l.value);
  const clamped = written !== formatPair(applied) ? `, which systemd applies as ${formatSH(applied.soft, applied.hard)}${l.value.hard === 'infinity' ? ' (infinity becomes the manager\'s own hard limit)' : ' (the manager\'s hard limit caps it)'}` : '';
  switch (l.origin) {
    case 'unit':
      return `${u.unit} sets ${l.setting} (${l.file}:${l.line})${clamped}`;
    case 'drop-in':
      return `the drop-in ${l.file}:${l.line} sets ${l.setting} for ${u.unit}${u.fragment ? `, overriding the unit file ${u.fragment}` : ''}${clamped}`;
    case 'manager-default':
      return `${u.unit} sets no LimitNOFILE=, so the manager's ${l.setting} (${l.file}:${l.line}) applies${clamped}`;
    case 'built-in':
      if (scope.builtin.unknownVersion) {
        const b = scope.builtin.unknownVersion;
        return `neither ${u.unit} nor /etc/systemd/${scope.user ? 'user' : 'system'}.conf sets a limit, so systemd's built-in default applies, and that depends on the systemd version, which could not be read here (no libsystemd-shared-NNN.so, /usr/share/doc/systemd-NNN or manager binary under this root): ${formatPair(b.before240)} before 240, ${formatSH(b.since240.soft, b.since240.hard)} from 240 on`;
      }
      return `neither ${u.unit} nor /etc/systemd/${scope.user ? 'user' : 'system'}.conf sets a limit, so ${scope.builtin.describe} applies`;
  }
}

/**
 * A masked unit (man systemd.unit: "cannot be activated") keeps running until it stops, but no
 * edit takes effect through a restart: `systemctl restart` fails with "Unit … is masked". Every
 * step that relies on the unit starting again needs it unmasked first, and says so.
 */
function unmaskFirst(v: Verdict, unit: string, masked: Masked, ctl: string[]): Verdict {
  const how =
    masked.how === 'link'
      ? `${unit} unmasked first: ${shellCommand([...ctl, 'unmask', unit])} (it is masked: ${describeMasked(masked)}; someone did that on purpose, find out why before undoing it)`
      : `${unit}'s empty unit file ${masked.file} replaced by a real one (an empty file masks the unit; systemctl unmask removes only links to /dev/null)`;
  const state = ` ${unit} is masked now (${describeMasked(masked)}): it cannot be started.`;
  let first = true;
  const fix = v.fix.map((s) => {
    if (s.kind !== 'durable' && s.kind !== 'restart') return s;
    // Said in full once; a later step refers to it.
    const need = first ? how : `${unit} unmasked first, as above`;
    first = false;
    return { ...s, needs: s.needs ? `${need}; and ${s.needs}` : need };
  });
  return { ...v, source: { ...v.source, reason: v.source.reason + state }, fix };
}

/**
 * Who the unit's processes run as: User= (a name, or a number), else the manager's own user (root
 * for pid 1, the user for a user manager). DynamicUser= and an unknown name are a uid that trusts
 * nobody's files but root's (-1).
 */
function unitRunner(ctx: ExplainContext, root: string, cfg: UnitLimit | null, manager: ProcNode): { uid: number; text: string } {
  const mine = manager.uid ?? 0;
  const u = cfg?.user ?? null;
  if (u === null) return { uid: mine, text: mine === 0 ? 'root' : accountText(accountOf(ctx, root, mine)) };
  if (u === 'dynamic') return { uid: -1, text: 'a dynamic user' };
  if (/^\d+$/.test(u)) return { uid: Number(u), text: accountText(accountOf(ctx, root, Number(u))) };
  const pw = memoRead(ctx, 'passwd', () => readPasswd(root));
  const e = pw.ok ? pw.value.find((x) => x.name === u) : undefined;
  return e ? { uid: e.uid, text: accountText(accountOf(ctx, root, e.uid)) } : { uid: -1, text: `user ${terminalSafe(u)}` };
}

/**
 * How the fix lines reach a unit: a user unit is edited as its user (`systemctl edit` refuses
 * --machine), with XDG_RUNTIME_DIR stated so `systemctl --user` finds its manager; a restart that
 * starts a program someone else can change (the file or a directory above it) says so in its line.
 */
export function unitFixOptions(ctx: ExplainContext, root: string, unit: string, user: boolean, manager: ProcNode, cfg: UnitLimit | null): SystemdFixOptions {
  const opts: SystemdFixOptions = { userUnit: user };
  if (user && manager.uid !== null) {
    const owner = accountOf(ctx, root, manager.uid);
    if (owner.name !== null) opts.userName = owner.name;
    opts.asUser = (argv, env) => runAs(ctx, root, owner, argv, env);
    opts.runtimeDir = `/run/user/${manager.uid}`;
  }
  const runner = unitRunner(ctx, root, cfg, manager);
  for (const prog of cfg?.programs ?? []) {
    if (!prog.startsWith('/')) continue;
    const bad = untrusted(ctx, root, prog, runner.uid < 0 ? null : runner.uid);
    if (bad) {
      const as = accountOf(ctx, root, operator(ctx, root).uid);
      opts.restartRefused = (line) => refusedLines(ctx, root, line, as, `this starts ${shellQuote(prog)} as ${runner.text}`, bad);
      break;
    }
  }
  return opts;
}

/**
 * Explains `node`, started by `manager` (a systemd manager). Returns null when another layer
 * (supervisord raising to minfds) explains it better; the caller then asks that layer.
 */
export function systemdVerdict(ctx: ExplainContext, root: string, node: ProcNode, manager: ProcNode): Verdict | null {
  const v = unitVerdict(ctx, root, node, manager);
  const u = unitOf(node.cgroup);
  if (!v || !u) return v;
  const e = unitExpectation(ctx, root, u.unit, node, manager);
  if ('error' in e || !e.config.masked) return v;
  // As systemdFix reaches a user manager from root (systemctl(1) --machine=USER@, systemd ≥ 248).
  const userName = u.user && manager.uid !== null ? pamUser(ctx, root, manager.uid).name : undefined;
  const ctl = u.user ? ['systemctl', '--user', ...(userName ? [`--machine=${userName}@`] : [])] : ['systemctl'];
  return unmaskFirst(v, u.unit, e.config.masked, ctl);
}

function unitVerdict(ctx: ExplainContext, root: string, node: ProcNode, manager: ProcNode): Verdict | null {
  const u = unitOf(node.cgroup);
  const base = { layer: 'systemd' as const, pid: node.pid };
  const managerName = manager.pid === 1 ? 'systemd (pid 1)' : `the user manager systemd --user (pid ${manager.pid})`;
  if (!u || !/\.(service|socket|mount|swap)$/.test(u.unit)) {
    return {
      source: { ...base, reason: `${node.name} (pid ${node.pid}) was started by ${managerName}, but its cgroup (${node.cgroup ?? 'unreadable'}) names no service, so its unit is unknown.` },
      contradictions: [],
      fix: [],
      notes: [],
    };
  }
  const unit = u.unit;
  const e = unitExpectation(ctx, root, unit, node, manager);
  if ('error' in e) {
    return {
      source: { ...base, unit, reason: `${node.name} (pid ${node.pid}) runs in ${unit}, whose configuration could not be read: ${e.error}.` },
      contradictions: [],
      fix: systemdFix(unit, proposedValue(node.limit, undefined, nrOpen(ctx, root)), unitFixOptions(ctx, root, unit, u.user, manager, null)),
      notes: [],
    };
  }
  const cfg = e.config;
  const l = cfg.limit;
  const src = { ...base, unit, file: l.file ?? undefined, setting: l.setting, value: formatPair(l.value) };
  const notes = [...cfg.warnings];
  if (cfg.pamName) notes.push(`${unit} has PAMName=${cfg.pamName}: pam_limits (limits.conf) also applies to it when it starts.`);
  const how = describeSetting(cfg, e.scope, e.expected);
  const winningDropIn = l.origin === 'drop-in' ? l.file : null;
  // The manager applies LimitNOFILE=; above its own hard limit that needs CAP_SYS_RESOURCE, which a
  // user manager never has: systemd clamps the value to its hard limit (setrlimit_closest), so the
  // value offered is capped there, with what to raise first to go higher.
  const managerCan = u.user ? false : canRaiseHard(ctx, root, manager.pid);
  const ceiling = {
    hard: manager.limit.hard,
    canRaise: managerCan,
    who: managerName,
    raiseFirst: u.user ? `LimitNOFILE= of user@${manager.uid}.service (what the user manager runs with; it cannot raise its own)` : `the hard limit of ${managerName}, which lacks CAP_SYS_RESOURCE (a systemd inside a container: the container's limit)`,
  };
  const opts = unitFixOptions(ctx, root, unit, u.user, manager, cfg);
  const fixFor = (wanted?: { soft: number; hard: number }) => {
    const c = capAt(proposedValue(node.limit, wanted, nrOpen(ctx, root)), ceiling, node.limit.soft);
    return systemdFix(unit, c.value, { ...opts, winningDropIn, needs: c.needs, higher: c.higher });
  };
  // Unknown version: both defaults and what each would mean, never one asserted (src/provenance/systemd-defaults.ts).
  const unknownText = e.versionUnknown ? ` ${unknownVersionText(e, node)}` : '';
  if (e.matches) {
    const passOn = isSupervisord(node) ? ` supervisord passed it on unchanged to the programs it runs (it only raises a soft limit below its minfds, at start-up).` : '';
    return { source: { ...src, reason: `${managerName} started ${node.name} (pid ${node.pid}) as ${unit}; ${how}.${unknownText}${passOn}` }, contradictions: [], fix: fixFor(), notes };
  }
  // supervisord raises soft to minfds at its start (options.py set_rlimits_or_exit): not a stale unit.
  const raisedBySupervisord = (c: Effective) => c.soft !== null && c.hard !== null && node.limit.soft !== null && node.limit.soft > c.soft && node.limit.hard === Math.max(c.hard, node.limit.soft);
  if (isSupervisord(node) && e.candidates.some(raisedBySupervisord)) return null;
  // Soft raised to hard by the program itself (Go ≥ 1.19 os package; HotSpot MaxFDLimit; nginx).
  const raisedItself = (c: Effective) => c.hard !== null && node.limit.hard === c.hard && node.limit.soft === c.hard && c.soft !== null && c.soft < c.hard;
  const exp = e.candidates.find(raisedItself) ?? e.expected;
  if (raisedItself(exp) && exp.hard !== null) {
    const who = isNginx(node) ? 'nginx (worker_rlimit_nofile)' : isJava(node) ? 'the JVM (-XX:+MaxFDLimit, on by default)' : 'the program itself (Go ≥ 1.19 does this at start-up)';
    return {
      source: {
        layer: 'self',
        pid: node.pid,
        unit,
        file: l.file ?? undefined,
        setting: l.setting,
        value: formatPair(l.value),
        reason: `${managerName} started ${node.name} (pid ${node.pid}) as ${unit} with ${formatSH(exp.soft, exp.hard)} (${how}); ${who} then raised its soft limit to the hard limit ${exp.hard}. The hard limit is the ceiling, and it comes from the unit.${e.versionUnknown ? ` (That reading holds if this systemd gives ${formatSH(exp.soft, exp.hard)} by default: its version could not be read.)` : ''}`,
      },
      contradictions: [],
      fix: fixFor(),
      notes,
    };
  }
  if (e.versionUnknown) {
    // No stale claim on a default that cannot be named; an explicit LimitNOFILE= works on either version.
    return { source: { ...src, reason: `${managerName} started ${node.name} (pid ${node.pid}) as ${unit}; ${how}.${unknownText}` }, contradictions: [], fix: fixFor(), notes };
  }
  return {
    source: { ...src, reason: `${managerName} started ${node.name} (pid ${node.pid}) as ${unit}; ${how}.` },
    contradictions: [
      `${unit} now gives ${formatSH(exp.soft, exp.hard)} (${l.setting}), but ${node.name} (pid ${node.pid}) runs with ${formatSH(node.limit.soft, node.limit.hard)}: the configuration changed after the service started. It applies only after \`systemctl daemon-reload\` and \`systemctl restart ${unit}\` (unless the program changed its own limit).`,
    ],
    fix: exp.soft !== null && exp.hard !== null && (exp.soft > (node.limit.soft ?? 0) || exp.hard > (node.limit.hard ?? 0)) ? systemdFix(unit, { soft: exp.soft, hard: exp.hard }, { ...opts, restartOnly: true }) : fixFor(),
    notes,
    wanted: exp.soft !== null && exp.hard !== null ? { soft: exp.soft, hard: exp.hard } : undefined,
  };
}

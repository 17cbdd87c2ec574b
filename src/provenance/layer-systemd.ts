/**
 * A process started by a systemd manager: the unit (from its cgroup) says what the manager
 * applied at exec time (man systemd.exec LimitNOFILE=). What the process has now is compared with
 * what the configuration on disk gives, which tells a stale service from a program that moved its
 * own soft limit, and from a supervisord that raised it to minfds.
 */
import type { ProcNode } from './chain.js';
import { memoRead, nrOpen, type ExplainContext, type Verdict } from './context.js';
import { proposedValue, systemdFix } from './fix.js';
import { isNginx, isJava, isSupervisord, unitOf } from './kinds.js';
import { formatPair, formatSH, matchesConfigured, resolveInfinity, type Effective } from './rlimit.js';
import { readUnitLimit, type UnitLimit } from './systemd.js';

/** What the unit configures, resolved to numbers under this manager. */
export interface UnitExpectation {
  unit: string;
  config: UnitLimit;
  expected: Effective;
  /** Does the process's limit follow from the configuration? */
  matches: boolean;
}

export function readUnit(ctx: ExplainContext, root: string, unit: string) {
  return memoRead(ctx, `unit:${unit}`, () => readUnitLimit(root, unit));
}

/** Expected limit for a process the manager `manager` started in `unit`. */
export function unitExpectation(ctx: ExplainContext, root: string, unit: string, node: ProcNode, manager: ProcNode): UnitExpectation | { error: string } {
  const r = readUnit(ctx, root, unit);
  if (!r.ok) return { error: r.error };
  const ceilings = [manager.limit.hard, nrOpen(ctx, root)];
  const expected = resolveInfinity(r.value.limit.value, ceilings.find((c) => c !== null) ?? null);
  return { unit, config: r.value, expected, matches: matchesConfigured(node.limit, r.value.limit.value, ceilings) };
}

function describeSetting(u: UnitLimit): string {
  const l = u.limit;
  switch (l.origin) {
    case 'unit':
      return `${u.unit} sets ${l.setting} (${l.file}:${l.line})`;
    case 'drop-in':
      return `the drop-in ${l.file}:${l.line} sets ${l.setting} for ${u.unit}${u.fragment ? `, overriding the unit file ${u.fragment}` : ''}`;
    case 'manager-default':
      return `${u.unit} sets no LimitNOFILE=, so the manager's ${l.setting} (${l.file}:${l.line}) applies`;
    case 'built-in':
      return `neither ${u.unit} nor /etc/systemd/system.conf sets a limit, so systemd's built-in default 1024:524288 (systemd ≥ 240) applies`;
  }
}

/**
 * Explains `node`, started by `manager` (a systemd manager). Returns null when another layer
 * (supervisord raising to minfds) explains it better; the caller then asks that layer.
 */
export function systemdVerdict(ctx: ExplainContext, root: string, node: ProcNode, manager: ProcNode): Verdict | null {
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
  if (u.user) {
    return {
      source: { ...base, unit, reason: `${unit} is a user unit of ${managerName}; its LimitNOFILE= (in ~/.config/systemd/user or /etc/systemd/user) is not read by sockdoc, else the user manager's DefaultLimitNOFILE= applies.` },
      contradictions: [],
      fix: systemdFix(unit, proposedValue(node.limit, undefined, nrOpen(ctx, root)), { userUnit: true }),
      notes: [],
    };
  }
  const e = unitExpectation(ctx, root, unit, node, manager);
  if ('error' in e) {
    return {
      source: { ...base, unit, reason: `${node.name} (pid ${node.pid}) runs in ${unit}, whose configuration could not be read: ${e.error}.` },
      contradictions: [],
      fix: systemdFix(unit, proposedValue(node.limit, undefined, nrOpen(ctx, root))),
      notes: [],
    };
  }
  const cfg = e.config;
  const l = cfg.limit;
  const src = { ...base, unit, file: l.file ?? undefined, setting: l.setting, value: formatPair(l.value) };
  const notes = [...cfg.warnings];
  if (cfg.pamName) notes.push(`${unit} has PAMName=${cfg.pamName}: pam_limits (limits.conf) also applies to it when it starts.`);
  const how = describeSetting(cfg);
  const winningDropIn = l.origin === 'drop-in' ? l.file : null;
  const fixFor = (wanted?: { soft: number; hard: number }) => systemdFix(unit, proposedValue(node.limit, wanted, nrOpen(ctx, root)), { winningDropIn });
  if (e.matches) {
    const passOn = isSupervisord(node) ? ` supervisord passed it on unchanged to the programs it runs (it only raises a soft limit below its minfds, at start-up).` : '';
    return { source: { ...src, reason: `${managerName} started ${node.name} (pid ${node.pid}) as ${unit}; ${how}.${passOn}` }, contradictions: [], fix: fixFor(), notes };
  }
  const exp = e.expected;
  // supervisord raises soft to minfds at its start (options.py set_rlimits_or_exit): not a stale unit.
  if (isSupervisord(node) && exp.soft !== null && exp.hard !== null && node.limit.soft !== null && node.limit.soft > exp.soft && node.limit.hard === Math.max(exp.hard, node.limit.soft)) {
    return null;
  }
  // Soft raised to hard by the program itself (Go ≥ 1.19 os package; HotSpot MaxFDLimit; nginx).
  if (exp.hard !== null && node.limit.hard === exp.hard && node.limit.soft === exp.hard && exp.soft !== null && exp.soft < exp.hard) {
    const who = isNginx(node) ? 'nginx (worker_rlimit_nofile)' : isJava(node) ? 'the JVM (-XX:+MaxFDLimit, on by default)' : 'the program itself (Go ≥ 1.19 does this at start-up)';
    return {
      source: {
        layer: 'self',
        pid: node.pid,
        unit,
        file: l.file ?? undefined,
        setting: l.setting,
        value: formatPair(l.value),
        reason: `${managerName} started ${node.name} (pid ${node.pid}) as ${unit} with ${formatSH(exp.soft, exp.hard)} (${how}); ${who} then raised its soft limit to the hard limit ${exp.hard}. The hard limit is the ceiling, and it comes from the unit.`,
      },
      contradictions: [],
      fix: fixFor(),
      notes,
    };
  }
  return {
    source: { ...src, reason: `${managerName} started ${node.name} (pid ${node.pid}) as ${unit}; ${how}.` },
    contradictions: [
      `${unit} now gives ${formatSH(exp.soft, exp.hard)} (${l.setting}), but ${node.name} (pid ${node.pid}) runs with ${formatSH(node.limit.soft, node.limit.hard)}: the configuration changed after the service started. It applies only after \`systemctl daemon-reload\` and \`systemctl restart ${unit}\` (unless the program changed its own limit).`,
    ],
    fix: exp.soft !== null && exp.hard !== null && (exp.soft > (node.limit.soft ?? 0) || exp.hard > (node.limit.hard ?? 0)) ? systemdFix(unit, { soft: exp.soft, hard: exp.hard }, { restartOnly: true }) : fixFor(),
    notes,
    wanted: exp.soft !== null && exp.hard !== null ? { soft: exp.soft, hard: exp.hard } : undefined,
  };
}

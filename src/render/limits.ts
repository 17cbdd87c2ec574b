/**
 * `sockdoc limits` output: for each process a few lines of prose saying what its open-files limit
 * is, where it was set, what contradicts it, and the fix at that layer. The fix lines are never
 * wrapped, so they paste as they are.
 */
import { shellLineSafe, terminalGuard, terminalSafe } from '../safety/terminal.js';
import type { LimitLayer, LimitOrigin } from '../provenance/types.js';
import { stepHeadline } from '../provenance/fix.js';
import { painter, wrap } from './format.js';

export interface LimitsRenderOptions {
  color: boolean;
  columns: number;
}

function limitText(v: number | null): string {
  return v === null ? '?' : String(v);
}

function link(l: { pid: number; name: string; soft: number | null; hard: number | null }): string {
  const v = l.soft === l.hard ? limitText(l.soft) : `${limitText(l.soft)}:${limitText(l.hard)}`;
  return `${l.name} ${l.pid} [${v}]`;
}

/** Where the value was set, in a few words: "supervisord (pid 4200)", "systemd, unit api.service". */
export function setAt(o: LimitOrigin): string {
  const s = o.source;
  const at = s.pid === null ? '' : `${o.chain.find((c) => c.pid === s.pid)?.name ?? 'pid'} (pid ${s.pid})`;
  const titles: Record<LimitLayer, string> = {
    systemd: s.unit ? `systemd, unit ${s.unit}` : 'systemd',
    supervisord: `supervisord${s.pid !== null ? ` (pid ${s.pid})` : ''}`,
    pam: `pam_limits, in the login session opened by ${at}`,
    cron: `pam_limits, in the cron job session opened by ${at}`,
    container: `the container runtime${s.unit ? ` (${s.unit})` : ''}`,
    shell: `the shell ${at}`,
    self: `the program itself${s.launcher ? ` (${s.launcher})` : ''}${s.unit ? ` (its hard limit: unit ${s.unit})` : ''}`,
    launcher: `${s.launcher ?? 'a launcher'}${s.pid !== null ? `, in ${at}` : ''}`,
    unknown: `an unknown layer, at ${at}`,
  };
  return titles[s.layer];
}

/**
 * One process, as prose.
 * @example renderLimitOrigin(origin, { color: false, columns: 100 })
 */
export function renderLimitOrigin(o: LimitOrigin, opts: LimitsRenderOptions): string {
  const paint = painter(opts.color);
  const width = Math.max(40, opts.columns) - 2;
  const out: string[] = [];
  const limits = o.soft === o.hard ? `${limitText(o.soft)} files (soft and hard limit)` : `${limitText(o.soft)} files (soft limit; the hard limit is ${limitText(o.hard)})`;
  out.push(`${paint('bold', `${terminalSafe(o.name)} (pid ${o.pid})`)} can open at most ${limits}.`);
  const u = o.usage;
  if (u) {
    const open = u.open === null ? '' : `${u.open} open: `;
    const kinds = u.kinds.slice(0, 5).map(([k, n]) => `${n} ${k}`).join(', ');
    for (const l of wrap(terminalSafe(`Now ${open}${kinds}.${u.sentence ? ` ${u.sentence}` : ''}`), width)) out.push(`  ${u.verdict === 'leak' ? paint('yellow', l) : l}`);
    if (u.leakFix.length) {
      out.push(`  ${paint('yellow', 'Find the leak first (a bigger limit is relief, not the cure):')}`);
      for (const l of u.leakFix) out.push(`    ${shellLineSafe(l)}`);
    }
  }
  out.push(`  Set by ${paint(o.source.layer === 'unknown' ? 'yellow' : 'cyan', terminalSafe(setAt(o)))}:`);
  for (const l of wrap(terminalSafe(o.source.reason), width)) out.push(`  ${l}`);
  const originAt = o.chain.findIndex((c) => c.pid === o.source.pid);
  const chain = o.chain.map((c, i) => (i === originAt ? paint('bold', terminalSafe(link(c))) : terminalSafe(link(c)))).join(' ← ');
  for (const [i, l] of wrap(`Chain, child to parent: ${chain}`, width).entries()) out.push(`  ${i ? '  ' : ''}${l}`);
  if (o.contradictions.length) {
    out.push(`  ${paint('yellow', 'But:')}`);
    for (const c of o.contradictions) for (const [i, l] of wrap(terminalSafe(c), width - 4).entries()) out.push(`  ${i ? '  ' : '- '}${l}`);
  }
  if (o.steps && o.steps.length) {
    out.push(`  ${paint('green', 'Fix, in order:')}`);
    o.steps.forEach((s, i) => {
      const head = terminalSafe(`${i + 1}. ${stepHeadline(s)}`);
      for (const [j, l] of wrap(head, width - 4).entries()) out.push(`    ${j ? '   ' : ''}${l}`);
      if (s.needs) for (const l of wrap(`Will fail as is: needs ${terminalSafe(s.needs)}.`, width - 7)) out.push(paint('yellow', `       ${l}`));
      for (const l of s.lines) out.push(`       ${shellLineSafe(l)}`);
      if (s.higher) for (const l of wrap(terminalSafe(s.higher), width - 7)) out.push(paint('dim', `       ${l}`));
    });
  } else if (o.fix.length) {
    out.push(`  ${paint('green', 'Fix:')}`);
    for (const f of o.fix) out.push(`    ${shellLineSafe(f)}`);
  }
  for (const n of o.notes ?? []) for (const [i, l] of wrap(`Note: ${terminalSafe(n)}`, width).entries()) out.push(paint('dim', `  ${i ? '  ' : ''}${l}`));
  return terminalGuard(out.join('\n') + '\n');
}

/** Several processes, a blank line between them. */
export function renderLimitOrigins(list: readonly LimitOrigin[], opts: LimitsRenderOptions): string {
  if (!list.length) return 'No process to explain: no visible process holds a TCP listener or uses half of its fd limit.\nName one: sockdoc limits PID or sockdoc limits NAME.\n';
  return list.map((o) => renderLimitOrigin(o, opts)).join('\n');
}

/** The --json shape of issue 3: stable keys, undefined optionals left out. */
export function limitOriginToJson(o: LimitOrigin): LimitOrigin & { notes: string[] } {
  const s = o.source;
  // Optional keys before `reason`, the order of issue 3's schema; built loosely, typed at the end.
  const source: Record<string, unknown> = { layer: s.layer, pid: s.pid };
  for (const k of ['unit', 'launcher', 'file', 'setting', 'value'] as const) if (s[k] !== undefined) source[k] = s[k];
  source.reason = s.reason;
  return {
    pid: o.pid,
    name: o.name,
    soft: o.soft,
    hard: o.hard,
    chain: o.chain.map((c) => ({ pid: c.pid, name: c.name, soft: c.soft, hard: c.hard })),
    source: source as unknown as LimitOrigin['source'],
    contradictions: o.contradictions,
    fix: o.fix,
    steps: (o.steps ?? []).map((st) => ({ ...st })),
    notes: o.notes ?? [],
  };
}

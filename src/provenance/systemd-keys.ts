/**
 * Limit keys systemd ignores: a misspelled or wrongly cased LimitNOFILE= (keys are case-sensitive;
 * src/shared/conf-parser.c logs "Unknown key name" and goes on), LimitNOFILE= outside the unit's
 * exec section, DefaultLimitNOFILE= in a unit (it belongs to system.conf's [Manager]), and
 * DefaultLimitNOFILE= outside [Manager] of system.conf / user.conf. Each is a setting someone
 * believes is in force.
 */
import type { UnitAssignment } from './unit-file.js';

/** Levenshtein distance, bounded: enough to call "LimitNOFLIE" a misspelling of "LimitNOFILE". */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Is `key` a near miss of `target` (wrong case, or one or two letters off)? */
function nearMiss(key: string, target: string): boolean {
  if (key === target) return false;
  return key.toLowerCase() === target.toLowerCase() || distance(key.toLowerCase(), target.toLowerCase()) <= 2;
}

/**
 * Sentences for assignments systemd ignores. `where` is the exec section of a unit ("Service",
 * "Socket" ...) or "manager" for system.conf / user.conf files.
 * @example ignoredLimitKeys([{section:'Unit',key:'LimitNOFILE',value:'65536',file:'/etc/x.service',line:3}], 'Service')
 */
export function ignoredLimitKeys(list: readonly UnitAssignment[], where: string): string[] {
  const out: string[] = [];
  const at = (a: UnitAssignment) => `${a.file}:${a.line}`;
  for (const a of list) {
    const written = `${a.key}=${a.value}`;
    if (where === 'manager') {
      if (a.key === 'DefaultLimitNOFILE' && a.section !== 'Manager') out.push(`${at(a)}: ${written} is in [${a.section}], not [Manager]; systemd ignores it.`);
      else if (a.key === 'LimitNOFILE') out.push(`${at(a)}: ${written} is a unit setting; in a manager configuration file it must be DefaultLimitNOFILE=, so systemd ignores it.`);
      else if (nearMiss(a.key, 'DefaultLimitNOFILE')) out.push(`${at(a)}: ${written} is not a key systemd knows (DefaultLimitNOFILE= is meant?); systemd ignores it.`);
      continue;
    }
    if (a.key === 'LimitNOFILE' && a.section !== where) out.push(`${at(a)}: ${written} is in [${a.section}], not [${where}]; systemd ignores it.`);
    else if (a.key === 'DefaultLimitNOFILE') out.push(`${at(a)}: ${written} belongs in /etc/systemd/system.conf [Manager]; in a unit systemd ignores it (LimitNOFILE= is the unit setting).`);
    else if (nearMiss(a.key, 'LimitNOFILE')) out.push(`${at(a)}: ${written} is not a key systemd knows (LimitNOFILE= is meant?; keys are case-sensitive); systemd ignores it.`);
  }
  return out;
}

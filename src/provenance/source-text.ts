/**
 * Short forms of a limit source for other renderers (the fd findings, the processes table), built
 * from the structured fields so they never glue a value onto a setting that already holds it
 * ("minfds=512=512") or name a pid as the wrong program ("set by systemd (pid 812)" for a service).
 */
import type { LimitOrigin, LimitSource } from './types.js';

/** "LimitNOFILE=65536", "minfds=512", "built-in default (1024:524288)", "worker_rlimit_nofile 1000000". */
export function settingText(s: LimitSource): string {
  if (!s.setting) return '';
  if (s.value === undefined || s.setting.includes(s.value) || /[=\s]\S*\d/.test(s.setting)) return s.setting;
  // A bare key ("LimitNOFILE") takes its value as an assignment; a phrase takes it in parentheses.
  return /^[A-Za-z_][\w.-]*$/.test(s.setting) ? `${s.setting}=${s.value}` : `${s.setting} (${s.value})`;
}

/** Who set it, with the pid named as its own program: "systemd, unit api.service", "supervisord (pid 640)", "pm2 in PM2 v7.0.4: God (pid 3232)". */
export function setterText(o: LimitOrigin): string {
  const s = o.source;
  const at = s.pid === null ? '' : `${o.chain.find((c) => c.pid === s.pid)?.name ?? 'pid'} (pid ${s.pid})`;
  if (s.layer === 'systemd') return s.unit ? `systemd, unit ${s.unit}` : 'systemd';
  if (s.layer === 'container') return `the container runtime${s.unit ? ` (${s.unit})` : ''}`;
  if (s.layer === 'launcher') return `${s.launcher ?? 'a launcher'}${at ? `, in ${at}` : ''}`;
  if (s.layer === 'self') return `the program itself${at ? `, ${at}` : ''}`;
  if (at.startsWith(`${s.layer} `)) return at;
  return `${s.layer}${at ? `, in ${at}` : ''}`;
}

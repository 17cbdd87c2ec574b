/**
 * The host's file table is nearly full: fs.file-nr "allocated" approaches fs.file-max.
 * At the limit every process without CAP_SYS_ADMIN gets ENFILE ("Too many open files in system")
 * from open(), socket(), accept(), whatever its own RLIMIT_NOFILE, and the kernel logs
 * "VFS: file-max limit N reached" (fs/file_table.c alloc_empty_file).
 */
import type { Finding, Rule } from './types.js';
import { percent } from './support/levels.js';

/** Critical from this ratio on. Fixed for now: RuleOptions has only fileTableWarning. */
export const FILE_TABLE_CRITICAL = 0.95;

export const rule: Rule = {
  id: 'system-file-table-near',
  description: 'Open files on the whole host approach fs.file-max: every process will get ENFILE.',
  check(snapshot, options): Finding[] {
    const fileNr = snapshot.tunables['fs.file-nr'];
    if (fileNr === null) return [];
    const allocated = fileNr[0];
    const fileMax = snapshot.tunables['fs.file-max'] ?? fileNr[2];
    if (!(fileMax > 0)) return [];
    const ratio = allocated / fileMax;
    if (ratio < options.fileTableWarning) return [];
    const critical = ratio >= FILE_TABLE_CRITICAL;
    const usedPercent = percent(allocated, fileMax);

    const top = [...snapshot.processes]
      .filter((p) => p.fds.open !== null)
      .sort((a, b) => (b.fds.open as number) - (a.fds.open as number) || a.pid - b.pid)
      .slice(0, 3);
    const topText = top.length
      ? ` The biggest holders sockdoc saw: ${top.map((p) => `${p.name} (pid ${p.pid}) ${p.fds.open}`).join(', ')}.`
      : '';
    const newMax = Math.max(fileMax * 2, allocated * 2);

    return [
      {
        id: 'system-file-table-near',
        severity: critical ? 'critical' : 'warning',
        subject: {},
        title: `The host has ${allocated} files open of fs.file-max ${fileMax} (${usedPercent}%)`,
        evidence: {
          allocated,
          fileMax,
          usedPercent,
          topPid: top[0]?.pid ?? null,
          topOpen: top[0]?.fds.open ?? null,
        },
        explain:
          `The kernel's file table (fs.file-nr) holds ${allocated} open files; the host-wide limit fs.file-max is ${fileMax}. ` +
          'When it is reached, every process without CAP_SYS_ADMIN (nearly every service, not only the busiest) gets ENFILE ' +
          '"Too many open files in system" from open(), socket() and accept(): servers stop accepting and clients see connections hang or get dropped. ' +
          'Usually one process leaks descriptors; raising fs.file-max buys time.' +
          topText,
        fix: [
          "dmesg | grep 'file-max limit'   # the kernel logs each time the limit is hit",
          "for p in /proc/[0-9]*; do echo \"$(ls $p/fd 2>/dev/null | wc -l) ${p#/proc/} $(cat $p/comm 2>/dev/null)\"; done | sort -rn | head",
          `sysctl -w fs.file-max=${newMax}`,
          `echo 'fs.file-max = ${newMax}' > /etc/sysctl.d/90-file-max.conf   # keeps it after reboot`,
        ],
      },
    ];
  },
};

/**
 * Local accounts from ROOT/etc/passwd and ROOT/etc/group (man 5 passwd, man 5 group): names for the
 * uids processes run as, and group membership for pam_limits `@group` domains (man limits.conf).
 * Only the files are read, never NSS (LDAP, sssd): a fixture tree and a live host give the same answer,
 * and a uid missing here is shown as a number.
 */
import { ParseError, readUnder, under } from './read-file.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  /** Primary group id. */
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  /** Supplementary members by user name (the 4th field); users with this primary gid are not listed. */
  members: string[];
}

/** Lines nss_files does not treat as entries: blank, comments, and NIS compat markers (+/-). */
function skipped(line: string): boolean {
  const c = line.charCodeAt(0);
  return line.trim() === '' || c === 35 /* # */ || c === 43 /* + */ || c === 45 /* - */;
}

function id(token: string, what: string, file: string, line: number): number {
  if (!/^\d+$/.test(token)) throw new ParseError(file, line, `${what} is not a number`);
  return Number(token);
}

/**
 * Parses /etc/passwd: `name:password:uid:gid:gecos:home:shell`.
 * @example parsePasswd('root:x:0:0:root:/root:/bin/bash\n')[0].uid // 0
 */
export function parsePasswd(text: string, file = 'passwd'): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (skipped(lines[i])) continue;
    const f = lines[i].split(':');
    if (f.length !== 7) throw new ParseError(file, i + 1, `expected 7 fields, found ${f.length}`);
    entries.push({ name: f[0], uid: id(f[2], 'uid', file, i + 1), gid: id(f[3], 'gid', file, i + 1), home: f[5], shell: f[6] });
  }
  return entries;
}

/**
 * Parses /etc/group: `name:password:gid:member,member`.
 * @example parseGroup('adm:x:4:syslog,alice\n')[0].members // ['syslog', 'alice']
 */
export function parseGroup(text: string, file = 'group'): GroupEntry[] {
  const entries: GroupEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (skipped(lines[i])) continue;
    const f = lines[i].split(':');
    if (f.length !== 4) throw new ParseError(file, i + 1, `expected 4 fields, found ${f.length}`);
    const members = f[3].trim() === '' ? [] : f[3].split(',').map((m) => m.trim()).filter((m) => m !== '');
    entries.push({ name: f[0], gid: id(f[2], 'gid', file, i + 1), members });
  }
  return entries;
}

/** uid -> user name. The first entry wins for a shared uid, as getpwuid(3) returns the first match. */
export function userNames(entries: readonly PasswdEntry[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const e of entries) if (!names.has(e.uid)) names.set(e.uid, e.name);
  return names;
}

/**
 * Names of the groups `user` belongs to: its primary group and every group listing it as a member.
 * pam_limits matches `@group` the same way: pam_modutil_user_in_group_nam_nam (libpam
 * pam_modutil_ingroup.c) asks getgrouplist(3), which returns the primary gid plus every group listing the user.
 */
export function groupsOfUser(user: PasswdEntry, groups: readonly GroupEntry[]): string[] {
  const out: string[] = [];
  for (const g of groups) {
    if ((g.gid === user.gid || g.members.includes(user.name)) && !out.includes(g.name)) out.push(g.name);
  }
  return out;
}

/** Reads ROOT/etc/passwd. Throws the errno error when absent. */
export function readPasswd(root: string): PasswdEntry[] {
  const file = under(root, 'etc', 'passwd');
  return parsePasswd(readUnder(root, 'etc/passwd', 'config'), file);
}

/** Reads ROOT/etc/group. Throws the errno error when absent. */
export function readGroup(root: string): GroupEntry[] {
  const file = under(root, 'etc', 'group');
  return parseGroup(readUnder(root, 'etc/group', 'config'), file);
}

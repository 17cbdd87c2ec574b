/**
 * What `sockdoc capture` must copy for `sockdoc limits --root CAPTURE` to answer as the host did:
 * the manager and launcher configuration this directory reads, the systemd version marker (the
 * libsystemd-shared-NNN.so name, copied as an empty file: only its name is read), and the
 * capturing process as the stand-in for the shell that would run a fix (proc/self).
 */
import { listDir } from './config-files.js';
import { versionFromLibName } from './host-facts.js';
import { UNIT_SEARCH_PATH } from './systemd.js';

/** Bounds a hostile or huge tree: real hosts have a few hundred unit files. */
const MAX_FILES = 5000;

const FILES = ['/etc/systemd/system.conf', '/etc/systemd/user.conf', '/etc/security/limits.conf', '/etc/docker/daemon.json', '/etc/nginx/nginx.conf', '/etc/supervisor/supervisord.conf', '/etc/supervisord.conf'];
const DIRS = ['/etc/systemd/system.conf.d', '/etc/systemd/user.conf.d', '/etc/security/limits.d', '/etc/pam.d', '/etc/supervisor/conf.d', '/etc/systemd/user', '/usr/lib/systemd/user', '/lib/systemd/user'];
const MARKER_DIRS = ['/usr/lib/systemd', '/lib/systemd', '/usr/lib/x86_64-linux-gnu/systemd', '/usr/lib/aarch64-linux-gnu/systemd', '/usr/lib64/systemd'];

export interface ProvenanceFiles {
  /** Host paths to copy with their content. */
  copy: string[];
  /** Host paths to create empty (their name is the information). */
  markers: string[];
}

/**
 * What a configuration directory holds that sockdoc reads: unit files (by their type suffix,
 * man systemd.unit), drop-ins and conf.d files (*.conf; supervisord's conf.d also *.ini), and
 * every pam.d service. Anything else there — an `app.env` beside the units, a key, a backup — is
 * not configuration sockdoc reads and stays out of a capture (it may be an EnvironmentFile= full of
 * secrets).
 */
function wanted(dir: string, name: string): boolean {
  if (dir.endsWith('/pam.d')) return true;
  if (/\.(service|socket|mount|swap|target|timer|path|slice|scope|automount|device)$/.test(name)) return true;
  return name.endsWith('.conf') || (dir.includes('supervisor') && name.endsWith('.ini'));
}

/** Lists the files under `root`; absent ones are left out. Unit directories are listed one level deep (units and NAME.d drop-ins). */
export function provenanceFiles(root: string): ProvenanceFiles {
  const copy = [...FILES];
  const add = (dir: string, depth: number) => {
    for (const name of listDir(root, dir)) {
      if (copy.length >= MAX_FILES) return;
      const path = `${dir}/${name}`;
      if (name.endsWith('.d') && depth > 0) add(path, depth - 1);
      else if (wanted(dir, name)) copy.push(path);
    }
  };
  for (const d of [...DIRS, ...UNIT_SEARCH_PATH.filter((d) => !d.startsWith('/run/systemd/generator'))]) add(d, 1);
  const markers: string[] = [];
  for (const d of MARKER_DIRS) for (const name of listDir(root, d)) if (versionFromLibName(name) !== null) markers.push(`${d}/${name}`);
  return { copy, markers };
}

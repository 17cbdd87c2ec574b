/**
 * What dockerd applies to a container's first process: `--ulimit` (kept in
 * /var/lib/docker/containers/ID/hostconfig.json "Ulimits"), else `default-ulimits` of
 * /etc/docker/daemon.json (dockerd's --default-ulimit), else nothing: the container then inherits
 * the runtime's own limit through the shim.
 */
import { readOptional } from '../config-files.js';
import { memoRead, type ExplainContext } from '../context.js';

export interface DockerUlimit {
  soft: number;
  hard: number;
  file: string;
}

function nofileOf(list: unknown, file: string): DockerUlimit | null {
  const items = Array.isArray(list) ? list : list && typeof list === 'object' ? Object.values(list as Record<string, unknown>) : [];
  for (const u of items as Array<Record<string, unknown>>) {
    if (u && u.Name === 'nofile' && Number.isInteger(u.Soft) && Number.isInteger(u.Hard)) return { soft: u.Soft as number, hard: u.Hard as number, file };
  }
  return null;
}

/**
 * default-ulimits.nofile of daemon.json ({"default-ulimits": {"nofile": {"Name": "nofile", "Soft": N, "Hard": M}}}),
 * at `file` (dockerd's --config-file; default /etc/docker/daemon.json). Throws on malformed JSON.
 */
export function daemonDefaultUlimit(ctx: ExplainContext, root: string, file = '/etc/docker/daemon.json'): DockerUlimit | null {
  const r = memoRead(ctx, `docker:json:${file}`, () => {
    const text = readOptional(root, file);
    return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
  });
  if (!r.ok) throw new Error(`${file}: ${r.error}`);
  return r.value ? nofileOf(r.value['default-ulimits'], file) : null;
}

/**
 * The container's own --ulimit nofile: a value, null (none given), or undefined (hostconfig.json not
 * readable here). `dataRoot`: the data root of the dockerd that runs it (default /var/lib/docker).
 */
export function containerUlimit(ctx: ExplainContext, root: string, id: string, dataRoot = '/var/lib/docker'): DockerUlimit | null | undefined {
  if (!/^[0-9a-f]{64}$/.test(id)) return undefined;
  let base = dataRoot;
  while (base.length > 1 && base.endsWith('/')) base = base.slice(0, -1);
  const file = `${base}/containers/${id}/hostconfig.json`;
  const r = memoRead(ctx, `docker:hostconfig:${file}`, () => {
    const text = readOptional(root, file);
    return text === null ? undefined : (JSON.parse(text) as Record<string, unknown>);
  });
  if (!r.ok || r.value === undefined) return undefined;
  return nofileOf(r.value.Ulimits, file);
}

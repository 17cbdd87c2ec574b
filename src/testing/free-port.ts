/**
 * A TCP port no socket of any network namespace on this host uses, for the few live tests whose
 * verdict is about every namespace at once (`sockdoc port P` without --netns: "listens only inside
 * netns X", "nothing listens in N namespaces"). A fixed port would be judged together with whatever
 * else holds it (another test, a host in trouble). Root only: it reads every process's namespace.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

/** Local ports in /proc/net/tcp{,6} text (the second column's hex after the colon). */
export function localPorts(text: string): Set<number> {
  const ports = new Set<number>();
  for (const line of text.split('\n').slice(1)) {
    const local = line.trim().split(/\s+/)[1];
    const hex = local?.split(':')[1];
    if (hex) ports.add(parseInt(hex, 16));
  }
  return ports;
}

/** Every port in use in any namespace: one process per namespace, and every `ip netns` name. */
export function portsInUseEverywhere(): Set<number> {
  const used = new Set<number>();
  const add = (text: string) => localPorts(text).forEach((p) => used.add(p));
  const seen = new Set<string>();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const ns = readlinkSync(`/proc/${pid}/ns/net`);
      if (seen.has(ns)) continue;
      seen.add(ns);
      add(readFileSync(`/proc/${pid}/net/tcp`, 'latin1') + readFileSync(`/proc/${pid}/net/tcp6`, 'latin1'));
    } catch {
      // Exited meanwhile, or a kernel thread: nothing to read.
    }
  }
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    // No `ip netns` namespaces.
  }
  for (const name of names) {
    const r = spawnSync('nsenter', [`--net=/run/netns/${name}`, 'cat', '/proc/net/tcp', '/proc/net/tcp6'], { encoding: 'latin1', timeout: 10_000 });
    if (r.status === 0) add(r.stdout);
  }
  return used;
}

/** A random port in [20000, 31000) (below the default ephemeral range) used nowhere on this host now. */
export function portFreeEverywhere(): number {
  const used = portsInUseEverywhere();
  for (let i = 0; i < 50; i++) {
    const p = randomInt(20_000, 31_000);
    if (!used.has(p)) return p;
  }
  throw new Error('no free port in 20000-30999 in 50 tries');
}

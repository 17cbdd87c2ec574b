/**
 * Reading a network namespace's NAT rules, read-only: `iptables-save -t nat` and `nft list ruleset`
 * when installed, run inside the namespace (nsenter through the fd of /proc/PID/ns/net or the `ip netns`
 * path, opened and checked against the namespace's inode);
 * root only (both need CAP_NET_ADMIN). A capture keeps their output as nat/iptables-save.txt and
 * nat/nft-ruleset.txt of the namespace (DIR/ for its own, DIR/netns/INODE/ for the others), read
 * back by the same parsers. Nothing is ever written to the rules; the legacy xtables backend is only
 * asked when its nat table is already loaded (asking would load the module).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { parseIptablesSave, parseNftRuleset, type NatTable } from './nat-rules.js';
import { outcomeOf, readOptionalUnder } from './read-file.js';

export interface NatSource {
  inode: number;
  /** A process of the namespace (its /proc/PID/ns/net is entered), or null. */
  pid: number | null;
  /** /run/netns/NAME of an `ip netns` namespace, or null. */
  namedPath: string | null;
  /** The namespace sockdoc runs in (no nsenter). */
  own: boolean;
}

export interface NatRead {
  table: NatTable | null;
  /** Why the rules were not read, for a note; null when read (or when there is nothing to read). */
  note: string | null;
  /** The texts read, as a capture keeps them. */
  texts: { iptables: string | null; nft: string | null };
}

const TIMEOUT_MS = 5000;

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', timeout: TIMEOUT_MS }).status === 0;
}

/**
 * Runs argv in the namespace: `fd` (null: sockdoc's own) is the namespace file opened and checked
 * against the inode asked for, handed to nsenter as its fd 3, so a reused pid or a re-created name
 * cannot make it enter another namespace (as src/probe/netns-read.ts enters through the checked fd).
 */
function run(fd: number | null, argv: string[]): string | null {
  const [cmd, ...args] = [...(fd === null ? [] : ['nsenter', '--net=/proc/self/fd/3']), ...argv];
  const r = spawnSync(cmd, args, { encoding: 'latin1', timeout: TIMEOUT_MS, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe', ...(fd === null ? [] : [fd])] });
  return r.status === 0 ? r.stdout : null;
}

/** The namespace's file opened, when it still is the namespace `src.inode` names; else why not. */
function openChecked(src: NatSource): { fd: number } | { note: string } {
  const path = src.namedPath ?? `/proc/${src.pid}/ns/net`;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return { note: `NAT rules of netns ${src.inode} were not read (${outcomeOf(err)} ${path})` };
  }
  if (fstatSync(fd).ino !== src.inode) {
    closeSync(fd);
    return { note: `NAT rules of netns ${src.inode} were not read: ${path} names another namespace now (the process exited and its pid was reused, or the name was re-created)` };
  }
  return { fd };
}

/** The two tables merged: chains of both (their names do not collide: nft's carry their table), entries of both. */
export function mergeNat(a: NatTable | null, b: NatTable | null): NatTable | null {
  if (!a || !b) return a ?? b;
  return { chains: new Map([...a.chains, ...b.chains]), entries: [...a.entries, ...b.entries] };
}

/** The NAT rules of one namespace, live (root '/') or from a capture. */
export function readNatRules(root: string, src: NatSource): NatRead {
  if (root !== '/') {
    const dir = src.own ? '' : `netns/${src.inode}/`;
    let iptables: string | null = null;
    let nft: string | null = null;
    try {
      iptables = readOptionalUnder(root, `${dir}nat/iptables-save.txt`, 'config');
      nft = readOptionalUnder(root, `${dir}nat/nft-ruleset.txt`, 'config');
    } catch (err) {
      return { table: null, note: `NAT rules of the capture could not be read (${outcomeOf(err)})`, texts: { iptables: null, nft: null } };
    }
    const table = mergeNat(iptables !== null ? parseIptablesSave(iptables) : null, nft !== null ? parseNftRuleset(nft) : null);
    return { table, note: table ? null : 'the capture holds no NAT rules (made before sockdoc captured them, or not as root): a port published by a DNAT rule alone is not seen', texts: { iptables, nft } };
  }
  if (process.geteuid?.() !== 0) return { table: null, note: 'NAT rules were not read (iptables-save and nft need root): a port published by a DNAT rule alone is not seen', texts: { iptables: null, nft: null } };
  if (!src.own && src.pid === null && src.namedPath === null) return { table: null, note: null, texts: { iptables: null, nft: null } };
  const entry = src.own ? { fd: null } : openChecked(src);
  if ('note' in entry) return { table: null, note: entry.note, texts: { iptables: null, nft: null } };
  try {
    let iptables: string | null = null;
    if (onPath('iptables-save')) {
      const version = run(entry.fd, ['iptables-save', '--version']) ?? '';
      // The legacy backend would load iptable_nat to list it: only when its tables are already in use.
      const legacyNat = (run(entry.fd, ['cat', '/proc/net/ip_tables_names']) ?? '').split('\n').includes('nat');
      if (version.includes('nf_tables') || legacyNat) iptables = run(entry.fd, ['iptables-save', '-t', 'nat']);
    }
    const nft = onPath('nft') ? run(entry.fd, ['nft', 'list', 'ruleset']) : null;
    const table = mergeNat(iptables !== null ? parseIptablesSave(iptables) : null, nft !== null ? parseNftRuleset(nft) : null);
    return { table, note: null, texts: { iptables, nft } };
  } finally {
    if (entry.fd !== null) closeSync(entry.fd);
  }
}

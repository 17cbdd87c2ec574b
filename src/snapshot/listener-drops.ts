/**
 * "Dropping now" against "dropped once": each listener's drops (sk_drops, since it was created)
 * compared with an earlier reading of the same socket (same namespace, same inode). Used by the
 * sampling window of diagnose, by watch and diagnose --interval >= 10s between their samples, and
 * by serve between scrapes.
 */
import type { Listener, NetNamespace, NetnsInode } from './types.js';

/** Drops of each listener at one moment: namespace inode -> listener inode -> drops. */
export type DropsReading = Map<NetnsInode, Map<number, number>>;

/**
 * The reading of `listeners` (those whose drops are known). With `namespaces`, each one whose
 * sockets came from sock_diag gets an entry even with no listener: one that appears later is new.
 */
export function dropsReadingOf(listeners: readonly Listener[], namespaces: ReadonlyArray<Pick<NetNamespace, 'inode' | 'socketSource'>> = []): DropsReading {
  const out: DropsReading = new Map();
  for (const ns of namespaces) if (ns.socketSource === 'sock_diag') out.set(ns.inode, new Map());
  for (const l of listeners) {
    if (l.drops === null || l.drops === undefined) continue;
    let ns = out.get(l.netns);
    if (!ns) out.set(l.netns, (ns = new Map()));
    ns.set(l.inode, l.drops);
  }
  return out;
}

/**
 * Sets each listener's dropsDelta against `before`, whose namespaces were read (an entry, maybe
 * empty, per namespace read): the increase of the same socket; a listener the reading did not have
 * was created since, so all its drops are new. null where either end is unknown: drops unknown, or
 * the namespace not in the reading. Mutates `listeners`.
 */
export function setDropsDelta(listeners: readonly Listener[], before: DropsReading | null): void {
  for (const l of listeners) {
    const ns = before?.get(l.netns);
    if (l.drops === null || l.drops === undefined || !ns) {
      l.dropsDelta = null;
      continue;
    }
    const b = ns.get(l.inode);
    l.dropsDelta = b === undefined ? l.drops : l.drops >= b ? l.drops - b : null;
  }
}

/**
 * What a snapshot adds to its listeners beyond the socket table: the threads of the owners whose
 * clients wait (accept-wait-long tells "all threads busy" from "idle, not accepting"), and the
 * sentences that say where per-listener drops and accept waits could not be known.
 */
import { join } from 'node:path';
import { readPidThreads } from '../probe/pid-threads.js';
import type { WaitLookups } from '../probe/net-diag.js';
import type { SocketTable } from './socket-table.js';
import type { Listener, ProcessInfo } from './types.js';
import { dumpFlags, TCP_TABLE_PLAIN } from '../probe/native.js';

/** Owners whose threads are read per snapshot at most (each costs a stat read per thread). */
export const THREAD_SCAN_PROCESSES = 16;

/**
 * Reads the thread states of the owners of listeners whose longest wait is at least `minWaitMs`
 * (at most THREAD_SCAN_PROCESSES of them, the longest waits first). A process that cannot be read
 * gets null. Mutates the processes.
 */
export function readWaitingOwnersThreads(root: string, listeners: readonly Listener[], byPid: ReadonlyMap<number, ProcessInfo>, minWaitMs: number): void {
  const slow = listeners.filter((l) => (l.acceptWait?.maxMs ?? 0) >= minWaitMs).sort((a, b) => (b.acceptWait?.maxMs ?? 0) - (a.acceptWait?.maxMs ?? 0));
  const done = new Set<number>();
  for (const l of slow) {
    for (const pid of l.pids) {
      const p = byPid.get(pid);
      if (!p || done.has(pid) || done.size >= THREAD_SCAN_PROCESSES) continue;
      done.add(pid);
      try {
        p.threads = readPidThreads(root, pid);
      } catch {
        // Gone since the walk, refused (not root), or a capture that did not keep proc/PID/task: unknown.
        p.threads = null;
      }
    }
  }
}

/**
 * Why a namespace's listeners' drops and waits are unknown, by where its sockets came from: `where`
 * is the /proc/net/tcp file read, or for a capture the directory holding its sock_diag/ files.
 */
export function unknownWhy(source: 'sock_diag' | 'proc' | 'capture' | null, where: string, flags = dumpFlags()): { drops: string; waits: string } {
  if (source === 'sock_diag') {
    if (flags === TCP_TABLE_PLAIN) return { drops: 'not asked (SOCKDOC_LISTENER_EXTRAS=off)', waits: 'not asked (SOCKDOC_LISTENER_EXTRAS=off)' };
    return { drops: 'this kernel\'s sock_diag does not report them (SK_MEMINFO_DROPS: Linux 4.7+)', waits: 'the native module predates them (npm run build)' };
  }
  if (source === 'capture') {
    const why = `not in this capture (${join(where, 'sock_diag')}: made by an older sockdoc, or without its native module)`;
    return { drops: why, waits: why };
  }
  const why = `the sockets were read from ${where}, which does not show them (only sock_diag does)`;
  return { drops: why, waits: why };
}

/** The TCP listeners: unix_diag counts no drops and no waits of a unix-domain one, so there is nothing unknown to say of them. */
function tcpOnly(listeners: readonly Listener[]): Listener[] {
  return listeners.filter((l) => l.family !== 'unix');
}

/**
 * For the namespace a capture was made in: the files it lacks for drops and waits, as items of its
 * "Not read, so not judged" note (net-pressure.ts) rather than sentences of their own.
 */
export function notCaptured(table: SocketTable, all: readonly Listener[]): string[] {
  const listeners = tcpOnly(all);
  if (listeners.length === 0) return [];
  const drops = !listeners.some((l) => l.drops !== null && l.drops !== undefined);
  const waits = table.waitedMs === null;
  if (drops && waits) return ['listener drops and accept waits (sock_diag)'];
  if (drops) return ['listener drops (sock_diag/tcp-listen.bin)'];
  return waits ? ['accept waits (sock_diag/tcp-waiting.bin)'] : [];
}

/**
 * The sentences for a namespace whose listeners' drops or accept waits are unknown or partly
 * measured. `scope` names it ("" for sockdoc's own, "docker container web: " for another).
 */
export function listenerExtrasNotes(scope: string, table: SocketTable, all: readonly Listener[], waits: WaitLookups | null | undefined, why: { drops: string; waits: string }): string[] {
  const listeners = tcpOnly(all);
  if (listeners.length === 0) return [];
  const notes: string[] = [];
  const dropsKnown = listeners.some((l) => l.drops !== null && l.drops !== undefined);
  const waitsKnown = table.waitedMs !== null;
  const cap = (t: string) => (scope ? t : t[0].toUpperCase() + t.slice(1));
  if (!dropsKnown && !waitsKnown && why.drops === why.waits) notes.push(`${scope}${cap('per-listener drops and accept waits are unknown')}: ${why.drops}.`);
  else {
    if (!dropsKnown) notes.push(`${scope}${cap('per-listener drops are unknown')}: ${why.drops}.`);
    if (!waitsKnown) notes.push(`${scope}${cap('accept waits are unknown')}: ${why.waits}.`);
  }
  if (waits?.skipped) {
    notes.push(`${scope}${cap('accept waits were measured')} for an even sample of ${waits.measured + waits.gone} of ${waits.measured + waits.gone + waits.skipped} waiting connections (the rest cost too much to look up one by one).`);
  }
  if (waits?.error) notes.push(`${scope}${cap('accept waits are partly unknown')}: the tcp_info lookups stopped (${waits.error}).`);
  return notes;
}

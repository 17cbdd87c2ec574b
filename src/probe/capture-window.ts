/**
 * ROOT/sockdoc-window.json: the start of the sampling window `sockdoc capture` made (every network
 * namespace's TcpExt/Tcp counters and owned CLOSE_WAIT inodes, read `intervalMs` before the rest
 * of the capture), so a replay judges CLOSE_WAIT and counters over the same window a live run
 * would (snapshot/window.ts). A capture without it (older ones, `--interval 0`) is one read.
 *
 * Shape: {"format": 1, "intervalMs": 1000, "netns": [{"inode": 4026531840,
 *   "counters": {"TcpExt.ListenOverflows": 3, …} | null, "closeWait": [41623, …] | null,
 *   "listenerDrops": [[41601, 12], …] | null (optional: each listener's inode and its own drops,
 *   sk_drops, at the start; absent in captures made before it was recorded),
 *   "empty": true (optional: its sockstat counted no socket, nothing else was read)}, …]}
 * With listenerDrops a replay knows how many each listener dropped in the window (Listener.dropsDelta)
 * as a live run does; without it that is unknown, and the report says so (snapshot/build.ts).
 * A capture is a stranger's file: every value is checked, and a file that does not hold exactly
 * this shape is refused whole (the report says so and stays a one-read report).
 */
import { readOptionalUnder } from './read-file.js';
import type { NetnsPoint, WindowStart } from '../snapshot/types.js';

export const CAPTURE_WINDOW = 'sockdoc-window.json';

/** Longest window a capture may claim (the CLI allows --interval up to this). */
const MAX_INTERVAL_MS = 3600_000;

export interface CaptureWindow {
  start: WindowStart;
  intervalMs: number;
  /** The file records the listeners' drops at the start (captures since the end of issue 23); false: each listener's dropsDelta is unknown. */
  listenerDrops: boolean;
}

/** At most this many listeners per namespace in the file (a stranger's file is bounded like the rest). */
const MAX_LISTENERS_PER_NETNS = 1_000_000;

/** The file's text for a window start read `intervalMs` before the capture. */
export function formatCaptureWindow(start: WindowStart, intervalMs: number): string {
  const netns = [...start.byNetns].map(([inode, p]) => ({
    inode,
    counters: p.counters,
    closeWait: p.closeWait === null ? null : [...p.closeWait].sort((a, b) => a - b),
    // Always written (null: not read), so a replay tells "not read" from "made before it was recorded".
    listenerDrops: p.listenerDrops ? [...p.listenerDrops].sort((a, b) => a[0] - b[0]) : null,
    ...(p.empty ? { empty: true } : {}),
  }));
  return JSON.stringify({ format: 1, intervalMs, netns }) + '\n';
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function counters(v: unknown): Record<string, number> | null {
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error('counters is not an object');
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
    // "TcpExt.ListenOverflows": the names netstat.ts gives; anything else is not ours.
    // Tcp.MaxConn is -1 (RFC 2012: dynamic): counters are integers, not all of them counts.
    if (!/^[A-Za-z0-9]{1,32}\.[A-Za-z0-9_]{1,64}$/.test(k) || typeof n !== 'number' || !Number.isSafeInteger(n)) throw new Error(`counter ${JSON.stringify(k).slice(0, 80)} is not a counter`);
    out[k] = n;
  }
  return out;
}

function inodes(v: unknown): Set<number> | null {
  if (v === null) return null;
  if (!Array.isArray(v) || !v.every((n) => isCount(n) && n > 0)) throw new Error('closeWait is not a list of inodes');
  return new Set(v as number[]);
}

function dropsByListener(v: unknown): Map<number, number> | null {
  if (v === null) return null;
  if (!Array.isArray(v) || v.length > MAX_LISTENERS_PER_NETNS) throw new Error('listenerDrops is not a list');
  const out = new Map<number, number>();
  for (const pair of v as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isCount(pair[0]) || pair[0] === 0 || !isCount(pair[1])) throw new Error('listenerDrops holds something other than [inode, drops]');
    if (out.has(pair[0])) throw new Error(`listener ${pair[0]} appears twice`);
    out.set(pair[0], pair[1]);
  }
  return out;
}

/** Parses the file; throws an Error saying what is wrong. */
export function parseCaptureWindow(text: string): CaptureWindow {
  const doc = JSON.parse(text) as { format?: unknown; intervalMs?: unknown; netns?: unknown } | null;
  if (!doc || typeof doc !== 'object' || doc.format !== 1) throw new Error('not format 1');
  if (!isCount(doc.intervalMs) || doc.intervalMs === 0 || doc.intervalMs > MAX_INTERVAL_MS) throw new Error('intervalMs is not a window length');
  if (!Array.isArray(doc.netns)) throw new Error('netns is not a list');
  const byNetns = new Map<number, NetnsPoint>();
  let recordsDrops = false;
  for (const e of doc.netns as Array<{ inode?: unknown; counters?: unknown; closeWait?: unknown; listenerDrops?: unknown; empty?: unknown } | null>) {
    if (!e || typeof e !== 'object' || !isCount(e.inode)) throw new Error('a netns entry has no inode');
    if (byNetns.has(e.inode)) throw new Error(`netns ${e.inode} appears twice`);
    if (e.empty !== undefined && e.empty !== true) throw new Error(`netns ${e.inode}: empty is not true`);
    const point: NetnsPoint = { counters: counters(e.counters ?? null), closeWait: inodes(e.closeWait ?? null) };
    if (e.listenerDrops !== undefined) {
      recordsDrops = true;
      point.listenerDrops = dropsByListener(e.listenerDrops);
    }
    if (e.empty === true) point.empty = true;
    byNetns.set(e.inode, point);
  }
  return { start: { byNetns }, intervalMs: doc.intervalMs, listenerDrops: recordsDrops };
}

/**
 * The capture's window, null when it has none, or the reason it was refused (a damaged or foreign
 * file: the report is then one read, and says why).
 */
export function readCaptureWindow(root: string): CaptureWindow | null | { refused: string } {
  let text: string | null;
  try {
    // proc-table's size cap: a host with a million CLOSE_WAIT sockets writes ~10 MB of inodes.
    text = readOptionalUnder(root, CAPTURE_WINDOW, 'proc-table');
  } catch (err) {
    return { refused: (err as Error).message };
  }
  if (text === null) return null;
  try {
    return parseCaptureWindow(text);
  } catch (err) {
    return { refused: (err as Error).message.split('\n')[0].slice(0, 200) };
  }
}

/**
 * The exporter's memory budget (issue 23: a DaemonSet limited to 256Mi must not be OOM-killed in a
 * loop on a node where a tenant churns namespaces). Where serve's memory went, measured with 2,000
 * namespaces of one full listener each (docs/benchmarks.md "serve's memory"):
 * - the C heap, not V8's: the native readers run on threads, glibc gives each an arena, and a
 *   flood leaves the arenas full of free pages that free() never returns (RSS stayed at its peak);
 *   returnFreeMemory() gives them back with malloc_trim after each scrape that left enough free;
 * - the scrape worker's V8 heap grows with the largest scrape and V8 keeps it: the worker gets an
 *   old-space limit (SCRAPE_WORKER_LIMITS), so its GC works harder instead of growing; a worker
 *   that still runs out is replaced (worker-scraper.ts) and the scrape answers partial;
 * - the main thread kept each snapshot's model, its rendered text and prom-client's label maps:
 *   the worker now renders, and the main thread holds the bytes of the last answer only.
 */
import { getHeapStatistics } from 'node:v8';
import type { ResourceLimits } from 'node:worker_threads';
import { loadNativeAddon, type MallocStats } from '../probe/native.js';

/**
 * The scrape worker's V8 limits. Old space 192 MB: the live data of a scrape of 100k sockets and
 * 2,000 namespaces is ~100 MB (the socket table itself is typed arrays outside it); young space
 * 16 MB (V8's default semi-spaces are 16 MB each, three of them): scavenges stay short and cheap.
 */
export const SCRAPE_WORKER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 16 };

/** The most a replaced worker's old space is raised to (worker-scraper.ts doubles it at each out-of-memory). */
export const MAX_OLD_SPACE_MB = 1536;

/** malloc_trim only when at least this much is free in the arenas: a trim walks them (tens of ms at a flood's peak). */
export const TRIM_ABOVE_BYTES = 16 * 1024 * 1024;

/**
 * glibc's malloc settings for the exporter (native/heap.c mallocLimits), unless the environment
 * sets them (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_: the operator's choice wins):
 * - 2 arenas: the reader threads (a thread per CPU for each batch of namespaces, the fd walk's)
 *   share them instead of each getting one of up to 8 per core, each holding the high-water mark
 *   of the reads it served;
 * - blocks of 256 KiB and more are mmap'd and unmapped when freed (a fixed threshold also stops
 *   glibc raising it to the largest block freed, after which a namespace's socket table and dump
 *   buffers stay in an arena).
 * Measured on the serve stress bench (docs/benchmarks.md "serve under a namespace flood").
 */
export const MALLOC_ARENA_MAX = 2;
export const MMAP_THRESHOLD_BYTES = 256 * 1024;

/** Applies MALLOC_ARENA_MAX and MMAP_THRESHOLD_BYTES to this process where the environment does not set them; false when the addon could not. */
export function limitCHeap(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    const addon = loadNativeAddon();
    if (typeof addon.mallocLimits !== 'function') return false;
    return addon.mallocLimits(env.MALLOC_ARENA_MAX ? 0 : MALLOC_ARENA_MAX, env.MALLOC_MMAP_THRESHOLD_ ? 0 : MMAP_THRESHOLD_BYTES);
  } catch {
    // Not built, or built for another Node: glibc's defaults stay.
    return false;
  }
}

/** One thread's V8 heap. */
export interface HeapReading {
  usedBytes: number;
  /** The heap's ceiling (a worker's resourceLimits, the main thread's --max-old-space-size or V8's default). */
  limitBytes: number;
}

/** This thread's V8 heap now. */
export function heapReading(): HeapReading {
  const h = getHeapStatistics();
  return { usedBytes: h.used_heap_size, limitBytes: h.heap_size_limit };
}

/** The process's C heap: its statistics and a trim (native/heap.c). */
export interface CHeap {
  stats(): MallocStats | null;
  trim(): boolean;
}

/** The C heap through the native addon; null when the addon is not built or lacks heap.c. */
export function nativeCHeap(): CHeap | null {
  try {
    const addon = loadNativeAddon();
    const { mallocStats, mallocTrim } = addon;
    if (typeof mallocStats !== 'function' || typeof mallocTrim !== 'function') return null;
    return { stats: () => mallocStats.call(addon), trim: () => mallocTrim.call(addon) };
  } catch {
    // Not built, or built for another Node: memory is not returned early, nothing else changes.
    return null;
  }
}

/** What returnFreeMemory did: the free bytes it saw, and whether it trimmed. */
export interface ReturnedMemory {
  freeBytes: number | null;
  trimmed: boolean;
}

/** Gives the C heap's free pages back to the system when more than `aboveBytes` are free. */
export function returnFreeMemory(heap: CHeap | null, aboveBytes = TRIM_ABOVE_BYTES): ReturnedMemory {
  const stats = heap?.stats() ?? null;
  if (!heap || !stats || stats.freeBytes < aboveBytes) return { freeBytes: stats?.freeBytes ?? null, trimmed: false };
  heap.trim();
  return { freeBytes: stats.freeBytes, trimmed: true };
}

/**
 * How many connections `sockdoc serve` holds, and whose it closes when it must. Every connection
 * is an fd and a slot; with one bound for all (256), a local user holding 256-300 idle connections
 * left Prometheus 6-31% of its scrapes. So connections are counted per peer (peer-identity.ts:
 * the local user by uid, else the address):
 * - a peer holds at most `perPeer` (32: a browser opens 6 per host, Prometheus 1-2);
 * - a new connection of a peer at that bound closes that peer's least recently used keep-alive
 *   connection (a browser that left some open), or is refused when it has none: its connections
 *   are all busy, or were never used (what a hoarder holds: its newest attempt is the one refused,
 *   cheaply, before any HTTP parsing);
 * - when all `total` slots are taken, a new connection closes an idle connection of the peer that
 *   holds the most — never-used ones first (a connection that never sent a request is what a
 *   hoarder holds), oldest first — so whoever hoards pays, and a scraper arriving with one
 *   connection always gets in.
 * "Idle": no request in progress. A dashboard event stream is a request in progress for its whole
 * life; their number is bounded by the dashboard itself (src/dashboard/routes.ts).
 * Pure bookkeeping over opaque handles (sockets in http-server.ts, numbers in tests).
 */

export interface ConnectionLimits {
  /** Connections held at once, all peers together. */
  total: number;
  /** Connections one peer may hold. */
  perPeer: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { total: 256, perPeer: 32 };

interface Entry {
  peer: string;
  openedAt: number;
  /** Requests in progress on it (0 or 1 with HTTP/1.1; an event stream stays at 1). */
  busy: number;
  /** Requests it has carried. */
  requests: number;
  lastActive: number;
}

export type Admission<H> =
  | { admitted: true; evict: H[] }
  | { admitted: false; evict: H[]; why: 'peer-full' | 'all-busy' };

export class ConnectionTable<H> {
  private readonly entries = new Map<H, Entry>();
  private readonly byPeer = new Map<string, Set<H>>();
  private clock = 0;

  constructor(readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  /** Connections `peer` holds now. */
  held(peer: string): number {
    return this.byPeer.get(peer)?.size ?? 0;
  }

  /**
   * A new connection of `peer`: what to close to make room (already forgotten here: the caller
   * closes them), and whether the new one is kept (recorded) or must be refused.
   */
  admit(handle: H, peer: string): Admission<H> {
    const evict: H[] = [];
    if (this.held(peer) >= this.limits.perPeer) {
      const own = this.idlest(peer, true);
      if (own === null) return { admitted: false, evict, why: 'peer-full' };
      evict.push(own);
      this.remove(own);
    } else if (this.entries.size >= this.limits.total) {
      const victim = this.victim();
      if (victim === null) return { admitted: false, evict, why: 'all-busy' };
      evict.push(victim);
      this.remove(victim);
    }
    const now = ++this.clock;
    this.entries.set(handle, { peer, openedAt: now, busy: 0, requests: 0, lastActive: now });
    let set = this.byPeer.get(peer);
    if (!set) this.byPeer.set(peer, (set = new Set()));
    set.add(handle);
    return { admitted: true, evict };
  }

  /** A request began on the connection. */
  started(handle: H): void {
    const e = this.entries.get(handle);
    if (!e) return;
    e.busy++;
    e.requests++;
    e.lastActive = ++this.clock;
  }

  /** Its response ended (finished or aborted). */
  ended(handle: H): void {
    const e = this.entries.get(handle);
    if (!e || e.busy === 0) return;
    e.busy--;
    e.lastActive = ++this.clock;
  }

  /** The connection closed. */
  remove(handle: H): void {
    const e = this.entries.get(handle);
    if (!e) return;
    this.entries.delete(handle);
    const set = this.byPeer.get(e.peer);
    set?.delete(handle);
    if (set?.size === 0) this.byPeer.delete(e.peer);
  }

  /**
   * The idle connection of `peer` to close first: never used, oldest first; then least recently
   * used. `usedOnly`: keep-alive connections only.
   */
  private idlest(peer: string, usedOnly = false): H | null {
    let best: H | null = null;
    let bestUsed = true;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const h of this.byPeer.get(peer) ?? []) {
      const e = this.entries.get(h)!;
      if (e.busy > 0) continue;
      // Never-used connections go before every used one; within each, the longest untouched first.
      const used = e.requests > 0;
      if (usedOnly && !used) continue;
      const at = used ? e.lastActive : e.openedAt;
      if ((bestUsed && !used) || (used === bestUsed && at < bestAt)) {
        best = h;
        bestUsed = used;
        bestAt = at;
      }
    }
    return best;
  }

  /** With every slot taken: an idle connection of the peer holding the most (then the next one). */
  private victim(): H | null {
    const peers = [...this.byPeer.entries()].sort((a, b) => b[1].size - a[1].size);
    for (const [peer] of peers) {
      const h = this.idlest(peer);
      if (h !== null) return h;
    }
    return null;
  }
}

/**
 * The gateway's cache of one read-mostly subgraph's answers (catalog, vendors: products,
 * prices and vendors change rarely and are read on every order view).
 *
 * It is emptied by the owning service's own changes, not by a timer alone: every mutation the
 * gateway sends to that subgraph empties it before it is sent and again when it returns, and an
 * answer that was being fetched while a change was under way is not kept (it may predate the
 * change). So once a mutation has answered, no client of this gateway reads what it replaced.
 * Entries also expire after `ttlMs`: the bound on staleness for changes made without going
 * through this gateway (another gateway instance, a script).
 */
/** What `npm start` caches: products, prices and vendors, for at most 30 s after a change made elsewhere. */
export const defaultCachedSubgraphs = { subgraphs: ['catalog', 'vendors'], ttlMs: 30_000 } as const;

export class ReadMostlyCache<T = unknown> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();
  /** Bumped by every change: a fill that began under an older generation is not kept. */
  private generation = 0;
  private changesInFlight = 0;

  constructor(private readonly options: { ttlMs: number; maxEntries: number }) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Fetches a missing entry and keeps it if `keep` says so and nothing changed meanwhile. */
  async fill(key: string, fetch: () => Promise<T>, keep: (value: T) => boolean): Promise<T> {
    const startedAt = this.generation;
    const value = await fetch();
    if (startedAt === this.generation && this.changesInFlight === 0 && keep(value)) {
      // Oldest first out: a Map iterates in insertion order.
      if (this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { value, expiresAt: Date.now() + this.options.ttlMs });
    }
    return value;
  }

  /** Runs a change (a mutation sent to the owning subgraph), emptying the cache around it. */
  async aroundChange<R>(change: () => Promise<R>): Promise<R> {
    this.invalidate();
    this.changesInFlight++;
    try {
      return await change();
    } finally {
      this.changesInFlight--;
      this.invalidate();
    }
  }

  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

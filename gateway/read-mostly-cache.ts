export interface CacheSettings {
  /** Subgraphs whose answers are cached. */
  subgraphs: readonly string[];
  ttlMs: number;
  /** Per subgraph: characters of answer text held at most, and the largest answer kept. */
  maxBytes: number;
  maxEntryBytes: number;
}

/** What `npm start` caches: products, prices and vendors, for at most 30 s after a change made elsewhere, 32 MB each. */
export const defaultCachedSubgraphs: CacheSettings = { subgraphs: ['catalog', 'vendors'], ttlMs: 30_000, maxBytes: 32 * 1024 * 1024, maxEntryBytes: 256 * 1024 };

/**
 * The gateway's cache of one read-mostly subgraph's answers (catalog, vendors: products,
 * prices and vendors change rarely and are read on every order view). What goes in and when
 * it is emptied is decided by the subgraph's data source (gateway/data-source.ts): it is emptied
 * around every mutation the gateway sends to that subgraph, and an answer fetched across a
 * change is never kept. Entries also expire after `ttlMs`, the bound on staleness for changes
 * made without going through this gateway (another gateway instance, a script).
 *
 * Memory is bounded by size, not only by count: any caller can make new keys (an alias, a
 * variable), so answers above `maxEntryBytes` are not kept and the oldest entries go first once
 * `maxBytes` would be passed.
 */
export class ReadMostlyCache<T> {
  private readonly entries = new Map<string, { value: T; bytes: number; expiresAt: number }>();
  private bytes = 0;

  constructor(private readonly options: { ttlMs: number; maxBytes: number; maxEntryBytes: number }) {}

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.remove(key);
    return undefined;
  }

  set(key: string, value: T, bytes: number): void {
    if (bytes > this.options.maxEntryBytes) return;
    this.remove(key);
    // Oldest first out (a Map iterates in insertion order); expired entries are among the oldest.
    for (const oldest of this.entries.keys()) {
      if (this.bytes + bytes <= this.options.maxBytes) break;
      this.remove(oldest);
    }
    this.entries.set(key, { value, bytes, expiresAt: Date.now() + this.options.ttlMs });
    this.bytes += bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  /** Entries and the characters of answer text they hold. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}

/** Keys kept at most: past it the next read starts afresh (a service's hot keys are far fewer). */
const MAX_KEYS = 10_000;

/**
 * What a process read recently, by key, for views that are asked for again and again (the stock
 * of an order's skus on every order view): each key is read at most once per `shownForMs`. Every
 * change the process makes to what is read here must call `changed()`, which drops everything,
 * and a read that a change overlapped is not kept: what this process changed shows at once. A
 * change made by another process (a service scaled out) shows within `shownForMs`. Only for
 * what is shown; a decision reads the database itself.
 */
export class RecentReads<V> {
  private readonly entries = new Map<string, { value: V; readAt: number }>();
  private changes = 0;

  constructor(
    /** Reads the values of `keys`; a key it gives nothing for gets `absent`. */
    private readonly read: (keys: readonly string[]) => Promise<Map<string, V>>,
    private readonly absent: V,
    private readonly shownForMs: number,
  ) {}

  /** Each key's value, in the order asked. */
  async get(keys: readonly string[]): Promise<V[]> {
    const readAt = Date.now();
    const answer = new Map<string, V>();
    const missing: string[] = [];
    for (const key of keys) {
      const recent = this.entries.get(key);
      if (recent && readAt - recent.readAt < this.shownForMs) answer.set(key, recent.value);
      else missing.push(key);
    }
    if (missing.length > 0) {
      const changesBefore = this.changes;
      const read = await this.read(missing);
      const kept = this.changes === changesBefore; // a change during the read: what it read may be older
      if (kept && this.entries.size + missing.length > MAX_KEYS) this.entries.clear();
      for (const key of missing) {
        const value = read.get(key) ?? this.absent;
        answer.set(key, value);
        if (kept) this.entries.set(key, { value, readAt });
      }
    }
    return keys.map((key) => answer.get(key)!);
  }

  /** Something read here changed, or may have (a write that failed part-way): nothing read before is shown again. */
  changed(): void {
    this.changes += 1;
    this.entries.clear();
  }
}

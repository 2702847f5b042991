import type { Overview } from './types.ts';

/** What loading one batch gave: the overviews by name, or `unavailable` when the monitor has no such route. */
export type BatchResult = Readonly<Record<string, Overview>> | 'unavailable';

export interface OverviewCacheOptions {
  /** Loads at most `batchSize` names (GET /api/v1/overview?checks=...). Rejects on any other failure. */
  readonly load: (names: readonly string[]) => Promise<BatchResult>;
  /** Called after entries arrived (or the route turned out missing): re-render. */
  readonly onChange: () => void;
  readonly now?: () => number;
  /** An entry older than this is loaded again when its row is in view. */
  readonly ttlMs?: number;
  /** A name whose batch failed is not asked for again before this. */
  readonly retryMs?: number;
  readonly batchSize?: number;
  /** Entries kept at most (least recently used go first): scrolling through 10,000 rows must not keep them all. */
  readonly maxEntries?: number;
}

/** The API's limit on names per overview request. */
export const OVERVIEW_BATCH = 100;

/**
 * The 90-day bars and sparklines of the rows in view: fetched in batches of at most 100
 * names, only for names not cached (or stale) and not already asked for, kept in a bounded
 * LRU. When the monitor has no overview route (an older monitor) it stops asking and the
 * rows show no bars.
 */
export class OverviewCache {
  private readonly entries = new Map<string, { overview: Overview; at: number }>();
  private readonly inFlight = new Set<string>();
  private readonly failed = new Map<string, number>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly retryMs: number;
  private readonly batchSize: number;
  private readonly maxEntries: number;
  /** True once the monitor answered that it has no overview route. */
  unavailable = false;

  constructor(private readonly options: OverviewCacheOptions) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.retryMs = options.retryMs ?? 30_000;
    this.batchSize = Math.min(OVERVIEW_BATCH, Math.max(1, options.batchSize ?? OVERVIEW_BATCH));
    this.maxEntries = options.maxEntries ?? 2_000;
  }

  get(name: string): Overview | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    // Touch: most recently used last, evicted last.
    this.entries.delete(name);
    this.entries.set(name, entry);
    return entry.overview;
  }

  /** The names (of the rows in view) that need loading now. */
  missing(names: readonly string[]): string[] {
    if (this.unavailable) return [];
    const now = this.now();
    const out: string[] = [];
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name) || this.inFlight.has(name)) continue;
      seen.add(name);
      const entry = this.entries.get(name);
      if (entry && now - entry.at < this.ttlMs) continue;
      const failedAt = this.failed.get(name);
      if (failedAt !== undefined && now - failedAt < this.retryMs) continue;
      out.push(name);
    }
    return out;
  }

  /** Loads what the rows in view lack, in batches; resolves when those batches settled. */
  async want(names: readonly string[]): Promise<void> {
    const need = this.missing(names);
    const batches: string[][] = [];
    for (let i = 0; i < need.length; i += this.batchSize) batches.push(need.slice(i, i + this.batchSize));
    await Promise.all(batches.map((batch) => this.loadBatch(batch)));
  }

  /** Forgets everything (after a reset of the live stream or a sign-in) and asks the monitor again. */
  clear(): void {
    this.entries.clear();
    this.failed.clear();
    this.unavailable = false;
  }

  get size(): number {
    return this.entries.size;
  }

  private async loadBatch(batch: string[]): Promise<void> {
    for (const name of batch) this.inFlight.add(name);
    try {
      const result = await this.options.load(batch);
      const at = this.now();
      if (result === 'unavailable') this.unavailable = true;
      else {
        for (const name of batch) {
          const overview = result[name];
          if (overview) {
            this.entries.delete(name);
            this.entries.set(name, { overview, at });
            this.failed.delete(name);
          } else this.failed.set(name, at);
        }
        this.evict();
      }
    } catch {
      const at = this.now();
      for (const name of batch) this.failed.set(name, at);
    } finally {
      for (const name of batch) this.inFlight.delete(name);
    }
    this.options.onChange();
  }

  private evict(): void {
    for (const name of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(name);
    }
  }
}

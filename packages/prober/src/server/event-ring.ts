/** One event as kept: `results` holds one serialized Update per check, `config` its data. */
export interface RingEntry {
  readonly seq: number;
  readonly event: 'results' | 'config';
  readonly parts: readonly string[];
  /** results: the check of each part, in the same order. */
  readonly checks: readonly string[];
  readonly bytes: number;
}

export interface EventRing {
  /** `<bootId>.<seq>`: the id of event `seq` of this process. */
  idOf(seq: number): string;
  /** The newest event's seq (0 before the first). */
  readonly seq: number;
  readonly size: number;
  readonly bytes: number;
  /** Keeps a new event (the oldest go past the bounds) and returns it. */
  add(event: RingEntry['event'], parts: readonly string[], checks: readonly string[]): RingEntry;
  /** The event as a client with this filter reads it; undefined when none of its results pass the filter. */
  render(entry: RingEntry, filter: ReadonlySet<string> | undefined): Buffer | undefined;
  /**
   * The events after `lastEventId` for a client with this filter, at most
   * maxBytes of them; undefined when it must reset: an id of another boot,
   * not of this one, no longer kept, or further behind than maxBytes.
   */
  after(lastEventId: string, filter: ReadonlySet<string> | undefined, maxBytes: number): Buffer[] | undefined;
}

const ID = /^([0-9A-Za-z_-]{1,64})\.([0-9]{1,15})$/;

/**
 * The recent events a reconnecting client is served from, bounded by count
 * and by bytes. Results are kept as their serialized parts, so an event is
 * rendered for any filter by joining strings, never by serializing again.
 */
export function createEventRing(bootId: string, maxEvents: number, maxBytes: number): EventRing {
  const ring: RingEntry[] = [];
  let bytes = 0;
  let seq = 0;
  const idOf = (n: number) => `${bootId}.${n}`;

  const render = (entry: RingEntry, filter: ReadonlySet<string> | undefined): Buffer | undefined => {
    let data: string;
    if (entry.event === 'config') data = entry.parts[0] as string;
    else {
      const parts = filter ? entry.parts.filter((_, i) => filter.has(entry.checks[i] as string)) : entry.parts;
      if (parts.length === 0) return undefined;
      data = `{"results":[${parts.join(',')}]}`;
    }
    return Buffer.from(`id: ${idOf(entry.seq)}\nevent: ${entry.event}\ndata: ${data}\n\n`);
  };

  return {
    idOf,
    get seq() {
      return seq;
    },
    get size() {
      return ring.length;
    },
    get bytes() {
      return bytes;
    },
    add(event, parts, checks) {
      seq += 1;
      const entry = { seq, event, parts, checks, bytes: parts.reduce((n, p) => n + p.length + 1, 0) };
      ring.push(entry);
      bytes += entry.bytes;
      while (ring.length > maxEvents || (bytes > maxBytes && ring.length > 1))
        bytes -= (ring.shift() as RingEntry).bytes;
      return entry;
    },
    render,
    after(lastEventId, filter, limit) {
      const m = ID.exec(lastEventId);
      const since = Number(m?.[2]);
      if (!m || m[1] !== bootId || since > seq) return undefined;
      if (since === seq) return [];
      const first = ring[0];
      if (!first || since < first.seq - 1) return undefined; // events after it are no longer kept
      const frames: Buffer[] = [];
      let total = 0;
      for (const entry of ring) {
        if (entry.seq <= since) continue;
        const frame = render(entry, filter);
        if (!frame) continue;
        total += frame.length;
        // Further behind than a client may be: a refetch costs it (and us) less.
        if (total > limit) return undefined;
        frames.push(frame);
      }
      return frames;
    },
  };
}

/** What the heap orders: a due time, and the order items were pushed in to break ties. */
export interface HeapItem {
  due: number;
  seq: number;
  /** Where the item sits in the heap; -1 when it is not in it. */
  slot: number;
}

const before = (a: HeapItem, b: HeapItem) => a.due < b.due || (a.due === b.due && a.seq < b.seq);

/**
 * A binary min-heap by due time (ties in push order), with removal of any
 * item. The scheduler keeps one of these and one timer for the earliest item,
 * instead of a timer per check: a Node Timeout and its closure cost ~400 bytes,
 * an item here is a slot in one array (issue #14: 100,000 checks in 512 MiB).
 */
export class DueHeap<T extends HeapItem> {
  private readonly items: T[] = [];
  private pushed = 0;

  get size(): number {
    return this.items.length;
  }

  /** The earliest item, or undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.seq = this.pushed++;
    item.slot = this.items.length;
    this.items.push(item);
    this.up(item.slot);
  }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const top = this.items[0];
    if (top) this.remove(top);
    return top;
  }

  /** Takes the item out, wherever it is; a no-op when it is not in the heap. */
  remove(item: T): void {
    const at = item.slot;
    if (at < 0 || this.items[at] !== item) return;
    const last = this.items.pop() as T;
    item.slot = -1;
    if (last === item) return;
    this.items[at] = last;
    last.slot = at;
    this.down(at);
    this.up(last.slot);
  }

  clear(): void {
    for (const item of this.items) item.slot = -1;
    this.items.length = 0;
  }

  private up(at: number): void {
    const items = this.items;
    const item = items[at] as T;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const p = items[parent] as T;
      if (!before(item, p)) break;
      items[at] = p;
      p.slot = at;
      at = parent;
    }
    items[at] = item;
    item.slot = at;
  }

  private down(at: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[at] as T;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(items[right] as T, items[child] as T)) child = right;
      const c = items[child] as T;
      if (!before(c, item)) break;
      items[at] = c;
      c.slot = at;
      at = child;
    }
    items[at] = item;
    item.slot = at;
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DueHeap, type HeapItem } from './due-heap.js';

interface Item extends HeapItem {
  readonly id: number;
}
const item = (id: number, due: number): Item => ({ id, due, seq: 0, slot: -1 });

/** A deterministic sequence of numbers in [0, 1), so a failure can be replayed. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('DueHeap', () => {
  it('pops in due order, ties in the order they were pushed', () => {
    const heap = new DueHeap<Item>();
    for (const [id, due] of [
      [1, 30],
      [2, 10],
      [3, 20],
      [4, 10],
      [5, 0],
    ] as const)
      heap.push(item(id, due));
    const order: number[] = [];
    for (let top = heap.pop(); top; top = heap.pop()) order.push(top.id);
    assert.deepEqual(order, [5, 2, 4, 3, 1]);
    assert.equal(heap.size, 0);
  });

  it('removes any item, and what is left still pops in order (random pushes and removals)', () => {
    const random = lcg(7);
    const heap = new DueHeap<Item>();
    const live = new Map<number, Item>();
    for (let id = 0; id < 2_000; id++) {
      const it = item(id, Math.floor(random() * 500));
      heap.push(it);
      live.set(id, it);
      if (random() < 0.3) {
        const victim = live.get(Math.floor(random() * id));
        if (victim) {
          heap.remove(victim);
          live.delete(victim.id);
          assert.equal(victim.slot, -1);
        }
      }
    }
    heap.remove(item(99_999, 0)); // never pushed: a no-op
    const expected = [...live.values()].sort((a, b) => a.due - b.due || a.seq - b.seq).map((i) => i.id);
    const popped: number[] = [];
    for (let top = heap.pop(); top; top = heap.pop()) popped.push(top.id);
    assert.deepEqual(popped, expected);
  });

  it('clear empties it and marks every item out', () => {
    const heap = new DueHeap<Item>();
    const items = [item(1, 5), item(2, 1)];
    for (const i of items) heap.push(i);
    heap.clear();
    assert.equal(heap.peek(), undefined);
    assert.deepEqual(
      items.map((i) => i.slot),
      [-1, -1],
    );
  });
});

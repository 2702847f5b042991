// PostgreSQL compaction folds and upserts its rows in slices (issue #14): whole
// checks of about PG_COMPACT_SLICE_ROWS rows, a check with far more split.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSlices, PG_COMPACT_SLICE_ROWS } from './rollups.js';

const rowsOf = (counts: readonly number[]) =>
  counts.flatMap((n, id) => Array.from({ length: n }, (_, t) => ({ check_id: id, t })));

describe('checkSlices', () => {
  it('cuts rows ordered by check into slices of whole checks, keeping every row once and in order', () => {
    const rows = rowsOf(Array.from({ length: 100 }, (_, i) => 1 + (i % 37)));
    const slices = [...checkSlices(rows)];
    assert.deepEqual(slices.flat(), rows);
    assert.ok(slices.length > 1);
    for (const [i, slice] of slices.entries()) {
      assert.ok(slice.length <= 2 * PG_COMPACT_SLICE_ROWS);
      const next = slices[i + 1]?.[0];
      if (next) assert.notEqual(next.check_id, slice[slice.length - 1]?.check_id, 'a check is not split');
    }
  });

  it('splits one check with more than twice the slice size, and yields nothing for no rows', () => {
    const rows = rowsOf([3, 5 * PG_COMPACT_SLICE_ROWS, 2]);
    const slices = [...checkSlices(rows)];
    assert.deepEqual(slices.flat(), rows);
    assert.ok(slices.every((s) => s.length <= 2 * PG_COMPACT_SLICE_ROWS));
    assert.ok(slices.length >= 3);
    assert.deepEqual([...checkSlices([])], []);
  });
});

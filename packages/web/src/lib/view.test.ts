import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Check, CheckState } from './types.ts';
import { buildView, type Filters, type Item } from './view.ts';

const check = (name: string, state: string, group?: string): Check => ({
  name,
  state,
  kind: 'http',
  url: `http://${name}/`,
  schedule: 'every 30s',
  lastResult: null,
  lastFailure: null,
  downSince: null,
  ...(group ? { group } : { group: null }),
});

const filters = (f: Partial<Filters> = {}): Filters => ({
  states: new Set<CheckState>(),
  query: '',
  collapsed: new Set<string>(),
  ...f,
});

const names = (items: readonly Item[]) => items.map((i) => (i.kind === 'group' ? `[${i.name}]` : i.check.name));

describe('buildView', () => {
  const checks = [
    check('web', 'up', 'shop'),
    check('api', 'down', 'shop'),
    check('db', 'degraded', 'data'),
    check('lone', 'late'),
    check('odd', 'sideways', 'data'),
    check('cron', 'maintenance', 'data'),
  ];

  it('groups by name with Ungrouped last, checks by name, and counts every state', () => {
    const view = buildView(checks, filters());
    assert.deepEqual(names(view.items), ['[data]', 'cron', 'db', 'odd', '[shop]', 'api', 'web', '[Ungrouped]', 'lone']);
    assert.deepEqual(view.counts, { down: 1, degraded: 1, late: 1, unknown: 1, maintenance: 1, up: 1 });
    assert.equal(view.total, 6);
    assert.equal(view.shown, 6);
    const data = view.items[0] as Extract<Item, { kind: 'group' }>;
    assert.equal(data.count, 3);
    assert.equal(data.counts.unknown, 1, 'an unknown state from the API counts as unknown');
  });

  it('filters by state (the header counts stay those of every check)', () => {
    const view = buildView(checks, filters({ states: new Set(['down', 'late']) }));
    assert.deepEqual(names(view.items), ['[shop]', 'api', '[Ungrouped]', 'lone']);
    assert.equal(view.shown, 2);
    assert.equal(view.counts.up, 1);
  });

  it('searches name and group, every word, case-insensitive', () => {
    assert.deepEqual(names(buildView(checks, filters({ query: 'SHOP' })).items), ['[shop]', 'api', 'web']);
    assert.deepEqual(names(buildView(checks, filters({ query: 'shop we' })).items), ['[shop]', 'web']);
    assert.deepEqual(names(buildView(checks, filters({ query: '  ' })).items).length, 9);
    assert.deepEqual(buildView(checks, filters({ query: 'nothing' })).items, []);
  });

  it('a collapsed group keeps its header and hides its checks', () => {
    const view = buildView(checks, filters({ collapsed: new Set(['data']) }));
    assert.deepEqual(names(view.items), ['[data]', '[shop]', 'api', 'web', '[Ungrouped]', 'lone']);
    assert.equal((view.items[0] as Extract<Item, { kind: 'group' }>).collapsed, true);
    assert.equal(view.shown, 6);
  });

  it('without any group there are no group rows', () => {
    const view = buildView([check('b', 'up'), check('a', 'up')], filters({ collapsed: new Set(['Ungrouped']) }));
    assert.deepEqual(names(view.items), ['a', 'b']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../domain/result.js';
import { runResult } from '../testing/check.js';
import { createMetrics } from './metrics.js';

const result = (check: string, ok: boolean, status: number | null): CheckResult => ({
  ...runResult(0, ok, check),
  status,
  phases: { dns: 1, connect: 2, tls: 0, ttfb: 3, transfer: 4, total: 10 },
});

describe('per-check series of /metrics', () => {
  it('writes each check last run and its runs by outcome, label values escaped, a forgotten check gone', async () => {
    const latest = new Map<string, CheckResult>();
    const metrics = createMetrics(() => latest);
    const odd = 'say "hi"\\now';
    for (const r of [result('api', true, 200), result('api', true, 200), result(odd, false, null)]) {
      latest.set(r.check, r);
      metrics.observe(r);
    }
    metrics.skipped('api');
    const text = await metrics.registry.metrics();
    const label = 'check="say \\"hi\\"\\\\now"';
    for (const line of [
      'lifeline_check_up{check="api"} 1',
      `lifeline_check_up{${label}} 0`,
      'lifeline_check_duration_seconds{check="api",phase="ttfb"} 0.003',
      'lifeline_check_duration_seconds{check="api",phase="total"} 0.01',
      'lifeline_check_status_code{check="api"} 200',
      `lifeline_check_status_code{${label}} 0`,
      'lifeline_check_results_total{check="api",outcome="up"} 2',
      'lifeline_check_results_total{check="api",outcome="skipped"} 1',
      `lifeline_check_results_total{${label},outcome="down"} 1`,
      '# TYPE lifeline_check_results_total counter',
      '# TYPE lifeline_scheduler_lag_seconds histogram',
    ])
      assert.ok(text.split('\n').includes(line), `metrics include ${line}`);
    assert.ok(!text.includes('check="api",outcome="down"'), 'no series for an outcome never seen');

    latest.delete('api');
    metrics.forget('api');
    assert.ok(!(await metrics.registry.metrics()).includes('check="api"'), 'a forgotten check has no series');
  });

  it('writes every check when there are more than one slice of them', async () => {
    const latest = new Map<string, CheckResult>();
    const metrics = createMetrics(() => latest);
    for (let i = 0; i < 4_321; i++) {
      const r = result(`c${i}`, true, 200);
      latest.set(r.check, r);
      metrics.observe(r);
    }
    const lines = (await metrics.registry.metrics()).split('\n');
    for (const family of ['lifeline_check_up{', 'lifeline_check_status_code{', 'lifeline_check_results_total{'])
      assert.equal(lines.filter((l) => l.startsWith(family)).length, 4_321, family);
    assert.equal(lines.filter((l) => l.startsWith('lifeline_check_duration_seconds{')).length, 4_321 * 6);
  });
});

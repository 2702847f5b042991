import type { ResolvedCheck } from '../config/resolved.js';
import { DEFAULT_ALERT_POLICY } from '../domain/alerts.js';
import type { CheckResult } from '../domain/result.js';

/** A resolved http check with every default, for tests that build checks directly. */
export function makeCheck(overrides: Partial<ResolvedCheck> & Pick<ResolvedCheck, 'name'>): ResolvedCheck {
  const url = overrides.url ?? 'http://api:3000/healthcheck';
  return {
    url,
    displayUrl: url,
    secrets: [],
    kind: 'http',
    target: { kind: 'http' },
    schedule: { kind: 'every', intervalMs: 60_000 },
    timeoutMs: 1_000,
    method: 'GET',
    headers: {},
    expectStatus: [{ min: 200, max: 399 }],
    conditions: [],
    maxRedirects: 10,
    maxBodyBytes: 1024 * 1024,
    insecure: false,
    keepAlive: false,
    retries: 0,
    jitterMs: 0,
    labels: {},
    alerts: DEFAULT_ALERT_POLICY,
    group: null,
    ...overrides,
  };
}

/** A run of check `check` at `at` (epoch ms): a 200, or a refused connection; what the alert tests feed the engine. */
export function runResult(at: number, ok: boolean, check = 'api'): CheckResult {
  return {
    time: new Date(at).toISOString(),
    check,
    url: 'http://api:3000/healthcheck',
    status: ok ? 200 : null,
    ok,
    durationMs: 1,
    phases: { dns: 0, connect: 0, tls: 0, ttfb: 0, transfer: 0, total: 1 },
    ...(ok ? {} : { error: { code: 'refused' as const, message: 'connection refused' } }),
  };
}

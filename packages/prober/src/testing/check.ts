import type { ResolvedCheck } from '../config/resolved.js';
import { DEFAULT_ALERT_POLICY } from '../domain/alerts.js';

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

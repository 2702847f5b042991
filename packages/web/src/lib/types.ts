// The monitor API's shapes as the app reads them (see packages/prober/src/server/routes and
// /api/openapi.json). Only the fields the app uses; the API may send more.

export const STATES = ['down', 'degraded', 'late', 'unknown', 'maintenance', 'up'] as const;
export type CheckState = (typeof STATES)[number];

export interface CheckErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly phase?: string;
}

export interface Phases {
  readonly dns: number;
  readonly connect: number;
  readonly tls: number;
  readonly ttfb: number;
  readonly transfer: number;
  readonly total?: number;
}

export interface ConditionOutcome {
  readonly condition: string;
  readonly ok: boolean;
}

export interface CheckResult {
  readonly time: string;
  readonly check: string;
  readonly url?: string;
  readonly status: number | null;
  readonly ok: boolean;
  readonly degraded?: boolean;
  readonly durationMs: number;
  readonly error?: CheckErrorInfo;
  readonly conditions?: readonly ConditionOutcome[];
  readonly phases?: Phases;
  readonly maintenance?: boolean;
  readonly attempts?: number;
  readonly ip?: string;
  readonly certificateExpiresAt?: string;
}

export interface Uptimes {
  readonly '24h': number | null;
  readonly '7d': number | null;
  readonly '30d': number | null;
}

/** An item of GET /api/v1/checks (and, without uptime and p95Ms, GET /api/v1/checks/{name}). */
export interface Check {
  readonly name: string;
  readonly group?: string | null;
  readonly kind: string;
  readonly url: string;
  readonly schedule: string;
  readonly state: string;
  readonly lastResult: CheckResult | null;
  readonly lastFailure: CheckResult | null;
  readonly downSince: string | null;
  readonly uptime?: Uptimes | null;
  readonly p95Ms?: number | null;
}

export interface ChecksList {
  readonly history?: string;
  readonly checks: readonly Check[];
}

/** One result of the live stream's `results` event. */
export interface Update {
  readonly check: string;
  readonly state: string;
  readonly time: string;
  readonly ok: boolean;
  readonly degraded?: boolean;
  readonly status: number | null;
  readonly durationMs: number;
  readonly error?: CheckErrorInfo;
  readonly maintenance?: boolean;
}

export interface DailyBucket {
  readonly start: string;
  readonly uptime: number | null;
  readonly count: number;
}

export interface HourlyBucket {
  readonly start: string;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly count: number;
}

/** One check's part of GET /api/v1/overview. */
export interface Overview {
  readonly daily: readonly DailyBucket[];
  readonly hourly: readonly HourlyBucket[];
}

export interface UptimeBucket {
  readonly start: string;
  readonly count: number;
  readonly failures: number;
  readonly uptime: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly phases?: Omit<Phases, 'total'> | null;
}

export interface UptimeAnswer {
  readonly window: string;
  readonly bucket: string;
  readonly uptime: number | null;
  readonly coverage: number;
  readonly dataSince: string | null;
  readonly buckets: readonly UptimeBucket[];
}

export interface ResultsPage {
  readonly results: readonly CheckResult[];
  readonly next: string | null;
}

export interface Incident {
  readonly id: number | string;
  readonly check: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly failures: number;
  readonly error?: CheckErrorInfo | null;
  readonly maintenance?: boolean;
}

export interface IncidentsPage {
  readonly incidents: readonly Incident[];
  readonly next: string | null;
}

/** A state the app knows, else `unknown` (an older or newer monitor may send something else). */
export function knownState(state: string): CheckState {
  return (STATES as readonly string[]).includes(state) ? (state as CheckState) : 'unknown';
}

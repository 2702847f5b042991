import type { CheckError } from './errors.js';

/** Milliseconds spent in each phase of one request; 0 for a phase that did not happen. */
export interface Phases {
  readonly dns: number;
  readonly connect: number;
  readonly tls: number;
  /** Request sent -> first byte of the response. */
  readonly ttfb: number;
  readonly transfer: number;
  readonly total: number;
}

/** A result or observation under construction, field by field, on the hot path. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export const NO_PHASES: Phases = Object.freeze({ dns: 0, connect: 0, tls: 0, ttfb: 0, transfer: 0, total: 0 });

export interface ConditionOutcome {
  /** The condition with resolved values, e.g. `[STATUS] (503) == 200`. */
  readonly condition: string;
  readonly ok: boolean;
}

/**
 * One run of one check, as logged, printed by `lifeline check --once`, stored
 * and served by the API. Field names are part of the public output format.
 */
export interface CheckResult {
  /** When the run started, ISO 8601 UTC. */
  readonly time: string;
  readonly check: string;
  readonly url: string;
  /** The HTTP status code, or null when there was none (no response, or not an HTTP check). */
  readonly status: number | null;
  readonly ok: boolean;
  /** Passed, but the target says it is degraded (health+json `warn`). */
  readonly degraded?: boolean;
  readonly durationMs: number;
  readonly error?: CheckError;
  readonly conditions?: readonly ConditionOutcome[];
  readonly phases: Phases;
  /** When the scheduler planned this run (run mode), ISO 8601; compare with `time` for lag. */
  readonly scheduledAt?: string;
  /** Attempts made, when the check has retries. */
  readonly attempts?: number;
  /** The address that answered. */
  readonly ip?: string;
  /**
   * When the peer certificate expires (its notAfter), ISO 8601 UTC: set for
   * every run whose TLS handshake completed (https://, tls://).
   */
  readonly certificateExpiresAt?: string;
  /** Ran inside a maintenance window (`maintenance:`): stored and shown, but notifies nobody. */
  readonly maintenance?: boolean;
  /**
   * The lease epoch of the cluster member that ran it (issue #13): a result
   * whose member was expelled meanwhile is not stored (fenced). Absent outside
   * a PostgreSQL cluster (check --once, reported results, SQLite).
   *
   * @example
   * ```ts
   * writer.add({ ...result, epoch: membership.epoch() });
   * ```
   */
  readonly epoch?: number;
}

/** What a probe saw, before the check's expectations are applied. */
export interface Observation {
  /** HTTP status, when an HTTP response arrived. */
  readonly status: number | null;
  readonly durationMs: number;
  readonly phases: Phases;
  readonly error?: CheckError;
  /** The body as text, when it was read (at most maxBodyBytes). */
  readonly body?: string;
  /** The body was longer than maxBodyBytes. */
  readonly bodyTooLarge?: boolean;
  readonly contentType?: string;
  readonly connected?: boolean;
  readonly ip?: string;
  /** ms until the peer certificate expires (negative when it has). */
  readonly certificateExpirationMs?: number;
  /** When the peer certificate expires (its notAfter), epoch ms. */
  readonly certificateExpiresAtMs?: number;
  readonly dnsRcode?: string;
  /** Response headers (names in lower case), when a condition reads [HEADER]. */
  readonly headers?: Readonly<Record<string, string>>;
}

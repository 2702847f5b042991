import type { CheckError } from './errors.js';

/**
 * One run of one check, as logged, printed by `lifeline check --once` and
 * (later) stored. Field names are part of the public output format.
 */
export interface CheckResult {
  /** When the run started, ISO 8601 UTC. */
  readonly time: string;
  readonly check: string;
  readonly url: string;
  /** The HTTP status code, or null when no response arrived. */
  readonly status: number | null;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: CheckError;
}

/** What a probe saw, before the check's expectations are applied. */
export interface HttpObservation {
  readonly status: number | null;
  readonly durationMs: number;
  readonly error?: CheckError;
}

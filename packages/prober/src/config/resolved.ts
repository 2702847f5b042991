import { parseDuration } from '../domain/duration.js';
import { parseStatusRange, type StatusRange } from '../domain/status.js';
import { type CheckInput, type ConfigInput, DEFAULTS, type HTTP_METHODS } from './schema.js';

export type Schedule =
  | { readonly kind: 'cron'; readonly pattern: string; readonly timezone: string }
  | { readonly kind: 'every'; readonly intervalMs: number };

/** A check with every default applied; frozen, so nothing changes it after load. */
export interface ResolvedCheck {
  readonly name: string;
  readonly url: string;
  readonly schedule: Schedule;
  readonly timeoutMs: number;
  readonly method: (typeof HTTP_METHODS)[number];
  readonly headers: Readonly<Record<string, string>>;
  readonly expectStatus: readonly StatusRange[];
}

export interface ResolvedConfig {
  /** The file the config came from, when it came from one. */
  readonly source: string;
  readonly checks: readonly ResolvedCheck[];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function mustDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`bug: unvalidated duration ${text}`);
  return ms;
}

function resolveCheck(input: CheckInput): ResolvedCheck {
  const schedule: Schedule =
    input.schedule !== undefined
      ? { kind: 'cron', pattern: input.schedule, timezone: input.timezone ?? DEFAULTS.timezone }
      : { kind: 'every', intervalMs: mustDuration(input.every as string) };
  const statusEntries = input.expectStatus ?? DEFAULTS.expectStatus;
  const expectStatus = (Array.isArray(statusEntries) ? statusEntries : [statusEntries]).map((entry) => {
    const range = parseStatusRange(entry);
    if (typeof range === 'string') throw new Error(`bug: unvalidated status ${range}`);
    return range;
  });
  return {
    name: input.name,
    url: input.url,
    schedule,
    timeoutMs: mustDuration(input.timeout ?? DEFAULTS.timeout),
    method: input.method ?? DEFAULTS.method,
    headers: { ...(input.headers ?? {}) },
    expectStatus,
  };
}

/** Applies defaults to a validated config and freezes the result. */
export function resolveConfig(input: ConfigInput, source: string): ResolvedConfig {
  return deepFreeze({ source, checks: input.checks.map(resolveCheck) });
}

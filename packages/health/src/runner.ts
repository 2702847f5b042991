import { performance } from 'node:perf_hooks';
import type { CheckOutcome, HealthStatus } from './report.js';

/** What a check function may return. Nothing (or `true`) means pass. */
export interface CheckValue {
  readonly status?: HealthStatus;
  readonly observedValue?: number | string | boolean;
  readonly observedUnit?: string;
  readonly measurement?: string;
  readonly output?: string;
}

export type CheckFunction = (signal: AbortSignal) => unknown;

/** A check with every option resolved; built by `createHealth`. */
export interface CheckSpec {
  readonly name: string;
  readonly run: CheckFunction;
  readonly critical: boolean;
  readonly timeoutMs: number;
  readonly componentType: string;
  readonly componentId?: string;
  /** Part of `/livez`: only for checks about this process, never a dependency. */
  readonly liveness: boolean;
}

export interface RunnerOptions {
  readonly checks: readonly CheckSpec[];
  /** How long a result is served before it is refreshed. */
  readonly ttlMs: number;
  readonly now?: () => Date;
}

export interface Runner {
  /** Starts the background refresh (idempotent). Called on first use. */
  start(): void;
  /** Stops the background refresh; results stay readable. */
  stop(): void;
  /** The latest outcome of each named check; waits only for a check that has never finished a run. */
  outcomes(names: readonly string[]): Promise<CheckOutcome[]>;
  /** The latest outcomes if every named check has one, without waiting: the fast path. */
  cached(names: readonly string[]): CheckOutcome[] | undefined;
  /**
   * The worst cached status of the named checks ('degraded' for warn or a
   * non-critical failure), or undefined when one has no result yet. Allocates
   * nothing: this is what a plain probe request costs.
   */
  cachedStatus(names: readonly string[]): 'pass' | 'degraded' | 'fail' | undefined;
  /** How many times each check's function was called. */
  readonly calls: ReadonlyMap<string, number>;
}

const STATUSES = new Set(['pass', 'warn', 'fail']);

function describe(value: unknown): string {
  try {
    const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Turns whatever a check returned into a status, or explains why it is garbage. */
function normalize(value: unknown): CheckValue | string {
  if (value === undefined || value === null || value === true) return {};
  if (value === false) return { status: 'fail', output: 'the check returned false' };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return `the check returned ${describe(value)}, not a result object`;
  }
  const v = value as Record<string, unknown>;
  if (v.status !== undefined && !STATUSES.has(v.status as string)) {
    return `the check returned status ${describe(v.status)}; expected "pass", "warn" or "fail"`;
  }
  const observed = v.observedValue;
  if (observed !== undefined && !['number', 'string', 'boolean'].includes(typeof observed)) {
    return `the check returned observedValue ${describe(observed)}; expected a number, string or boolean`;
  }
  return v as CheckValue;
}

/**
 * Runs checks in parallel, each bounded by its own timeout, and caches the
 * results. A background timer refreshes them every TTL, so a flood of probe
 * requests costs each dependency at most one call per TTL: requests only read
 * the cache. A check that throws, rejects, returns garbage or never settles
 * becomes `fail` with an output; nothing here throws or hangs.
 */
export function createRunner(options: RunnerOptions): Runner {
  const now = options.now ?? (() => new Date());
  const specs = new Map(options.checks.map((c) => [c.name, c]));
  const latest = new Map<string, CheckOutcome>();
  const inFlight = new Map<string, Promise<CheckOutcome>>();
  const calls = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let started = false;

  async function runOnce(spec: CheckSpec): Promise<CheckOutcome> {
    calls.set(spec.name, (calls.get(spec.name) ?? 0) + 1);
    const abort = new AbortController();
    let timeout: NodeJS.Timeout | undefined;
    const startedAt = performance.now();
    const expired = new Promise<{ timedOut: true }>((resolve) => {
      timeout = setTimeout(() => {
        abort.abort(new Error(`timed out after ${spec.timeoutMs}ms`));
        resolve({ timedOut: true });
      }, spec.timeoutMs);
      // Not unref'd: it is bounded, and it is what settles a check that never does.
    });
    let value: CheckValue | string;
    try {
      const settled = await Promise.race([
        Promise.resolve()
          .then(() => spec.run(abort.signal))
          .then((v) => ({ value: v })),
        expired,
      ]);
      value = 'timedOut' in settled ? `timed out after ${spec.timeoutMs}ms` : normalize(settled.value);
    } catch (error) {
      value = error instanceof Error ? error.message || error.name : `the check threw ${describe(error)}`;
    } finally {
      clearTimeout(timeout);
    }
    const latencyMs = Math.round((performance.now() - startedAt) * 100) / 100;
    const base = {
      name: spec.name,
      critical: spec.critical,
      componentType: spec.componentType,
      ...(spec.componentId !== undefined ? { componentId: spec.componentId } : {}),
      time: now().toISOString(),
    };
    const outcome: CheckOutcome =
      typeof value === 'string'
        ? {
            ...base,
            status: 'fail',
            measurement: 'responseTime',
            observedValue: latencyMs,
            observedUnit: 'ms',
            output: value,
          }
        : {
            ...base,
            status: value.status ?? 'pass',
            measurement: value.measurement ?? 'responseTime',
            observedValue: value.observedValue ?? latencyMs,
            ...(value.observedValue !== undefined
              ? value.observedUnit !== undefined
                ? { observedUnit: value.observedUnit }
                : {}
              : { observedUnit: 'ms' }),
            ...(value.output !== undefined ? { output: String(value.output) } : {}),
          };
    latest.set(spec.name, outcome);
    return outcome;
  }

  function refresh(spec: CheckSpec): Promise<CheckOutcome> {
    const running = inFlight.get(spec.name);
    if (running) return running;
    const run = runOnce(spec).finally(() => inFlight.delete(spec.name));
    inFlight.set(spec.name, run);
    return run;
  }

  function refreshAll(): void {
    for (const spec of specs.values()) void refresh(spec);
  }

  const runner: Runner = {
    calls,
    start() {
      if (started) return;
      started = true;
      refreshAll();
      timer = setInterval(refreshAll, options.ttlMs);
      // The refresh must never keep a process alive that is otherwise done.
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      started = false;
    },
    cachedStatus(names) {
      if (!started) runner.start();
      let status: 'pass' | 'degraded' | 'fail' = 'pass';
      for (let i = 0; i < names.length; i++) {
        const outcome = latest.get(names[i] as string);
        if (outcome === undefined) return undefined;
        if (outcome.status === 'fail' && outcome.critical) status = 'fail';
        else if (outcome.status !== 'pass' && status === 'pass') status = 'degraded';
      }
      return status;
    },
    cached(names) {
      if (!started) runner.start();
      const out: CheckOutcome[] = [];
      for (const name of names) {
        const outcome = latest.get(name);
        if (!outcome) return undefined;
        out.push(outcome);
      }
      return out;
    },
    async outcomes(names) {
      const hit = runner.cached(names);
      if (hit) return hit;
      return Promise.all(
        names.map((name) => {
          const done = latest.get(name);
          if (done) return done;
          const spec = specs.get(name);
          if (!spec) throw new Error(`bug: no check named ${name}`);
          return refresh(spec);
        }),
      );
    },
  };
  return runner;
}

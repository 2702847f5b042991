import type { Logger } from 'pino';
import type { ResolvedCheck, ResolvedConfig } from './config/resolved.js';
import type { CheckResult } from './domain/result.js';
import { executeCheck } from './execute.js';
import { logResult } from './logger.js';
import { type Clock, createScheduler } from './scheduler/scheduler.js';

/** How long in-flight checks may finish after a stop was asked for, at most. */
export const MAX_STOP_GRACE_MS = 30_000;

export interface MonitorDeps {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface Monitor {
  /** Stops scheduling, lets in-flight checks finish (bounded), then resolves. */
  stop(): Promise<void>;
}

/** Composition root of `lifeline run`: config -> scheduler -> probe -> result -> log. */
export function startMonitor(deps: MonitorDeps): Monitor {
  const { config, logger } = deps;
  const scheduler = createScheduler({
    checks: config.checks,
    ...(deps.clock ? { clock: deps.clock } : {}),
    run: async (check, context) => {
      const result = await executeCheck(check, { signal: context.signal });
      logResult(logger, result);
    },
    onSkip: (check, scheduledAt) =>
      logger.warn(
        { check: check.name, scheduledAt: new Date(scheduledAt).toISOString() },
        `check ${check.name} skipped: its previous run is still in progress`,
      ),
    onError: (check, error) => logger.error({ check: check.name, err: error }, `check ${check.name} crashed`),
  });
  scheduler.start();
  logger.info(
    { config: config.source, checks: config.checks.map((c) => ({ name: c.name, url: c.url, ...describeSchedule(c) })) },
    `lifeline monitor started with ${config.checks.length} check(s)`,
  );
  return {
    async stop() {
      const grace = Math.min(MAX_STOP_GRACE_MS, Math.max(...config.checks.map((c) => c.timeoutMs)) + 1_000);
      const cancelled = await scheduler.stop(grace);
      logger.info({ cancelled }, 'lifeline monitor stopped');
    },
  };
}

function describeSchedule(check: ResolvedCheck): Record<string, unknown> {
  return check.schedule.kind === 'cron'
    ? { schedule: check.schedule.pattern, timezone: check.schedule.timezone }
    : { everyMs: check.schedule.intervalMs };
}

/** `lifeline check --once`: every check in parallel, results in config order. */
export async function checkOnce(config: ResolvedConfig, signal?: AbortSignal): Promise<CheckResult[]> {
  return Promise.all(config.checks.map((check) => executeCheck(check, signal ? { signal } : {})));
}

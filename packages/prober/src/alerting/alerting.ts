import type { Logger } from 'pino';
import type { ChannelConfig, ResolvedConfig } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import type { Metrics } from '../server/metrics.js';
import type { AlertStore } from '../store/store.js';
import { createAlertWriter } from './alert-writer.js';
import { createChannel } from './channels/index.js';
import { type AlertEngine, createAlertEngine } from './engine.js';
import { createMaintenanceCalendar, type MaintenanceCalendar } from './maintenance.js';
import { type ConfiguredChannel, createDeliveryWorker } from './worker.js';

/** Held-back notifications and reminders are looked at this often. */
export const TICK_EVERY_MS = 5_000;
/** The outbox gauges are recounted this often. */
export const COUNT_EVERY_MS = 10_000;

export interface AlertingDeps {
  readonly store: AlertStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly config: ResolvedConfig;
  /** The API's own URL: links in notifications when alerting.externalUrl is not set. */
  readonly apiUrl: () => string | undefined;
  readonly recent?: (check: string, limit: number) => Promise<readonly CheckResult[]>;
  readonly now?: () => number;
  readonly pollMs?: number;
  /** Cluster members: whether this member's lease holds (no claim, no send while it does not). */
  readonly leaseValid?: () => boolean;
  /** Cluster members: alert changes of this many checks were dropped, refused by fencing. */
  readonly onFenced?: (checks: number) => void;
}

export interface Alerting {
  readonly engine: AlertEngine;
  /** Restores the stored state, then starts ticking and delivering. */
  start(latest: ReadonlyMap<string, CheckResult>): Promise<void>;
  /** Marks a result inside a maintenance window, then applies it. */
  mark(result: CheckResult): CheckResult;
  observe(result: CheckResult): void;
  /** Cluster members: checks this member owns now (see AlertEngine.adopt; never rejects). */
  adopt(names: readonly string[]): Promise<void>;
  /** Cluster members: checks another member owns now (see AlertEngine.release). */
  release(names: readonly string[]): void;
  /** A reloaded config: new thresholds, channels and windows apply from the next result. */
  reload(next: ResolvedConfig, removedChecks: readonly string[]): void;
  /** Stops delivering (bounded) and writes what is queued (bounded); returns the checks whose change was not written. */
  stop(timeoutMs: number): Promise<number>;
}

function buildChannels(configs: readonly ChannelConfig[], previous?: ReadonlyMap<string, ConfiguredChannel>) {
  const channels = new Map<string, ConfiguredChannel>();
  for (const config of configs) {
    const old = previous?.get(config.name);
    // An unchanged channel keeps its pooled connections.
    channels.set(
      config.name,
      old && JSON.stringify(old.config) === JSON.stringify(config) ? old : { config, channel: createChannel(config) },
    );
  }
  return channels;
}

/** Alerting of `lifeline run`: the policy engine, its writer, the delivery worker and their timers. */
export function createAlerting(deps: AlertingDeps): Alerting {
  const now = deps.now ?? Date.now;
  let config = deps.config;
  let calendar: MaintenanceCalendar = createMaintenanceCalendar(config.maintenance);
  let channels = buildChannels(config.alerting.channels);
  let counts: ReadonlyMap<string, { pending: number; dead: number }> = new Map();
  const closing = new Set<ConfiguredChannel>();

  const worker = createDeliveryWorker({
    store: deps.store,
    logger: deps.logger,
    channels: () => channels,
    firing: (channel) => engine.firingPayloads(channel),
    onOutcome: (channel, outcome) => deps.metrics.notification(channel, outcome),
    now,
    ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
    ...(deps.leaseValid ? { leaseValid: deps.leaseValid } : {}),
  });
  const writer = createAlertWriter(deps.store, {
    onCommitted: () => worker.wake(),
    onStateChange: (failing, error) =>
      failing
        ? deps.logger.error(
            { err: error },
            'writing alert state to the store fails; changes and their notifications wait in memory and are retried',
          )
        : deps.logger.info('writing alert state to the store works again'),
    onDrop: (check, dropped) =>
      deps.logger.error({ check, dropped }, `${dropped} reminder(s) for ${check} dropped while the store fails`),
    ...(deps.onFenced ? { onFenced: deps.onFenced } : {}),
  });
  const engine = createAlertEngine({
    store: deps.store,
    writer,
    logger: deps.logger,
    checks: () => config.checks,
    calendar: () => calendar,
    baseUrl: () => config.alerting.externalUrl ?? deps.apiUrl(),
    ...(deps.recent ? { recent: deps.recent } : {}),
    now,
  });
  deps.metrics.alerting({ firing: () => engine.firing().length, outbox: () => counts });

  const recount = async () => {
    try {
      const stored = await deps.store.outboxCounts();
      // A configured channel with nothing waiting shows 0, not no series.
      const all = new Map([...channels.keys()].map((name) => [name, { pending: 0, dead: 0 }]));
      for (const [name, count] of stored) all.set(name, count);
      counts = all;
    } catch {
      // The delivery worker logs a failing store; the gauges keep their last value.
    }
  };
  let tickTimer: NodeJS.Timeout | undefined;
  let countTimer: NodeJS.Timeout | undefined;

  return {
    engine,
    async start(latest) {
      await engine.restore(latest);
      tickTimer = setInterval(() => engine.tick(), TICK_EVERY_MS);
      tickTimer.unref();
      countTimer = setInterval(() => void recount(), COUNT_EVERY_MS);
      countTimer.unref();
      void recount();
      worker.start();
      // A state restored inside no window, or past a reminder, may owe a notification now.
      engine.tick();
    },
    mark(result) {
      return engine.inMaintenance(result.check, Date.parse(result.time)) ? { ...result, maintenance: true } : result;
    },
    observe(result) {
      engine.observe(result);
    },
    adopt(names) {
      return engine.adopt(names);
    },
    release(names) {
      engine.release(names);
    },
    reload(next, removedChecks) {
      const removed = new Set(removedChecks);
      engine.removed(config.checks.filter((c) => removed.has(c.name)));
      const previous = channels;
      config = next;
      calendar = createMaintenanceCalendar(next.maintenance);
      channels = buildChannels(next.alerting.channels, previous);
      for (const old of previous.values()) {
        if (channels.get(old.config.name) === old || !old.channel.close) continue;
        // A replaced channel may still be sending: closed once its tries are bounded to be over.
        closing.add(old);
        setTimeout(() => {
          closing.delete(old);
          void old.channel.close?.();
        }, old.config.timeoutMs + 1_000).unref();
      }
    },
    async stop(timeoutMs) {
      clearInterval(tickTimer);
      clearInterval(countTimer);
      const started = now();
      await worker.stop(timeoutMs);
      const unwritten = await writer.close(Math.max(0, timeoutMs - (now() - started)));
      await Promise.allSettled([...channels.values(), ...closing].map((c) => c.channel.close?.()));
      return unwritten;
    },
  };
}

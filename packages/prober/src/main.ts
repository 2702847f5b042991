import type { AddressInfo, LookupFunction } from 'node:net';
import { createHealth } from '@lifeline/health';
import type { Logger } from 'pino';
import { createAlerting } from './alerting/alerting.js';
import { createMemoryAlertStore } from './alerting/memory-store.js';
import type { OwnershipChange } from './cluster/membership.js';
import { createMonitorCluster } from './cluster/monitor-cluster.js';
import { createPeerResults } from './cluster/peer-results.js';
import type { ResolvedCheck, ResolvedConfig, StorageConfig } from './config/resolved.js';
import { DEFAULTS } from './config/schema.js';
import { watchFile } from './config/watch.js';
import type { CheckResult } from './domain/result.js';
import { executeCheck } from './execute.js';
import { logResult } from './logger.js';
import { createHttpProber } from './probes/http.js';
import { createLookupGate } from './probes/lookup.js';
import { createPushMonitor } from './push/monitor.js';
import { reloadConfig } from './reload.js';
import { type Clock, createScheduler } from './scheduler/scheduler.js';
import { createApiServer } from './server/app.js';
import { createEventHub } from './server/events.js';
import { createMetrics } from './server/metrics.js';
import { createPushForwarder } from './server/push-forward.js';
import { createStateReader, resultStates } from './server/state.js';
import { loadUi } from './server/static.js';
import { createSummaryCache } from './server/summary-cache.js';
import { createMonitorWriter, storeReady } from './store/monitor-writer.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';
import { createStoreUpkeep } from './store/upkeep.js';

/** How long in-flight checks may finish after a stop was asked for, at most. */
export const MAX_STOP_GRACE_MS = 30_000;
/** The last compaction at stop is skipped past this (the next start folds those minutes). */
export const STOP_COMPACT_MS = 5_000;
/** At stop, sending notifications and writing alert state together get at most this long. */
export const STOP_ALERTING_MS = 5_000;
/** Checks named in the "started" line at most (`unlisted` counts the rest; `lifeline validate` lists them all). */
export const STARTED_LISTED = 100;

// Where they were before `check --once` moved to its own module; the package index exports them from here.
export { checkOnce, storeResults } from './once.js';
export { COMPACT_EVERY_MS, PRUNE_EVERY_MS } from './store/upkeep.js';

export interface MonitorDeps {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly lookup?: LookupFunction;
  /** Re-read this file when it changes (hot reload); usually the config's own path. */
  readonly watch?: string;
  /** Environment for ${VAR} in a reloaded config. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Overrides server.port (0 picks a free port). */
  readonly port?: number;
}

export interface Monitor {
  /** Where the API listens. */
  readonly url: string;
  readonly store?: Store;
  /** The running config (changes on reload). */
  config(): ResolvedConfig;
  /** Stops scheduling, lets in-flight checks finish (bounded), flushes results, closes the server and store. */
  stop(): Promise<void>;
}

function describeSchedule(check: ResolvedCheck): Record<string, unknown> {
  return check.schedule.kind === 'cron'
    ? { schedule: check.schedule.pattern, timezone: check.schedule.timezone }
    : { everyMs: check.schedule.intervalMs };
}

const probed = (checks: readonly ResolvedCheck[]) => checks.filter((c) => c.kind !== 'push');
const pushed = (checks: readonly ResolvedCheck[]) => checks.filter((c) => c.kind === 'push');

/** 127.0.0.0/8 and ::1 (also as IPv4-mapped): only this machine can connect. */
function isLoopback(address: string): boolean {
  return address === '::1' || /^(?:::ffff:)?127\./.test(address);
}

/** The store `lifeline run` uses: what the config says, else the embedded SQLite file. */
export function monitorStorage(config: ResolvedConfig): StorageConfig {
  return config.storage ?? { kind: 'sqlite', path: DEFAULTS.storage };
}

/**
 * Composition root of `lifeline run`: config -> scheduler -> probe -> result
 * -> log / metrics / store -> API. Every piece is built here and handed what
 * it needs; nothing is global.
 */
export async function startMonitor(deps: MonitorDeps): Promise<Monitor> {
  const { logger } = deps;
  let config = deps.config;
  // The dashboard's files are read and compressed (on the thread pool) while the store opens; loadUi never rejects.
  const uiLoading = loadUi();
  const store = await openStore(monitorStorage(config));
  // The newest stored run of each configured check: the API and the gauges have a value from the start.
  // The names of the running config's checks (replaced on reload).
  let configured = new Set(config.checks.map((c) => c.name));
  const latest = new Map<string, CheckResult>(
    store ? [...(await store.latest())].filter(([name]) => configured.has(name)) : [],
  );
  const metrics = createMetrics(() => latest);
  const httpProber = createHttpProber();
  // Lookups cannot be cancelled: a slow resolver must not let the timed-out runs' lookups pile up.
  const lookups = createLookupGate({
    lookup: deps.lookup,
    onSaturation: (saturated, inFlight) =>
      saturated
        ? logger.warn(
            { lookupsInFlight: inFlight },
            `the resolver is saturated: ${inFlight} name lookups still waiting; checks that need one fail with dns_timeout until it catches up`,
          )
        : logger.info({ lookupsInFlight: inFlight }, 'the resolver keeps up again'),
  });
  metrics.lookups(lookups.inFlight);
  metrics.configured(config.checks.length);
  const writer = store ? createMonitorWriter(store, config.storageFlushMs, logger, metrics) : undefined;
  // Several monitors on one PostgreSQL share the checks (issue #13); elsewhere this is a cluster of one.
  let onOwnership: (change: OwnershipChange) => void = () => {};
  const cluster = createMonitorCluster({
    store: store?.cluster,
    config: config.cluster,
    checks: () => config.checks.map((c) => c.name),
    logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
    onChange: (change) => onOwnership(change),
  });
  if (cluster.mode === 'cluster') metrics.cluster(() => cluster.stats());
  /** A result carries the lease epoch it was run under: the store fences those of an expelled member. */
  const stamped = (result: CheckResult, epoch = cluster.epoch()): CheckResult =>
    epoch === undefined ? result : { ...result, epoch };
  let apiUrl: string | undefined;
  // Without a store (storage: none) alerts still go out, but a restart forgets them.
  const alertStore = store ?? createMemoryAlertStore();
  const alerting = createAlerting({
    store: alertStore,
    logger,
    metrics,
    config,
    apiUrl: () => apiUrl,
    ...(cluster.mode === 'cluster'
      ? {
          leaseValid: () => cluster.leaseValid(),
          onFenced: (checks: number) => {
            metrics.fenced('alerts', checks);
            logger.warn(
              { checks },
              `alert changes of ${checks} check(s) were refused by fencing: this member lost its lease; their new owner decides`,
            );
          },
        }
      : {}),
    ...(store ? { recent: (check: string, limit: number) => store.results(check, { limit }) } : {}),
  });

  const lastScheduled = new Map<string, number>();
  if (store) {
    for (const check of config.checks) {
      if (check.schedule.kind !== 'cron') continue;
      const at = await store.lastScheduled(check.name);
      if (at !== undefined) lastScheduled.set(check.name, at);
    }
  }

  /** What every decided run goes through, probed or pushed. */
  const record = (result: CheckResult, catchUp: boolean) => {
    const marked = alerting.mark(result);
    // A run that was in flight when a reload removed its check still ends in a result: it is
    // logged and stored, but the API and the metrics no longer show that check.
    if (configured.has(marked.check)) {
      latest.set(marked.check, marked);
      metrics.observe(marked);
      alerting.observe(marked);
      events.publish(marked);
    }
    logResult(logger, marked, catchUp ? { catchUp: true } : undefined);
    writer?.add(marked);
  };

  const scheduler = createScheduler({
    checks: probed(config.checks),
    concurrency: config.scheduler.concurrency,
    grid: cluster.grid,
    ...(cluster.owns ? { owns: cluster.owns } : {}),
    lastScheduled,
    missedRunWindowMs: config.scheduler.missedRunWindowMs,
    ...(deps.clock ? { clock: deps.clock } : {}),
    run: async (check, context) => {
      const started = Date.now();
      const epoch = cluster.epoch();
      metrics.lag(Math.max(0, started - context.scheduledAt) / 1000);
      const result = await executeCheck(check, {
        signal: context.signal,
        http: httpProber,
        scheduledAt: context.scheduledAt,
        lookup: lookups.lookup,
      });
      record(stamped(result, epoch), context.catchUp);
    },
    onSkip: (check, scheduledAt) => {
      metrics.skipped(check.name);
      logger.warn(
        { check: check.name, scheduledAt: new Date(scheduledAt).toISOString() },
        `check ${check.name} skipped: its previous run is still in progress`,
      );
    },
    onError: (check, error) => logger.error({ check: check.name, err: error }, `check ${check.name} crashed`),
  });
  const push = createPushMonitor({
    checks: pushed(config.checks),
    logger,
    onResult: (result, catchUp) => record(stamped(result), catchUp),
    // A CronJob's own results (check --once --report): stored and logged under their checks' names.
    onReported: (result) => {
      logResult(logger, result, { reported: true });
      writer?.add(result);
    },
    lastScheduled,
    missedRunWindowMs: config.scheduler.missedRunWindowMs,
    grid: cluster.grid,
    ...(cluster.owns ? { owns: cluster.owns } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  // Live events for the dashboard; `record` publishes to it (it runs only once the scheduler starts).
  const events = createEventHub({ metrics, stateOf: resultStates(() => config.checks, createStateReader(push)) });
  // In a cluster, every member shows every check: the results others run are read from the store.
  const owns = cluster.owns;
  const peers =
    store && owns
      ? createPeerResults({
          read: (since) => store.latest(since),
          marginMs: () => config.checks.reduce((m, c) => Math.max(m, c.timeoutMs), 0) + config.storageFlushMs + 1_000,
          owns,
          known: (check) => latest.get(check),
          configured: (check) => configured.has(check),
          onResult: (result) => {
            latest.set(result.check, result);
            metrics.observe(result);
            events.publish(result);
          },
          everyMs: config.cluster.renewMs,
          logger,
          ...(deps.clock ? { clock: deps.clock } : {}),
        })
      : undefined;

  const health = createHealth({
    serviceId: 'lifeline',
    description: 'the Lifeline monitor',
    checks: {
      ...(store ? { store: { run: () => storeReady(store, writer), componentType: 'datastore' } } : {}),
      // Not ready while this member owns nothing: no valid lease, or not yet seen by every member.
      ...(cluster.mode === 'cluster' ? { cluster: { run: () => cluster.ready(), componentType: 'component' } } : {}),
    },
    // With server.auth's bearer token, `Authorization: Bearer <token>` shows why /readyz fails.
    ...(config.server.auth?.bearer ? { detailsToken: config.server.auth.bearer } : {}),
  });
  // A missing build is served as a 503 that says how to build it.
  const ui = await uiLoading;
  if (ui.missing) logger.warn({ dashboard: ui.missing }, `the dashboard is not built (${ui.missing}): / answers 503`);
  const summaries = store ? createSummaryCache(store) : undefined;
  const forwarder = cluster.mode === 'cluster' ? createPushForwarder(cluster.id) : undefined;
  const server = createApiServer({
    ...(summaries ? { summaries } : {}),
    checks: () => config.checks,
    latest: () => latest,
    ...(store ? { store } : {}),
    metrics,
    health,
    alerts: { firing: () => alerting.engine.firing(), store: alertStore },
    statusPage: () => config.statusPage,
    push,
    events,
    cluster: () => cluster.view(),
    ...(forwarder ? { pushRoute: (check: string) => cluster.pushRoute(check), pushForwarder: forwarder } : {}),
    ...(config.alerting.externalUrl ? { externalUrl: config.alerting.externalUrl } : {}),
    ...(config.server.auth ? { auth: config.server.auth } : {}),
    ui,
  });
  try {
    await cluster.start();
  } catch (error) {
    await writer?.close();
    await store?.close();
    throw error;
  }
  await alerting.start(latest);
  // The engine restored every check; from here on it evaluates only those this member owns.
  if (cluster.owns) {
    const owns = cluster.owns;
    alerting.release(config.checks.map((c) => c.name).filter((name) => !owns(name)));
    onOwnership = (change) => {
      metrics.handover(change.reason);
      if (change.lost.length > 0) alerting.release(change.lost);
      if (change.gained.length > 0) void alerting.adopt(change.gained);
    };
  }
  const port = deps.port ?? config.server.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    // Release the store (its file lock, its pooled connections) so a failed start exits at once.
    await alerting.stop(0);
    await writer?.close();
    await store?.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  apiUrl = url;
  if (!config.server.auth && !isLoopback(address.address)) {
    logger.warn(
      { api: url },
      `the API and /metrics on ${url} have no access control: set server.auth, or server.host: 127.0.0.1`,
    );
  }

  const upkeep = store
    ? createStoreUpkeep({ store, retention: () => config.retention, logger, onCompacted: () => summaries?.changed() })
    : undefined;
  // The dashboard's first visitor after a start should not wait for the history summary: read it once the
  // first compaction has folded what the store holds (in slices, the loop free between them).
  void upkeep?.start().then(() => summaries?.get().catch(() => undefined));

  scheduler.start();
  push.start();
  peers?.start();
  health.start();
  logger.info(
    {
      config: config.source,
      api: url,
      dashboard: ui.missing ? null : `${url}/`,
      storage: store ? store.kind : 'none',
      // The first checks, not all: 100,000 made one 10 MB line and 0.8 s of the start (issue 14).
      checks: config.checks
        .slice(0, STARTED_LISTED)
        .map((c) => ({ name: c.name, url: c.displayUrl, ...describeSchedule(c) })),
      ...(config.checks.length > STARTED_LISTED ? { unlisted: config.checks.length - STARTED_LISTED } : {}),
    },
    `lifeline monitor started with ${config.checks.length} check(s); API and /metrics on ${url}`,
  );
  // `run` writes its lines in batches (logger.ts); the start line goes out now, for whoever waits for it.
  logger.flush();

  const stopWatching = deps.watch
    ? watchFile(
        deps.watch,
        (text) =>
          reloadConfig(text, {
            logger,
            ...(deps.env ? { env: deps.env } : {}),
            current: () => config,
            apply(next) {
              const probeDiff = scheduler.update(probed(next.checks));
              const pushDiff = push.update(pushed(next.checks));
              const diff = {
                added: [...probeDiff.added, ...pushDiff.added],
                removed: [...probeDiff.removed, ...pushDiff.removed],
                changed: [...probeDiff.changed, ...pushDiff.changed],
              };
              // Before ownership moves: the owner of a removed check sends its resolved.
              alerting.reload(next, diff.removed);
              configured = new Set(next.checks.map((c) => c.name));
              for (const name of diff.removed) {
                metrics.forget(name);
                latest.delete(name);
              }
              // A check's client was made for its old URL and settings (CA, insecure...).
              for (const name of [...diff.removed, ...diff.changed]) void httpProber.forget(name);
              config = next;
              cluster.checksChanged();
              metrics.configured(config.checks.length);
              if (diff.added.length + diff.removed.length + diff.changed.length > 0)
                events.config(config.checks.length);
              return diff;
            },
          }),
        (error) => logger.warn({ err: error }, `cannot read ${deps.watch} for reload`),
      )
    : () => {};

  return {
    url,
    ...(store ? { store } : {}),
    config: () => config,
    async stop() {
      stopWatching();
      health.beginShutdown();
      const grace = Math.min(MAX_STOP_GRACE_MS, config.checks.reduce((m, c) => Math.max(m, c.timeoutMs), 0) + 1_000);
      await push.stop();
      await peers?.stop();
      const cancelled = await scheduler.stop(grace);
      await httpProber.close();
      const unwritten = await alerting.stop(STOP_ALERTING_MS);
      if (unwritten > 0) {
        logger.error(
          { checks: unwritten },
          `the alert state of ${unwritten} check(s) was not confirmed written before exit: those changes and their notifications are lost`,
        );
      }
      upkeep?.stop();
      await forwarder?.close();
      // Bounded: a store that cannot take the last results costs them (counted in a log line), never a hang.
      const closed = await writer?.close();
      // Leaves once its last results are written, before the last compaction and the server's close: the
      // others take its checks at their next renewal instead of waiting for those.
      await cluster.stop();
      if (closed && closed.lost > 0) {
        logger.error(
          { lost: closed.lost, timedOut: closed.timedOut },
          `${closed.lost} result(s) were not confirmed written to the store before exit: they are lost`,
        );
      } else if (upkeep) await settledWithin(upkeep.compact(), STOP_COMPACT_MS);
      events.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      health.stop();
      await store?.close();
      logger.info({ cancelled }, 'lifeline monitor stopped');
    },
  };
}

/** Waits for a promise, at most ms; what it does after that is left to run (or to be cut by store.close()). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

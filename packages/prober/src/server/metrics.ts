import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CheckResult } from '../domain/result.js';
import { OutcomeCounts, renderCheckSeries } from './check-series.js';

/** What /metrics serves: prom-client's families, then the per-check ones (check-series.ts). */
export interface MetricsText {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** What the store gauges show: read from the batch writer at scrape time. */
export interface StoreQueueSource {
  readonly flushSeconds: number;
  pending(): number;
  failing(): boolean;
  /** Epoch ms of the oldest result not stored yet. */
  oldestPending(): number | undefined;
}

/** What the alerting gauges show, read when scraped. */
export interface AlertingSource {
  /** Checks with an open incident. */
  firing(): number;
  /** Notifications not delivered yet (pending) and given up (dead), per channel, as last counted. */
  outbox(): ReadonlyMap<string, { readonly pending: number; readonly dead: number }>;
}

/** What the cluster gauges show, read when scraped (the membership's last view). */
export interface ClusterSource {
  /** Members live and active now (they own checks). */
  readonly members: number;
  /** Checks this member owns now. */
  readonly owned: number;
  /** This member's lease is valid by its own estimate of the database clock. */
  readonly leaseValid: boolean;
}

export interface Metrics {
  readonly registry: MetricsText;
  /** Counts a finished run (the last-result gauges are read from `latest` when scraped). */
  observe(result: CheckResult): void;
  skipped(check: string): void;
  lag(seconds: number): void;
  storeError(): void;
  /** A settled batch write: its duration and whether it worked. */
  storeWrite(seconds: number, ok: boolean): void;
  /** Results dropped unsaved because more than maxPending waited. */
  storeDropped(count: number): void;
  /** Where the store gauges read from when scraped; flushSeconds is the crash window. */
  storeQueue(source: StoreQueueSource): void;
  /** Drops the counters of a check no longer configured (its gauges go with its `latest` entry). */
  forget(check: string): void;
  configured(count: number): void;
  /** Where the alerting gauges read from. */
  alerting(source: AlertingSource): void;
  /** One try of one notification: delivered, to be retried, or given up (dead). */
  notification(channel: string, outcome: 'delivered' | 'retry' | 'dead'): void;
  /** Where lifeline_dns_lookups_in_flight reads from when scraped. */
  lookups(inFlight: () => number): void;
  /** Where lifeline_events_clients reads from when scraped: the live event streams open. */
  events(clients: () => number): void;
  /** A live-events client dropped because it did not read. */
  eventsDropped(): void;
  /** Where the cluster gauges read from when scraped; until called they are absent. */
  cluster(read: () => ClusterSource): void;
  /** Writes refused because this member's lease epoch was expelled: `n` results, or alert changes. */
  fenced(kind: 'results' | 'alerts', n: number): void;
  /** One ownership change of this member (OwnershipChange.reason). */
  handover(reason: string): void;
}

/**
 * Prometheus metrics of the monitor, in a registry of its own (no global
 * state). The series of each check's last run are written from `latest` when
 * /metrics is scraped, not on every run, and its runs are counted in a field
 * of its own: a run costs one addition, however many checks there are.
 */
export function createMetrics(latest: () => ReadonlyMap<string, CheckResult>): Metrics {
  const registry = new Registry();
  const counts = new Map<string, OutcomeCounts>();
  const countsOf = (check: string) => {
    let count = counts.get(check);
    if (!count) {
      count = new OutcomeCounts();
      counts.set(check, count);
    }
    return count;
  };
  const lag = new Histogram({
    name: 'lifeline_scheduler_lag_seconds',
    help: 'Delay between when a run was scheduled and when it started',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'lifeline_store_write_errors_total',
    help: 'Failed batch writes to the store',
    registers: [registry],
  });
  let queue: StoreQueueSource | undefined;
  const writeDuration = new Histogram({
    name: 'lifeline_store_write_duration_seconds',
    help: 'Time a batch write to the store took, failed ones included',
    labelNames: ['outcome'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'lifeline_store_dropped_results_total',
    help: 'Results dropped unsaved because more than the writer bound waited while the store failed',
    registers: [registry],
  });
  new Gauge({
    name: 'lifeline_store_pending_results',
    help: 'Results not written to the store yet, the write in flight included: what a crash would lose now',
    registers: [registry],
    collect() {
      this.set(queue?.pending() ?? 0);
    },
  });
  new Gauge({
    name: 'lifeline_store_oldest_pending_seconds',
    help: 'Age of the oldest result not written to the store yet (0 when none): grows while writes stall or fail',
    registers: [registry],
    collect() {
      const oldest = queue?.oldestPending();
      this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
  new Gauge({
    name: 'lifeline_store_failing',
    help: '1 while writes to the store fail (results wait and are retried with backoff), else 0',
    registers: [registry],
    collect() {
      this.set(queue?.failing() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'lifeline_store_flush_interval_seconds',
    help: 'How often results are written to the store: a crash (kill -9) loses at most the results of this window',
    registers: [registry],
    collect() {
      this.set(queue?.flushSeconds ?? 0);
    },
  });
  const configured = new Gauge({
    name: 'lifeline_checks_configured',
    help: 'Checks in the running config',
    registers: [registry],
  });

  let lookupsInFlight: (() => number) | undefined;
  new Gauge({
    name: 'lifeline_dns_lookups_in_flight',
    help: 'Name lookups started by probes and not answered yet, those of runs already timed out included: grows while the resolver is slow, up to its cap',
    registers: [registry],
    collect() {
      this.set(lookupsInFlight?.() ?? 0);
    },
  });

  let eventClients: (() => number) | undefined;
  new Gauge({
    name: 'lifeline_events_clients',
    help: 'Live event streams (GET /api/v1/events) open now',
    registers: [registry],
    collect() {
      this.set(eventClients?.() ?? 0);
    },
  });
  const eventsDropped = new Counter({
    name: 'lifeline_events_dropped_total',
    help: 'Live event clients dropped because more than 1 MiB waited unsent (they did not read)',
    registers: [registry],
  });

  let alerting: AlertingSource | undefined;
  new Gauge({
    name: 'lifeline_alerts_firing',
    help: 'Checks with an open incident (failing past their failureThreshold)',
    registers: [registry],
    collect() {
      this.set(alerting?.firing() ?? 0);
    },
  });
  new Gauge({
    name: 'lifeline_outbox_pending',
    help: 'Notifications stored and not delivered yet, per channel (retries waiting included)',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [channel, count] of alerting?.outbox() ?? []) this.set({ channel }, count.pending);
    },
  });
  new Gauge({
    name: 'lifeline_outbox_dead',
    help: 'Notifications given up after their channel maxAttempts or a permanent refusal (dead letters), per channel',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [channel, count] of alerting?.outbox() ?? []) this.set({ channel }, count.dead);
    },
  });
  const notifications = new Counter({
    name: 'lifeline_notifications_total',
    help: 'Tries to deliver a notification, by channel and outcome (delivered, retry, dead)',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });

  const cluster = clusterMetrics(registry);

  return {
    registry: {
      contentType: registry.contentType,
      async metrics() {
        const families = await registry.metrics();
        return `${families}\n${await renderCheckSeries(latest(), counts)}`;
      },
    },
    ...cluster,
    alerting(source) {
      alerting = source;
    },
    notification(channel, outcome) {
      notifications.inc({ channel, outcome });
    },
    observe(result) {
      countsOf(result.check)[result.ok ? (result.degraded ? 'degraded' : 'up') : 'down'] += 1;
    },
    skipped(check) {
      countsOf(check).skipped += 1;
    },
    lag(seconds) {
      lag.observe(seconds);
    },
    storeError() {
      storeErrors.inc();
    },
    storeWrite(seconds, ok) {
      writeDuration.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
    },
    storeDropped(count) {
      dropped.inc(count);
    },
    storeQueue(source) {
      queue = source;
    },
    lookups(inFlight) {
      lookupsInFlight = inFlight;
    },
    events(clients) {
      eventClients = clients;
    },
    eventsDropped() {
      eventsDropped.inc();
    },
    forget(check) {
      counts.delete(check);
    },
    configured(count) {
      configured.set(count);
    },
  };
}

/**
 * The cluster series (issue #13). The gauges are registered by cluster():
 * a monitor that is no cluster member (tests, `check --once`) shows none.
 */
function clusterMetrics(registry: Registry): Pick<Metrics, 'cluster' | 'fenced' | 'handover'> {
  const fenced = new Counter({
    name: 'lifeline_cluster_fenced_total',
    help: 'Writes refused because this member lost its lease and another member took its checks: results not stored, alert changes dropped (kind)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const handovers = new Counter({
    name: 'lifeline_cluster_handovers_total',
    help: 'Changes of the checks this member owns, by reason (joined, member-joined, member-left, lease-lost, lease-regained, checks-changed, stopped)',
    labelNames: ['reason'],
    registers: [registry],
  });
  let read: (() => ClusterSource) | undefined;
  return {
    cluster(source) {
      if (read === undefined) {
        new Gauge({
          name: 'lifeline_cluster_members',
          help: 'Cluster members that hold a live lease and own checks, as this member last read them',
          registers: [registry],
          collect() {
            this.set(read?.().members ?? 0);
          },
        });
        new Gauge({
          name: 'lifeline_checks_owned',
          help: 'Configured checks this member runs and alerts on now (the rest belong to other members)',
          registers: [registry],
          collect() {
            this.set(read?.().owned ?? 0);
          },
        });
        new Gauge({
          name: 'lifeline_cluster_lease_valid',
          help: "1 while this member's lease is valid (it owns checks), 0 when it lapsed (a database cut, a pause): it then runs nothing",
          registers: [registry],
          collect() {
            this.set(read?.().leaseValid ? 1 : 0);
          },
        });
        // Present from the start, so rate() sees the first fenced write.
        for (const kind of ['results', 'alerts']) fenced.inc({ kind }, 0);
      }
      read = source;
    },
    fenced(kind, n) {
      if (n > 0) fenced.inc({ kind }, n);
    },
    handover(reason) {
      handovers.inc({ reason });
    },
  };
}

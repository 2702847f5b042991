import type { Logger } from 'pino';
import type { ResolvedCheck } from '../config/resolved.js';
import {
  durablePart,
  initialAlertState,
  needsTick,
  onResult,
  onTick,
  restoreAlertState,
  type Step,
} from '../domain/alert-policy.js';
import type { AlertState, Incident, NotificationIntent, NotificationPayload } from '../domain/alerts.js';
import type { CheckError } from '../domain/errors.js';
import type { CheckResult } from '../domain/result.js';
import type { AlertStore } from '../store/store.js';
import type { AlertWriter } from './alert-writer.js';
import { counted, createHandover, depth } from './handover.js';
import type { MaintenanceCalendar } from './maintenance.js';
import { buildPayload, outboxEntries } from './payload.js';

export interface AlertEngineDeps {
  readonly store: AlertStore;
  readonly writer: AlertWriter;
  readonly logger: Logger;
  /** The running config's checks (changes on reload). */
  readonly checks: () => readonly ResolvedCheck[];
  readonly calendar: () => MaintenanceCalendar;
  /** Base of links in notifications (alerting.externalUrl, else the API's own URL). */
  readonly baseUrl: () => string | undefined;
  /** Newest stored results of a check, newest first: how a restart rebuilds the counters. */
  readonly recent?: (check: string, limit: number) => Promise<readonly CheckResult[]>;
  readonly now?: () => number;
}

export interface FiringAlert {
  readonly check: string;
  readonly incident: Incident;
  /** Receivers were told (false while a maintenance window holds the notification back). */
  readonly notified: boolean;
}

export interface AlertEngine {
  /** Loads the stored state of every configured check and rebuilds its counters. */
  restore(latest: ReadonlyMap<string, CheckResult>): Promise<void>;
  /** Whether a maintenance window covers the check at `time` (the result is then marked). */
  inMaintenance(check: string, time: number): boolean;
  /**
   * Takes over checks from another cluster member: re-reads their stored
   * state (and recent results, as restore() does), then evaluates them here.
   * Their results observed meanwhile wait, in order (at most the newest
   * max(thresholds) + 1 per check), and are applied after. Never rejects: when
   * the store does not answer it is logged and tried again at the next tick,
   * the results still waiting.
   *
   * @example
   * ```ts
   * membership onChange: ({ gained, lost }) => { engine.release(lost); void engine.adopt(gained); }
   * ```
   */
  adopt(names: readonly string[]): Promise<void>;
  /**
   * Another member owns these checks now: their state is forgotten here (no
   * ticks, reminders or held-back sends from this member) and their results,
   * such as a run still in flight, are not evaluated until adopted again.
   */
  release(names: readonly string[]): void;
  /** Applies one result of a configured check. */
  observe(result: CheckResult): void;
  /** Sends what maintenance held back once it ends, and reminders that fell due. */
  tick(): void;
  /** A reload removed these checks: receivers told one is firing hear it resolved; their state is dropped. */
  removed(checks: readonly ResolvedCheck[]): void;
  firing(): FiringAlert[];
  /** The firing payload of each told, still-open incident of checks notifying this channel (Alertmanager's refresh). */
  firingPayloads(channel: string): NotificationPayload[];
}

const errorOf = (result: CheckResult): CheckError | null => result.error ?? null;

/**
 * Applies the alert policy to every result and turns its steps into stored
 * changes: state, incidents and one outbox entry per channel, written in one
 * transaction by the writer before the worker may send them.
 */
export function createAlertEngine(deps: AlertEngineDeps): AlertEngine {
  const now = deps.now ?? Date.now;
  const states = new Map<string, AlertState>();
  /** Checks where time alone can cause a notification. */
  const ticking = new Set<string>();
  let byName = new Map<string, ResolvedCheck>();
  let byNameOf: readonly ResolvedCheck[] | undefined;
  const checkNamed = (name: string): ResolvedCheck | undefined => {
    const checks = deps.checks();
    if (checks !== byNameOf) {
      byName = new Map(checks.map((c) => [c.name, c]));
      byNameOf = checks;
    }
    return byName.get(name);
  };

  const hold = (name: string, state: AlertState, check: ResolvedCheck) => {
    states.set(name, state);
    if (needsTick(state, check.alerts)) ticking.add(name);
    else ticking.delete(name);
  };

  const apply = (check: ResolvedCheck, step: Step, at: number) => {
    const before = states.get(check.name);
    hold(check.name, step.state, check);
    if (!step.changed) return;
    const notifications = step.notifications.flatMap((intent) => outboxEntries(intent, check, deps.baseUrl(), at));
    // Only another failure counted in an open incident can wait; anything receivers hear of cannot.
    const urgent =
      step.transition !== undefined || notifications.length > 0 || step.state.notified?.id !== before?.notified?.id;
    deps.writer.add({ state: durablePart(step.state), incidents: step.incidents, notifications }, urgent);
    const incident = step.incidents[0];
    if (step.transition && incident) logIncident(check, incident, step);
    for (const intent of step.notifications) logNotification(check, intent);
  };

  const logIncident = (check: ResolvedCheck, incident: Incident, step: Step) => {
    const fields = {
      check: check.name,
      incident: incident.id,
      startedAt: new Date(incident.startedAt).toISOString(),
      ...(incident.endedAt !== null ? { endedAt: new Date(incident.endedAt).toISOString() } : {}),
      failures: incident.failures,
      error: incident.error,
      ...(incident.maintenance ? { maintenance: true } : {}),
      alert: step.state.status,
    };
    if (incident.endedAt === null) deps.logger.warn(fields, `alert: ${check.name} is failing (incident opened)`);
    else deps.logger.info(fields, `alert: ${check.name} recovered (incident closed)`);
  };
  const logNotification = (check: ResolvedCheck, intent: NotificationIntent) =>
    deps.logger.info(
      {
        check: check.name,
        incident: intent.incident.id,
        kind: intent.kind,
        key: intent.key,
        channels: check.alerts.channels,
      },
      `alert: ${intent.kind} notification for ${check.name} queued to ${check.alerts.channels.length} channel(s)`,
    );

  const evaluate = (check: ResolvedCheck, result: CheckResult) => {
    const time = Date.parse(result.time);
    const state = states.get(check.name) ?? initialAlertState(check.name, time);
    const step = onResult(
      state,
      { time, ok: result.ok, error: errorOf(result), maintenance: Boolean(result.maintenance) },
      check.alerts,
    );
    apply(check, step, now());
  };

  const handover = createHandover({
    store: deps.store,
    writer: deps.writer,
    logger: deps.logger,
    ...(deps.recent ? { recent: deps.recent } : {}),
    now,
    checkNamed,
    settle(check, state, waited) {
      hold(check.name, state, check);
      for (const result of waited) evaluate(check, result);
    },
  });

  return {
    async restore(latest) {
      const stored = await deps.store.alertStates();
      const at = now();
      for (const check of deps.checks()) {
        const durable = stored.get(check.name) ?? durablePart(initialAlertState(check.name, at));
        const last = latest.get(check.name);
        // The counters matter only where the newest result points away from the stored status.
        const needed = last !== undefined && (durable.status === 'ok' ? !last.ok : last.ok);
        const rows = needed && deps.recent ? await deps.recent(check.name, depth(check)) : last ? [last] : [];
        const state = restoreAlertState(durable, counted(rows));
        hold(check.name, state, check);
      }
      const gone = [...stored.keys()].filter((name) => !states.has(name));
      for (const name of gone) {
        const state = stored.get(name);
        if (state?.notified)
          deps.logger.warn(
            { check: name, incident: state.notified.id },
            `alert: check ${name} was removed from the config while firing; its receivers were not told it resolved`,
          );
      }
      if (gone.length > 0) await deps.store.forgetAlertStates(gone);
    },
    inMaintenance(check, time) {
      return deps.calendar().active(check, time) !== undefined;
    },
    adopt: handover.adopt,
    release(names) {
      for (const name of names) {
        states.delete(name);
        ticking.delete(name);
      }
      handover.release(names);
    },
    observe(result) {
      const check = checkNamed(result.check);
      if (check && !handover.holds(check, result)) evaluate(check, result);
    },
    tick() {
      handover.retry();
      const at = now();
      for (const name of [...ticking]) {
        const check = checkNamed(name);
        const state = states.get(name);
        if (!check || !state) {
          ticking.delete(name);
          continue;
        }
        apply(check, onTick(state, at, deps.calendar().active(name, at) !== undefined, check.alerts), at);
      }
    },
    removed(checks) {
      const at = now();
      const forget: string[] = [];
      for (const check of checks) {
        const state = states.get(check.name);
        states.delete(check.name);
        ticking.delete(check.name);
        // Another member owns it: that one tells its receivers and forgets its stored state.
        if (handover.removed(check.name)) continue;
        forget.push(check.name);
        if (!state?.notified) continue;
        const incident = { ...state.notified, endedAt: state.notified.endedAt ?? at };
        const intent: NotificationIntent = { kind: 'resolved', incident, key: `${incident.id}:resolved` };
        deps.writer.add({
          state: { ...durablePart(state), status: 'ok', incident: null, notified: null, updatedAt: at },
          incidents: [incident],
          notifications: check.alerts.sendResolved ? outboxEntries(intent, check, deps.baseUrl(), at) : [],
        });
        deps.logger.info(
          { check: check.name, incident: incident.id },
          `alert: check ${check.name} was removed from the config; its incident is closed`,
        );
      }
      if (forget.length > 0) void deps.store.forgetAlertStates(forget).catch(() => {});
    },
    firing() {
      const out: FiringAlert[] = [];
      for (const state of states.values()) {
        if (state.status !== 'failing' || !state.incident) continue;
        out.push({ check: state.check, incident: state.incident, notified: state.notified?.id === state.incident.id });
      }
      return out;
    },
    firingPayloads(channel) {
      const out: NotificationPayload[] = [];
      const at = now();
      for (const state of states.values()) {
        if (state.status !== 'failing' || !state.incident || state.notified?.id !== state.incident.id) continue;
        const check = checkNamed(state.check);
        if (!check?.alerts.channels.includes(channel)) continue;
        const incident = state.incident;
        out.push(buildPayload({ kind: 'firing', incident, key: `${incident.id}:firing` }, check, deps.baseUrl(), at));
      }
      return out;
    },
  };
}

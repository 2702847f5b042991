import type { AlertPolicy, AlertState, DurableAlertState, Incident, NotificationIntent } from './alerts.js';
import type { CheckError } from './errors.js';

/**
 * The alert policy: results in, incidents and notification requests out. Pure:
 * every time comes from the event, so tests replay any history with a fake
 * clock, and a restart replays nothing (the durable part is stored).
 *
 * Notifications are reconciled, not fired on edges: the state says what is
 * true (failing with incident X), `notified` says what receivers were told,
 * and outside a maintenance window the difference is sent. A maintenance
 * window only defers that step, so an incident still open when it ends
 * notifies then, and one that opened and closed inside it never does.
 */

/** One result of the check, as the policy needs it. */
export interface ResultEvent {
  /** When the run started, epoch ms. */
  readonly time: number;
  readonly ok: boolean;
  readonly error: CheckError | null;
  /** The run is inside a maintenance window covering the check. */
  readonly maintenance: boolean;
}

export interface Step {
  readonly state: AlertState;
  /** The durable part changed: write it (with `incidents` and `notifications`) before sending anything. */
  readonly changed: boolean;
  /** Incidents opened, counted or closed by this step (their newest version). */
  readonly incidents: readonly Incident[];
  /** ok -> failing ('opened') or failing -> ok ('closed'), when this step is one. */
  readonly transition?: 'opened' | 'closed';
  readonly notifications: readonly NotificationIntent[];
}

export function initialAlertState(check: string, now: number): AlertState {
  return {
    check,
    status: 'ok',
    incident: null,
    notified: null,
    notifiedAt: null,
    reminders: 0,
    updatedAt: now,
    consecutiveFailures: 0,
    consecutivePasses: 0,
    streakStart: null,
    streakError: null,
  };
}

/** The counters a restart rebuilds from the newest stored results (newest first). */
export function restoreAlertState(
  durable: DurableAlertState,
  newestFirst: readonly { time: number; ok: boolean; error: CheckError | null }[],
): AlertState {
  let failures = 0;
  let passes = 0;
  for (const result of newestFirst) {
    if (result.ok ? failures > 0 : passes > 0) break;
    if (result.ok) passes += 1;
    else failures += 1;
  }
  const oldestFailure = failures > 0 ? newestFirst[failures - 1] : undefined;
  // Not a spread: a monitor restores every check's state at start (100,000 spreads were ~0.5 s
  // of a start, issue #14), and holds each until the check's next result.
  return counted(
    durable,
    passes,
    failures,
    oldestFailure ? oldestFailure.time : null,
    oldestFailure ? oldestFailure.error : null,
  );
}

/**
 * The state with new counters, every field written out: a spread of 11 fields
 * puts most of them in a second array, and the newest state of every check is
 * held (~90 bytes a check more, issue #14). This is the state of almost every result.
 */
function counted(
  state: DurableAlertState,
  consecutivePasses: number,
  consecutiveFailures: number,
  streakStart: number | null,
  streakError: CheckError | null,
): AlertState {
  return {
    check: state.check,
    status: state.status,
    incident: state.incident,
    notified: state.notified,
    notifiedAt: state.notifiedAt,
    reminders: state.reminders,
    updatedAt: state.updatedAt,
    consecutiveFailures,
    consecutivePasses,
    streakStart,
    streakError,
  };
}

/** Applies one result: counts it, opens or closes the incident, then reconciles notifications. */
export function onResult(state: AlertState, event: ResultEvent, policy: AlertPolicy): Step {
  let next: AlertState = event.ok
    ? counted(state, state.consecutivePasses + 1, 0, null, null)
    : counted(
        state,
        0,
        state.consecutiveFailures + 1,
        state.streakStart ?? event.time,
        state.streakError ?? event.error,
      );
  const incidents: Incident[] = [];
  let changed = false;
  let transition: Step['transition'];
  if (next.status === 'ok' && next.consecutiveFailures >= policy.failureThreshold) {
    const startedAt = next.streakStart ?? event.time;
    const incident: Incident = {
      id: `${state.check}:${startedAt}`,
      check: state.check,
      startedAt,
      endedAt: null,
      error: next.streakError,
      failures: next.consecutiveFailures,
      ...(event.maintenance ? { maintenance: true } : {}),
    };
    next = { ...next, status: 'failing', incident, updatedAt: event.time };
    incidents.push(incident);
    changed = true;
    transition = 'opened';
  } else if (next.status === 'failing' && next.incident) {
    if (!event.ok) {
      // Written too (the writer merges a check's changes), so a restart keeps the count.
      const incident = { ...next.incident, failures: next.incident.failures + 1 };
      next = {
        ...next,
        incident,
        notified: next.notified?.id === incident.id ? incident : next.notified,
        updatedAt: event.time,
      };
      incidents.push(incident);
      changed = true;
    } else if (next.consecutivePasses >= policy.successThreshold) {
      const closed: Incident = {
        ...next.incident,
        endedAt: event.time,
        ...(event.maintenance ? { maintenance: true } : {}),
      };
      next = {
        ...next,
        status: 'ok',
        incident: null,
        // Receivers told about this incident now hear it resolved, with its end.
        notified: next.notified?.id === closed.id ? closed : next.notified,
        updatedAt: event.time,
      };
      incidents.push(closed);
      changed = true;
      transition = 'closed';
    }
  }
  const reconciled = reconcile(next, event.time, event.maintenance, policy);
  return {
    state: reconciled.state,
    changed: changed || reconciled.notifications.length > 0 || reconciled.state !== next,
    incidents,
    ...(transition ? { transition } : {}),
    notifications: reconciled.notifications,
  };
}

/**
 * Time passing without a result: sends what a maintenance window held back
 * once it is over, and reminders that fall due. Call it for checks where
 * {@link needsTick} holds.
 */
export function onTick(state: AlertState, now: number, maintenance: boolean, policy: AlertPolicy): Step {
  const reconciled = reconcile(state, now, maintenance, policy);
  return {
    state: reconciled.state,
    changed: reconciled.state !== state,
    incidents: [],
    notifications: reconciled.notifications,
  };
}

/** Whether time alone can make this state notify: a held-back notification, or a reminder to come. */
export function needsTick(state: AlertState, policy: AlertPolicy): boolean {
  if (state.status === 'failing') return state.notified?.id !== state.incident?.id || policy.reminderMs !== null;
  return state.notified !== null;
}

/** When the next reminder falls due, epoch ms, or null. */
export function nextReminderAt(state: AlertState, policy: AlertPolicy): number | null {
  if (state.status !== 'failing' || policy.reminderMs === null || state.notifiedAt === null) return null;
  if (state.notified?.id !== state.incident?.id) return null;
  return state.notifiedAt + policy.reminderMs;
}

function reconcile(
  state: AlertState,
  now: number,
  maintenance: boolean,
  policy: AlertPolicy,
): { state: AlertState; notifications: NotificationIntent[] } {
  if (maintenance) return { state, notifications: [] };
  const notifications: NotificationIntent[] = [];
  let next = state;
  const open = state.status === 'failing' ? state.incident : null;
  if (next.notified && next.notified.id !== open?.id) {
    // Told it was firing, and that incident is over: it may have closed while notifications were held back.
    const told = next.notified;
    const resolved = told.endedAt === null ? { ...told, endedAt: now } : told;
    if (policy.sendResolved) notifications.push({ kind: 'resolved', incident: resolved, key: `${told.id}:resolved` });
    next = { ...next, notified: null, notifiedAt: null, reminders: 0, updatedAt: now };
  }
  if (open && next.notified === null) {
    notifications.push({ kind: 'firing', incident: open, key: `${open.id}:firing` });
    next = { ...next, notified: open, notifiedAt: now, reminders: 0, updatedAt: now };
  } else if (
    open &&
    policy.reminderMs !== null &&
    next.notifiedAt !== null &&
    now - next.notifiedAt >= policy.reminderMs
  ) {
    const reminders = next.reminders + 1;
    notifications.push({ kind: 'reminder', incident: open, key: `${open.id}:reminder:${reminders}` });
    next = { ...next, notified: open, notifiedAt: now, reminders, updatedAt: now };
  }
  return { state: next, notifications };
}

/** The part of the state a store keeps. */
export function durablePart(state: AlertState): DurableAlertState {
  return {
    check: state.check,
    status: state.status,
    incident: state.incident,
    notified: state.notified,
    notifiedAt: state.notifiedAt,
    reminders: state.reminders,
    updatedAt: state.updatedAt,
  };
}

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ClusterConfig } from '../config/resolved.js';
import type { Clock } from '../scheduler/scheduler.js';
import type { ClusterStore } from '../store/cluster.js';
import { createMembership, type Membership, type OwnershipChange } from './membership.js';
import type { ClusterView } from './view.js';

/** At stop, leaving the cluster gets at most this long (a silent database must not hold the exit); the lease then ends on its own. */
export const STOP_LEAVE_MS = 3_000;

/** Where a ping for a push check goes: this member, or the owner's API. */
export type PushRoute =
  | { readonly local: true }
  | { readonly local: false; readonly member: string; readonly url: string }
  | { readonly local: false; readonly member: string | null; readonly error: string };

/**
 * What `lifeline run` needs of its cluster, the same shape on every store:
 * on PostgreSQL a membership (leases, ownership, fencing); on SQLite or
 * without a store a cluster of one that owns every check.
 */
export interface MonitorCluster {
  readonly mode: 'cluster' | 'single';
  /** This member's id (cluster.id, else the host name and a random suffix). */
  readonly id: string;
  /** Runs on the shared slot grid (PostgreSQL): the same run has the same scheduledAt on every member. */
  readonly grid: boolean;
  /** Whether this member runs a check (now, or at the time `at` a run was due); undefined on a single monitor (it runs all). */
  readonly owns: ((check: string, at?: number) => boolean) | undefined;
  /** The lease epoch results are stamped with; undefined on a single monitor or without a valid lease. */
  epoch(): number | undefined;
  leaseValid(): boolean;
  /** Readiness: throws, saying why, while this member owns nothing because it has no valid, active lease. */
  ready(): void;
  view(): ClusterView;
  /** For the gauges: live, active members seen, checks owned here, whether the lease holds. */
  stats(): { members: number; owned: number; leaseValid: boolean };
  pushRoute(check: string): PushRoute;
  /** Joins (PostgreSQL); rejects when the database cannot be reached. */
  start(): Promise<void>;
  checksChanged(): void;
  stop(): Promise<void>;
}

export interface MonitorClusterDeps {
  readonly store: ClusterStore | undefined;
  readonly config: ClusterConfig;
  readonly checks: () => readonly string[];
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly onChange?: (change: OwnershipChange) => void;
}

/** A member id nobody else picks by chance: the host name and six random base-36 characters. */
export function defaultMemberId(): string {
  const suffix = BigInt(`0x${randomBytes(8).toString('hex')}`)
    .toString(36)
    .slice(0, 6)
    .padStart(6, '0');
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 56) || 'lifeline';
  return `${host}-${suffix}`;
}

function singleCluster(id: string, checks: () => readonly string[]): MonitorCluster {
  return {
    mode: 'single',
    id,
    grid: false,
    owns: undefined,
    epoch: () => undefined,
    leaseValid: () => true,
    ready() {},
    view() {
      const now = Date.now();
      const names = checks();
      return {
        mode: 'single',
        self: id,
        epoch: null,
        leaseTtlMs: null,
        renewMs: null,
        members: [
          {
            id,
            epoch: 0,
            host: hostname(),
            api: null,
            startedAt: now,
            activeAt: now,
            renewedAt: now,
            expiresAt: now,
            self: true,
            live: true,
            active: true,
            checksOwned: names.length,
          },
        ],
        checksOf: (member) => (member === id ? [...names].sort() : []),
      };
    },
    stats: () => ({ members: 1, owned: checks().length, leaseValid: true }),
    pushRoute: () => ({ local: true }),
    start: async () => {},
    checksChanged() {},
    stop: async () => {},
  };
}

/** Builds the cluster side of a monitor; the composition root only wires it. */
export function createMonitorCluster(deps: MonitorClusterDeps): MonitorCluster {
  const id = deps.config.id ?? defaultMemberId();
  if (!deps.store) return singleCluster(id, deps.checks);
  const membership: Membership = createMembership({
    store: deps.store,
    id,
    host: hostname(),
    api: deps.config.advertiseUrl ?? null,
    leaseTtlMs: deps.config.leaseTtlMs,
    renewMs: deps.config.renewMs,
    checks: deps.checks,
    logger: deps.logger,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.onChange ? { onChange: deps.onChange } : {}),
  });
  const store = deps.store;
  return {
    mode: 'cluster',
    id,
    grid: true,
    owns: (check, at) => membership.owns(check, at),
    epoch: () => membership.epoch(),
    leaseValid: () => membership.leaseValid(),
    ready() {
      if (membership.ready) return;
      throw new Error(
        membership.leaseValid()
          ? `cluster member ${id} has joined and owns checks once every member has seen it`
          : `cluster member ${id} has no valid lease (the database has not confirmed a renewal in time): it runs no checks`,
      );
    },
    view: () => membership.view(),
    stats: () => ({ ...membership.stats(), leaseValid: membership.leaseValid() }),
    pushRoute(check) {
      if (membership.owns(check)) return { local: true };
      const owner = membership.ownerOf(check);
      if (!owner) return { local: false, member: null, error: 'no cluster member holds a valid lease right now' };
      if (owner.id === id) return { local: true };
      if (!owner.api) {
        return {
          local: false,
          member: owner.id,
          error: `its owner, cluster member ${owner.id}, has no cluster.advertiseUrl, so pings cannot be passed on to it`,
        };
      }
      return { local: false, member: owner.id, url: owner.api };
    },
    async start() {
      await membership.join();
      store.useFence(() => membership.epoch());
    },
    checksChanged: () => membership.checksChanged(),
    async stop() {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = await Promise.race([
        membership.stop().then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), STOP_LEAVE_MS);
        }),
      ]);
      clearTimeout(timer);
      if (gaveUp) {
        deps.logger.warn(
          { member: id },
          `cluster: leaving did not finish within ${STOP_LEAVE_MS} ms; the other members take this member's checks when its lease ends`,
        );
      }
    },
  };
}

import * as z from '../bundled/zod.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { durationField } from './fields.js';
import type { Report } from './references.js';
import type { ClusterConfig } from './resolved.js';

/**
 * `cluster:` (issue #13): how this monitor takes part in a cluster of
 * monitors sharing one PostgreSQL database. Every `lifeline run` on
 * PostgreSQL is a member (a cluster of one is fine); the section only tunes
 * it, so it is optional, and refused with any other storage
 * (clusterStorageProblem): SQLite runs one process per file.
 */

/** A member id: shown in logs and the API, stored in lifeline_members; a pod name fits (63, as a DNS label). */
export const MEMBER_ID = /^[A-Za-z0-9._-]{1,63}$/;
export const MIN_LEASE_TTL_MS = 3_000;
export const MAX_LEASE_TTL_MS = 5 * 60_000;
/** Renewing more often would only load the database: the lease is at least 3 s. */
export const MIN_RENEW_MS = 100;
/** A lease survives two failed renewals: renewEvery is at most a third of leaseTtl. */
export const RENEWALS_PER_LEASE = 3;

export const CLUSTER_DEFAULTS = { leaseTtl: '15s', renewEvery: '5s' } as const;

/** What `storage:` must be for a cluster (postgresql:// is libpq's other spelling). */
export const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** A value in a message: quoted, and cut short (a hostile file has megabyte strings). */
const shown = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

const ID_RULE = '1 to 63 letters, digits, ".", "_" and "-"';

const idField = z
  .string({ error: `cluster.id must be a string of ${ID_RULE}, e.g. \${POD_NAME}` })
  .superRefine((id, ctx) => {
    if (id === '') ctx.addIssue({ code: 'custom', message: 'cluster.id is empty: is its variable set?' });
    else if (!MEMBER_ID.test(id))
      ctx.addIssue({
        code: 'custom',
        message: `cluster.id ${shown(id)} must be ${ID_RULE}`,
      });
  });

const ADVERTISE_URL =
  'cluster.advertiseUrl is the http(s) base URL other members reach this one at, e.g. http://10.0.0.5:8080';

/** Shown by GET /api/v1/cluster to anyone who may read the API: so no credentials, and a base URL only. */
function advertiseUrlProblem(text: string): string | undefined {
  if (!URL.canParse(text)) return ADVERTISE_URL;
  const url = new URL(text);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return ADVERTISE_URL;
  if (url.username !== '' || url.password !== '')
    return 'cluster.advertiseUrl may not carry credentials: GET /api/v1/cluster shows it';
  if (url.search !== '' || url.hash !== '') return `${ADVERTISE_URL} (no query or fragment)`;
  return undefined;
}

export const clusterSchema = z
  .strictObject(
    {
      id: idField.optional(),
      leaseTtl: durationField('cluster.leaseTtl', MIN_LEASE_TTL_MS, MAX_LEASE_TTL_MS).optional(),
      renewEvery: durationField('cluster.renewEvery', MIN_RENEW_MS, MAX_LEASE_TTL_MS).optional(),
      advertiseUrl: z
        .string({ error: ADVERTISE_URL })
        .superRefine((text, ctx) => {
          const message = advertiseUrlProblem(text);
          if (message) ctx.addIssue({ code: 'custom', message });
        })
        .optional(),
    },
    { error: 'cluster takes id, leaseTtl, renewEvery and advertiseUrl' },
  )
  // Runs even when a field failed, so it reads the durations itself and skips those the fields refuse.
  .superRefine(
    (cluster, ctx) => {
      const ttlText = cluster.leaseTtl ?? CLUSTER_DEFAULTS.leaseTtl;
      const renewText = cluster.renewEvery ?? CLUSTER_DEFAULTS.renewEvery;
      const ttl = typeof ttlText === 'string' ? parseDuration(ttlText) : undefined;
      const renew = typeof renewText === 'string' ? parseDuration(renewText) : undefined;
      if (ttl === undefined || renew === undefined) return;
      if (ttl < MIN_LEASE_TTL_MS || ttl > MAX_LEASE_TTL_MS || renew < MIN_RENEW_MS || renew > MAX_LEASE_TTL_MS) return;
      if (renew * RENEWALS_PER_LEASE <= ttl) return;
      const most = formatDuration(Math.floor(ttl / RENEWALS_PER_LEASE));
      const why = 'so that a lease outlives two failed renewals';
      if (cluster.renewEvery !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `cluster.renewEvery "${cluster.renewEvery}" is more than a third of leaseTtl ${cluster.leaseTtl === undefined ? `${CLUSTER_DEFAULTS.leaseTtl} (the default)` : `"${cluster.leaseTtl}"`}: make it at most ${most}, ${why}`,
          path: ['renewEvery'],
        });
      else
        ctx.addIssue({
          code: 'custom',
          message: `cluster.leaseTtl "${cluster.leaseTtl}" is less than three times renewEvery ${CLUSTER_DEFAULTS.renewEvery} (the default): set renewEvery to at most ${most}, ${why}`,
          path: ['leaseTtl'],
        });
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type ClusterInput = z.infer<typeof clusterSchema>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Reports `cluster:` in a config whose storage is not PostgreSQL (a SQLite
 * path, "none", or no storage, which is SQLite for `run`), at the `cluster`
 * key. Read from the raw document, so it comes with every other problem;
 * `storageUnset`: storage names a variable that is not set, already reported.
 */
export function clusterStorageProblem(expanded: unknown, report: Report, storageUnset: boolean): void {
  if (!isObject(expanded) || !('cluster' in expanded) || storageUnset) return;
  const storage = expanded.storage;
  if (storage !== undefined && (typeof storage !== 'string' || storage === '')) return; // the schema reports it
  if (typeof storage === 'string' && POSTGRES_URL.test(storage)) return;
  const has =
    storage === undefined
      ? 'storage is not set, so the monitor uses SQLite (./data/lifeline.db)'
      : storage === 'none'
        ? 'storage is "none"'
        : `storage is the SQLite file ${shown(storage.replace(/^sqlite:(\/\/)?/, ''))}`;
  report(
    ['cluster'],
    `cluster needs PostgreSQL storage (storage: postgres://...), but ${has}: only monitors sharing a PostgreSQL database form a cluster`,
  );
}

const mustDuration = (text: string): number => {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`bug: unvalidated duration ${text}`);
  return ms;
};

/** Resolves a validated `cluster:` (or its absence): defaults filled, id undefined when not given. */
export function resolveCluster(input: ClusterInput | undefined): ClusterConfig {
  return {
    ...(input?.id !== undefined ? { id: input.id } : {}),
    leaseTtlMs: mustDuration(input?.leaseTtl ?? CLUSTER_DEFAULTS.leaseTtl),
    renewMs: mustDuration(input?.renewEvery ?? CLUSTER_DEFAULTS.renewEvery),
    // Other members build `${api}/api/v1/...` from it.
    ...(input?.advertiseUrl !== undefined ? { advertiseUrl: input.advertiseUrl.replace(/\/+$/, '') } : {}),
  };
}

/** One line of `lifeline validate` for a config on PostgreSQL (every monitor there is a cluster member). */
export function describeCluster(cluster: ClusterConfig): string {
  const id = cluster.id ?? '<host name>-<6 random characters> (chosen at start)';
  const api = cluster.advertiseUrl ? `, API advertised as ${cluster.advertiseUrl}` : ', no API advertised';
  return `cluster member ${id}: lease ${formatDuration(cluster.leaseTtlMs)}, renewed every ${formatDuration(cluster.renewMs)}${api}`;
}

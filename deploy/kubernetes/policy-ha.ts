// The monitor's deployment rules, as code (issue #13). For every monitor (a Deployment running
// `lifeline run`): the PostgreSQL URL comes from a Secret, never inline, and the grace period
// covers the monitor's bounded stop. For a monitor of more than one replica (or with a
// `cluster:` section) on top: PostgreSQL storage, a member id from the pod's name, an
// advertised address from the pod's IP that the other members may reach, a
// PodDisruptionBudget that keeps two, one monitor per node, readiness on /readyz that notices
// a lost lease within the lease, and a rollout that keeps what the budget keeps.
import { parseDocument } from 'yaml';
import { parseDuration } from '../../packages/prober/src/domain/duration.js';
import { MAX_STOP_GRACE_MS, STOP_ALERTING_MS, STOP_COMPACT_MS } from '../../packages/prober/src/main.js';
import { describeObject, type K8sObject } from './validate.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are walked as plain data
type Any = any;

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/** What `lifeline run` may take to stop, every step bounded in main.ts: in-flight checks, alerting, compaction. */
export const STOP_BUDGET_SECONDS = (MAX_STOP_GRACE_MS + STOP_ALERTING_MS + STOP_COMPACT_MS) / 1000;
/** The member lease when the config names none (contract of issue #13). */
const DEFAULT_LEASE_TTL = '15s';
const POSTGRES_URL = /^postgres(ql)?:\/\//i;
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Stand-ins for what the kubelet fills in, so a rendered config can be validated. */
export const DOWNWARD_SAMPLES: Readonly<Record<string, string>> = {
  'metadata.name': 'lifeline-monitor-6d5f8c7b9d-x7k2p',
  'status.podIP': '10.244.1.17',
};
const SECRET_SAMPLE = 'placeholder-secret-0123456789abcdef';
const POSTGRES_SAMPLE = 'postgres://lifeline:placeholder@postgres:5432/lifeline';

interface Monitor {
  readonly owner: Any;
  readonly labels: Record<string, string>;
  readonly spec: Any;
  readonly container: Any;
  readonly where: string;
}

interface MountedConfig {
  readonly configMap: Any;
  readonly where: string;
  readonly text: string;
}

function monitors(objects: readonly Any[]): Monitor[] {
  return objects.flatMap((o) => {
    if (o.kind !== 'Deployment') return [];
    const template = o.spec?.template;
    return (template?.spec?.containers ?? [])
      .filter((c: Any) => {
        const command: string[] = c.command ?? [];
        return command.some((part) => part.endsWith('lifeline.js')) && command.includes('run');
      })
      .map((container: Any) => ({
        owner: o,
        labels: template.metadata?.labels ?? {},
        spec: template.spec,
        container,
        where: `${describeObject(o)} container ${container.name}`,
      }));
  });
}

/** The ConfigMap key the container's `--config` path reads, through its volume mount. */
function mountedConfig(objects: readonly Any[], m: Monitor): MountedConfig | undefined {
  const command: string[] = m.container.command ?? [];
  const path = command[command.indexOf('--config') + 1];
  if (!command.includes('--config') || !path) return undefined;
  const mount = (m.container.volumeMounts ?? []).find((v: Any) => path.startsWith(`${v.mountPath}/`));
  const volume = (m.spec.volumes ?? []).find((v: Any) => v.name === mount?.name);
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume?.configMap?.name);
  const key = mount ? path.slice(mount.mountPath.length + 1) : '';
  const text = configMap?.data?.[key];
  return typeof text === 'string' ? { configMap, where: `${describeObject(configMap)}/${key}`, text } : undefined;
}

/**
 * The environment a container's config is expanded with: literal values as written, the
 * downward API and Secrets as samples of what the kubelet gives (LIFELINE_STORAGE from a
 * Secret is a PostgreSQL URL: a SQLite path is no secret). undefined for a variable it lacks.
 */
export function containerEnv(container: Any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) env[e.name] = DOWNWARD_SAMPLES[e.valueFrom.fieldRef.fieldPath] ?? 'downward-sample';
    else if (e.valueFrom?.secretKeyRef) env[e.name] = e.name === 'LIFELINE_STORAGE' ? POSTGRES_SAMPLE : SECRET_SAMPLE;
  }
  return env;
}

/** The env of the first container that mounts the ConfigMap, for validating it as that container reads it. */
export function envOfConfigMap(objects: readonly K8sObject[], name: string): Record<string, string> | undefined {
  for (const m of monitors(objects as Any[])) {
    if (mountedConfig(objects as Any[], m)?.configMap.metadata.name === name) return containerEnv(m.container);
  }
  return undefined;
}

const envEntry = (container: Any, name: string) => (container.env ?? []).find((e: Any) => e.name === name);
const variables = (text: unknown) => [...String(text ?? '').matchAll(VARIABLE)].map((v) => v[1] as string);
/** Whether the text uses a variable the container sets from the downward API field. */
const usesField = (container: Any, text: unknown, field: string) =>
  variables(text).some((name) => envEntry(container, name)?.valueFrom?.fieldRef?.fieldPath === field);

/** A Deployment's intOrString (3, "50%") as a count of `total`; percentages round as the controller does. */
function count(value: unknown, total: number, roundUp: boolean): number | undefined {
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(String(value))?.[1];
  if (percent === undefined) return undefined;
  const exact = (Number(percent) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Whether NetworkPolicies let pods with `labels` go out to `port`, at pods with `peer` labels when given. */
function egressAllowed(objects: readonly Any[], labels: Record<string, string>, port: number, peer?: Any): boolean {
  const policies = objects.filter(
    (o) =>
      o.kind === 'NetworkPolicy' &&
      matches(o.spec.podSelector?.matchLabels, labels) &&
      (o.spec.policyTypes ?? []).includes('Egress'),
  );
  if (policies.length === 0) return true;
  const peerPorts = peer
    ? (peer.spec.containers ?? []).flatMap((c: Any) => c.ports ?? []).filter((p: Any) => p.containerPort === port)
    : [];
  return policies.some((o) =>
    (o.spec.egress ?? []).some((rule: Any) => {
      const portOk =
        !rule.ports || rule.ports.some((p: Any) => p.port === port || peerPorts.some((pp: Any) => pp.name === p.port));
      const to: Any[] = rule.to ?? [];
      const peerOk =
        to.length === 0 ||
        to.some((t) =>
          peer
            ? t.podSelector && matches(t.podSelector.matchLabels, peer.labels) && !t.namespaceSelector?.matchLabels
            : Boolean(t.ipBlock || t.namespaceSelector),
        );
      return portOk && peerOk;
    }),
  );
}

/** Whether NetworkPolicies let pods with `peer` labels in to `port` of pods with `labels`. */
function ingressAllowed(objects: readonly Any[], labels: Record<string, string>, port: number, peer: Any): boolean {
  const policies = objects.filter(
    (o) =>
      o.kind === 'NetworkPolicy' &&
      matches(o.spec.podSelector?.matchLabels, labels) &&
      (o.spec.policyTypes ?? ['Ingress']).includes('Ingress'),
  );
  if (policies.length === 0) return true;
  const names = (peer.spec.containers ?? [])
    .flatMap((c: Any) => c.ports ?? [])
    .filter((p: Any) => p.containerPort === port)
    .map((p: Any) => p.name);
  return policies.some((o) =>
    (o.spec.ingress ?? []).some(
      (rule: Any) =>
        (!rule.ports || rule.ports.some((p: Any) => p.port === port || names.includes(p.port))) &&
        (!rule.from || rule.from.some((f: Any) => f.podSelector && matches(f.podSelector.matchLabels, peer.labels))),
    ),
  );
}

export function monitorRules(objects: readonly K8sObject[]): string[] {
  const errors: string[] = [];
  const all = objects as Any[];
  for (const m of monitors(all)) {
    for (const e of m.container.env ?? [])
      if (POSTGRES_URL.test(String(e.value ?? '')))
        errors.push(
          `${m.where}: env ${e.name} holds a PostgreSQL URL inline; it must come from a Secret (secretKeyRef)`,
        );
    const config = mountedConfig(all, m);
    const input = config ? ((parseDocument(config.text).toJS() ?? {}) as Any) : {};
    if (config && POSTGRES_URL.test(String(input.storage ?? '')))
      errors.push(`${config.where}: storage holds a PostgreSQL URL inline; use \${LIFELINE_STORAGE} from a Secret`);
    const grace = m.spec.terminationGracePeriodSeconds ?? 30;
    if (!(grace >= STOP_BUDGET_SECONDS))
      errors.push(
        `${describeObject(m.owner)}: terminationGracePeriodSeconds ${grace} must be at least ${STOP_BUDGET_SECONDS} (the monitor's bounded stop)`,
      );
    const replicas = m.owner.spec.replicas ?? 1;
    if (replicas > 1 || input.cluster !== undefined) errors.push(...clusterRules(all, m, replicas, input));
  }
  return errors;
}

/** A monitor that is (or may be) one of several members. */
function clusterRules(objects: readonly Any[], m: Monitor, replicas: number, input: Any): string[] {
  const errors: string[] = [];
  const at = m.where;
  const storage = variables(input.storage);
  if (storage.length !== 1 || !envEntry(m.container, storage[0] as string)?.valueFrom?.secretKeyRef)
    errors.push(`${at}: ${replicas} monitors need PostgreSQL storage, its URL from a Secret (storage: \${VAR})`);
  const cluster = input.cluster;
  if (typeof cluster !== 'object' || cluster === null) {
    errors.push(`${at}: ${replicas} monitors need a cluster: section in their config`);
  } else {
    if (!usesField(m.container, cluster.id, 'metadata.name'))
      errors.push(`${at}: cluster.id must be the pod's name (a variable from fieldRef metadata.name), one per member`);
    if (!cluster.advertiseUrl) {
      errors.push(`${at}: cluster.advertiseUrl must be set: members forward pings to a push check's owner there`);
    } else if (!usesField(m.container, cluster.advertiseUrl, 'status.podIP')) {
      errors.push(`${at}: cluster.advertiseUrl must name this pod (a variable from fieldRef status.podIP)`);
    }
  }
  const leaseMs = parseDuration(String(cluster?.leaseTtl ?? DEFAULT_LEASE_TTL)) ?? Number.NaN;
  const apiPort = Number(/:(\d+)(\/|$)/.exec(String(cluster?.advertiseUrl ?? ''))?.[1] ?? input.server?.port ?? 8080);
  if (!(m.container.ports ?? []).some((p: Any) => p.containerPort === apiPort))
    errors.push(`${at}: the advertised API port ${apiPort} is not a port of the container`);
  if (!egressAllowed(objects, m.labels, apiPort, m) || !ingressAllowed(objects, m.labels, apiPort, m))
    errors.push(`${at}: no NetworkPolicy lets the monitors reach each other on port ${apiPort}`);
  if (!egressAllowed(objects, m.labels, 5432))
    errors.push(`${at}: no NetworkPolicy lets the monitors reach PostgreSQL on port 5432`);
  const readiness = m.container.readinessProbe;
  if (readiness?.httpGet?.path !== '/readyz') {
    errors.push(`${at}: readinessProbe must be httpGet /readyz (it fails while the member holds no lease)`);
  } else {
    const noticeMs = (readiness.periodSeconds ?? 10) * (readiness.failureThreshold ?? 3) * 1000;
    if (!(noticeMs <= leaseMs))
      errors.push(
        `${at}: readinessProbe takes ${noticeMs / 1000}s to notice a lost lease, longer than the ${leaseMs / 1000}s lease`,
      );
  }
  errors.push(...spreadRules(m), ...disruptionRules(objects, m, replicas));
  return errors;
}

function spreadRules(m: Monitor): string[] {
  const where = describeObject(m.owner);
  const spread = (m.spec.topologySpreadConstraints ?? []).find(
    (t: Any) => t.topologyKey === 'kubernetes.io/hostname' && matches(t.labelSelector?.matchLabels, m.labels),
  );
  if (!spread)
    return [`${where}: needs a topologySpreadConstraint on kubernetes.io/hostname selecting its pods (one per node)`];
  const errors: string[] = [];
  if (spread.maxSkew !== 1) errors.push(`${where}: the hostname spread needs maxSkew 1, not ${spread.maxSkew}`);
  if (spread.whenUnsatisfiable !== 'DoNotSchedule')
    errors.push(`${where}: the hostname spread must be DoNotSchedule: ScheduleAnyway may put two monitors on a node`);
  return errors;
}

/** A PodDisruptionBudget keeps two monitors and lets a drain go on; the rollout keeps as many. */
function disruptionRules(objects: readonly Any[], m: Monitor, replicas: number): string[] {
  const where = describeObject(m.owner);
  const errors: string[] = [];
  const budgets = objects.filter(
    (o) =>
      o.kind === 'PodDisruptionBudget' &&
      Object.keys(o.spec.selector?.matchLabels ?? {}).length > 0 &&
      matches(o.spec.selector.matchLabels, m.labels),
  );
  if (budgets.length === 0) errors.push(`${where}: no PodDisruptionBudget selects its pods`);
  let keep = 0;
  for (const budget of budgets) {
    const min =
      budget.spec.minAvailable !== undefined
        ? count(budget.spec.minAvailable, replicas, true)
        : replicas - (count(budget.spec.maxUnavailable, replicas, true) ?? replicas);
    keep = Math.max(keep, min ?? 0);
    if (min === undefined || min < 2)
      errors.push(`${describeObject(budget)}: keeps ${min} of ${replicas} monitors through a drain; it needs 2`);
    else if (min >= replicas)
      errors.push(`${describeObject(budget)}: keeps ${min} of ${replicas} monitors, so no drain can evict one`);
  }
  const strategy = m.owner.spec.strategy ?? { type: 'RollingUpdate' };
  if (strategy.type === 'Recreate') {
    errors.push(`${where}: strategy Recreate stops every monitor at once; use RollingUpdate`);
  } else {
    const unavailable = count(strategy.rollingUpdate?.maxUnavailable ?? '25%', replicas, false) ?? replicas;
    if (replicas - unavailable < Math.max(keep, 2))
      errors.push(
        `${where}: a rollout may leave ${replicas - unavailable} of ${replicas} monitors (maxUnavailable ${unavailable}); keep ${Math.max(keep, 2)}`,
      );
  }
  return errors;
}

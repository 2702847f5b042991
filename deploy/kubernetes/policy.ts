// The review a platform team would do, as code: each rule returns the
// violations it finds in one render. Used by manifests.test.ts for every overlay.
import { Cron } from 'croner';
import { parseConfig } from '../../packages/prober/src/config/load.js';
import { ConfigError } from '../../packages/prober/src/config/problems.js';
import { envOfConfigMap, monitorRules } from './policy-ha.js';
import { pushRules } from './policy-push.js';
import { describeObject, type K8sObject } from './validate.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are walked as plain data
type Any = any;

interface PodTemplate {
  readonly owner: K8sObject;
  readonly labels: Record<string, string>;
  readonly spec: Any;
}

const LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
];

export function podTemplates(objects: readonly K8sObject[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const o of objects as Any[]) {
    const template =
      o.kind === 'CronJob'
        ? o.spec?.jobTemplate?.spec?.template
        : ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind)
          ? o.spec?.template
          : undefined;
    if (template) out.push({ owner: o, labels: template.metadata?.labels ?? {}, spec: template.spec });
  }
  return out;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/** The "restricted" Pod Security Standard, resources, labels, no service account token. */
export function podRules(objects: readonly K8sObject[]): string[] {
  const errors: string[] = [];
  for (const pod of podTemplates(objects)) {
    const where = describeObject(pod.owner);
    const s = pod.spec;
    const podSc = s.securityContext ?? {};
    if (s.automountServiceAccountToken !== false) errors.push(`${where}: automountServiceAccountToken must be false`);
    for (const label of LABELS) if (!pod.labels[label]) errors.push(`${where}: pod template lacks label ${label}`);
    const volumes = new Map<string, Any>((s.volumes ?? []).map((v: Any) => [v.name, v]));
    for (const c of s.containers ?? []) {
      const at = `${where} container ${c.name}`;
      const sc = c.securityContext ?? {};
      const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
      const runAsUser = sc.runAsUser ?? podSc.runAsUser;
      if (runAsNonRoot !== true) errors.push(`${at}: runAsNonRoot must be true`);
      if (!Number.isInteger(runAsUser) || runAsUser <= 0)
        errors.push(`${at}: runAsUser must be a numeric non-root uid`);
      if (sc.allowPrivilegeEscalation !== false) errors.push(`${at}: allowPrivilegeEscalation must be false`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) errors.push(`${at}: capabilities.drop must include ALL`);
      if ((sc.seccompProfile ?? podSc.seccompProfile)?.type !== 'RuntimeDefault')
        errors.push(`${at}: seccompProfile must be RuntimeDefault`);
      if (sc.readOnlyRootFilesystem !== true) errors.push(`${at}: readOnlyRootFilesystem must be true`);
      const tmp = (c.volumeMounts ?? []).find((m: Any) => m.mountPath === '/tmp');
      if (!tmp || !volumes.get(tmp.name)?.emptyDir)
        errors.push(`${at}: /tmp must be an emptyDir (the root filesystem is read-only)`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory)
        errors.push(`${at}: needs cpu and memory requests`);
      if (!c.resources?.limits?.memory) errors.push(`${at}: needs a memory limit`);
      const ports = new Set((c.ports ?? []).flatMap((p: Any) => [p.name, p.containerPort]));
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
        if (port !== undefined && !ports.has(port))
          errors.push(`${at}: ${probe} uses port ${port}, which the container does not declare`);
      }
    }
  }
  for (const o of objects as Any[]) {
    if (o.kind === 'ConfigMap' || o.kind === 'Secret') continue;
    for (const label of LABELS)
      if (!o.metadata?.labels?.[label]) errors.push(`${describeObject(o)}: lacks label ${label}`);
  }
  return errors;
}

/** Services and NetworkPolicies select pods that exist; Service targetPorts are declared ports. */
export function selectorRules(objects: readonly K8sObject[]): string[] {
  const errors: string[] = [];
  const pods = podTemplates(objects);
  for (const o of objects as Any[]) {
    if (o.kind === 'Service') {
      const selected = pods.filter((p) => matches(o.spec.selector, p.labels));
      if (selected.length === 0) errors.push(`${describeObject(o)}: its selector matches no pod template`);
      for (const port of o.spec.ports ?? []) {
        const target = port.targetPort ?? port.port;
        const ok = selected.some((p) =>
          (p.spec.containers ?? []).some((c: Any) =>
            (c.ports ?? []).some((cp: Any) => cp.name === target || cp.containerPort === target),
          ),
        );
        if (selected.length > 0 && !ok)
          errors.push(`${describeObject(o)}: targetPort ${target} is not a port of the pods it selects`);
      }
    }
    if (o.kind === 'NetworkPolicy') {
      if (!pods.some((p) => matches(o.spec.podSelector?.matchLabels, p.labels)))
        errors.push(`${describeObject(o)}: podSelector matches no pod template`);
      for (const rule of [...(o.spec.ingress ?? []), ...(o.spec.egress ?? [])]) {
        for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])]) {
          if (
            peer.podSelector &&
            !peer.namespaceSelector &&
            !pods.some((p) => matches(peer.podSelector.matchLabels, p.labels)) &&
            !peer.podSelector.matchLabels?.['lifeline.dev/api-client']
          ) {
            errors.push(`${describeObject(o)}: a peer podSelector matches no pod template`);
          }
        }
      }
    }
  }
  return errors;
}

/** CronJob rules: name length, cron, time zone, deadline, concurrency. */
export function cronJobRules(objects: readonly K8sObject[]): string[] {
  const errors: string[] = [];
  for (const o of objects as Any[]) {
    if (o.kind !== 'CronJob') continue;
    const where = describeObject(o);
    if (o.metadata.name.length > 52)
      errors.push(`${where}: a CronJob name must be at most 52 characters (Job names get a suffix)`);
    try {
      new Cron(o.spec.schedule, { paused: true, mode: '5-part' });
    } catch (error) {
      errors.push(`${where}: schedule "${o.spec.schedule}" is not a valid cron: ${(error as Error).message}`);
    }
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: o.spec.timeZone });
      if (!o.spec.timeZone) throw new Error('missing');
    } catch {
      errors.push(`${where}: timeZone "${o.spec.timeZone}" is not an IANA time zone`);
    }
    if (!(o.spec.startingDeadlineSeconds >= 10)) errors.push(`${where}: startingDeadlineSeconds must be at least 10`);
    if (o.spec.concurrencyPolicy !== 'Forbid') errors.push(`${where}: concurrencyPolicy must be Forbid`);
  }
  return errors;
}

/**
 * ${VAR} in a rendered config: what the container that mounts it sets (the downward API and
 * Secrets as samples), else no storage, and any other variable (a Secret's token) a valid placeholder.
 */
const renderEnv = (objects: readonly K8sObject[], configMap: string): Readonly<Record<string, string>> => {
  const known = envOfConfigMap(objects, configMap) ?? {};
  return new Proxy(known, {
    get: (target, name) =>
      typeof name === 'string' && name in target
        ? target[name]
        : name === 'LIFELINE_STORAGE'
          ? 'none'
          : 'placeholder-secret-0123456789abcdef',
  });
};

/** Every config in the render passes `lifeline validate`, and every URL it calls names a Service and one of its ports there. */
export function proberTargetRules(objects: readonly K8sObject[]): string[] {
  const errors: string[] = [];
  const services = (objects as Any[]).filter((o) => o.kind === 'Service');
  for (const o of objects as Any[]) {
    if (o.kind !== 'ConfigMap') continue;
    for (const [key, text] of Object.entries<string>(o.data ?? {})) {
      if (!/^\s*checks:/m.test(text)) continue;
      let config: ReturnType<typeof parseConfig>;
      try {
        config = parseConfig(text, { file: `${describeObject(o)}/${key}`, env: renderEnv(objects, o.metadata.name) });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        errors.push(`${describeObject(o)}/${key}: does not pass lifeline validate: ${error.message}`);
        continue;
      }
      for (const check of config.checks) {
        if (check.kind === 'dns' || check.kind === 'push') continue;
        const url = new URL(check.url);
        const name = url.hostname.split('.')[0];
        const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
        const service = services.find((s) => s.metadata.name === name);
        if (!service)
          errors.push(`${describeObject(o)}: ${check.url} names Service "${name}", which is not in the render`);
        else if (!(service.spec.ports ?? []).some((p: Any) => p.port === port))
          errors.push(`${describeObject(o)}: ${check.url} uses port ${port}, which Service ${name} does not expose`);
      }
    }
  }
  return errors;
}

/**
 * One image serves every container, pinned: each has a tag or a digest (not
 * `latest`), and all of them name the same image, so an overlay that adds a
 * workload cannot miss the kustomization's `images:` rule and deploy another.
 */
export function imageRules(objects: readonly K8sObject[]): string[] {
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const pod of podTemplates(objects)) {
    for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) {
      const at = `${describeObject(pod.owner)} container ${c.name}`;
      const image = String(c.image ?? '');
      const tag = /@sha256:[0-9a-f]{64}$/.test(image) ? 'digest' : /:([\w][\w.-]{0,127})$/.exec(image)?.[1];
      if (!tag || tag === 'latest') errors.push(`${at}: image "${image}" must carry a tag or digest other than latest`);
      seen.set(image, seen.get(image) ?? at);
    }
  }
  if (seen.size > 1)
    errors.push(
      `every container must run the same image, but the render has ${[...seen].map(([image, at]) => `"${image}" (${at})`).join(', ')}`,
    );
  return errors;
}

export function allRules(objects: readonly K8sObject[]): string[] {
  return [
    ...podRules(objects),
    ...selectorRules(objects),
    ...cronJobRules(objects),
    ...proberTargetRules(objects),
    ...imageRules(objects),
    ...pushRules(objects),
    ...monitorRules(objects),
  ];
}

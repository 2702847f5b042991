// The heartbeat wiring of the monitor overlays, as code (issue #11): a CronJob that reports
// with `--report URL` reaches a Service of the render, on a port it exposes, whose pods run a
// config with that push check; the job's token and the check's token come from the same Secret
// key; and a NetworkPolicy lets exactly the job's pods reach the monitor's port.
import { parseDocument } from 'yaml';
import { describeObject, type K8sObject } from './validate.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests are walked as plain data
type Any = any;

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

interface Workload {
  readonly owner: Any;
  readonly labels: Record<string, string>;
  readonly spec: Any;
}

function workloads(objects: readonly Any[]): Workload[] {
  return objects.flatMap((o) => {
    const template =
      o.kind === 'CronJob'
        ? o.spec?.jobTemplate?.spec?.template
        : o.kind === 'Deployment'
          ? o.spec?.template
          : undefined;
    return template ? [{ owner: o, labels: template.metadata?.labels ?? {}, spec: template.spec }] : [];
  });
}

const secretRef = (container: Any, variable: string) =>
  (container.env ?? []).find((e: Any) => e.name === variable)?.valueFrom?.secretKeyRef as
    | { name: string; key: string }
    | undefined;

/** The push checks of the configs a workload mounts: name -> the `${VAR}` its token reads. */
function pushChecks(objects: readonly Any[], workload: Workload): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const mounted = new Set((workload.spec.volumes ?? []).map((v: Any) => v.configMap?.name).filter(Boolean));
  for (const o of objects) {
    if (o.kind !== 'ConfigMap' || !mounted.has(o.metadata.name)) continue;
    for (const text of Object.values<string>(o.data ?? {})) {
      const checks = (parseDocument(text).toJS() as { checks?: Any[] } | null)?.checks ?? [];
      for (const check of checks) {
        if (check?.type !== 'push') continue;
        out.set(String(check.name), /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(String(check.token ?? ''))?.[1]);
      }
    }
  }
  return out;
}

export function pushRules(objects: readonly K8sObject[]): string[] {
  const errors: string[] = [];
  const all = objects as Any[];
  const pods = workloads(all);
  for (const job of pods.filter((p) => p.owner.kind === 'CronJob')) {
    for (const container of job.spec.containers ?? []) {
      const command: string[] = container.command ?? [];
      const at = command.indexOf('--report');
      if (at < 0) continue;
      const where = `${describeObject(job.owner)} container ${container.name}`;
      const url = new URL(command[at + 1] ?? 'http://missing');
      const check = decodeURIComponent(/^\/api\/v1\/push\/([^/]+)$/.exec(url.pathname)?.[1] ?? '');
      const port = Number(url.port || 80);
      const service = all.find((o) => o.kind === 'Service' && o.metadata.name === url.hostname.split('.')[0]);
      if (!service || !(service.spec.ports ?? []).some((p: Any) => p.port === port)) {
        errors.push(`${where}: --report ${url} names no Service and port of the render`);
        continue;
      }
      const monitors = pods.filter((p) => p.owner.kind === 'Deployment' && matches(service.spec.selector, p.labels));
      const jobToken = secretRef(container, 'LIFELINE_REPORT_TOKEN');
      if (!jobToken) errors.push(`${where}: reports without LIFELINE_REPORT_TOKEN from a Secret`);
      for (const monitor of monitors) {
        const checks = pushChecks(all, monitor);
        if (!checks.has(check)) {
          errors.push(
            `${where}: reports to push check "${check}", which ${describeObject(monitor.owner)} does not have`,
          );
          continue;
        }
        const variable = checks.get(check);
        const monitorToken = variable
          ? (monitor.spec.containers ?? []).map((c: Any) => secretRef(c, variable)).find(Boolean)
          : undefined;
        if (!monitorToken || !jobToken || monitorToken.name !== jobToken.name || monitorToken.key !== jobToken.key) {
          errors.push(
            `${where}: its token and push check "${check}"'s token in ${describeObject(monitor.owner)} must come from the same Secret key`,
          );
        }
        const target = service.spec.ports.find((p: Any) => p.port === port).targetPort;
        const containerPort = (monitor.spec.containers ?? [])
          .flatMap((c: Any) => c.ports ?? [])
          .find((p: Any) => p.name === target || p.containerPort === target)?.containerPort;
        const allowed = all.some(
          (o) =>
            o.kind === 'NetworkPolicy' &&
            matches(o.spec.podSelector?.matchLabels, job.labels) &&
            (o.spec.egress ?? []).some(
              (rule: Any) =>
                (rule.to ?? []).some(
                  (peer: Any) => peer.podSelector && matches(peer.podSelector.matchLabels, monitor.labels),
                ) && (rule.ports ?? []).some((p: Any) => p.port === containerPort),
            ),
        );
        if (!allowed)
          errors.push(
            `${where}: no NetworkPolicy lets it reach ${describeObject(monitor.owner)} on port ${containerPort}`,
          );
      }
    }
  }
  return errors;
}

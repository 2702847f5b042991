import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { main } from '../../packages/prober/src/cli/main.js';
import { LOAD_MODEL, USE_MODEL } from '../../packages/prober/src/config/heap.js';
import { loadConfigFile, parseConfig } from '../../packages/prober/src/config/load.js';
import { memoryIo } from '../../packages/prober/src/testing/cli-io.js';
import { allRules } from './policy.js';
import { type K8sObject, ROOT, render, schemaErrors, unknownFieldErrors } from './validate.js';

const BASE = 'deploy/kubernetes/base';

function find(objects: K8sObject[], kind: string, name: string): Record<string, any> {
  const found = objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name));
  assert.ok(found, `${kind}/${name} is rendered`);
  return found as Record<string, any>;
}

describe('deploy/kubernetes/base', () => {
  const objects = render(BASE);

  it('renders with kubectl kustomize', () => {
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      'ConfigMap',
      'CronJob',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
    ]);
  });

  it('validates every object against the Kubernetes schemas', async () => {
    assert.deepEqual(await schemaErrors(objects), []);
  });

  it('has no field the Kubernetes types do not know', () => {
    assert.deepEqual(unknownFieldErrors(objects), []);
  });

  it('exposes the api as Service "api", port 3000 to the container port 3000', () => {
    const service = find(objects, 'Service', 'api');
    const deployment = find(objects, 'Deployment', 'api');
    assert.equal(service.metadata.name, 'api');
    const [port] = service.spec.ports;
    assert.equal(port.port, 3000);
    const container = deployment.spec.template.spec.containers[0];
    const target = container.ports.find(
      (p: { name: string; containerPort: number }) => p.name === port.targetPort || p.containerPort === port.targetPort,
    );
    assert.equal(target?.containerPort, 3000);
    for (const [key, value] of Object.entries(service.spec.selector)) {
      assert.equal(deployment.spec.template.metadata.labels[key], value, `selector ${key} matches the pods`);
    }
  });

  it('probes the api with @lifeline/health: startup and liveness on /livez, readiness on /readyz, on a declared port', () => {
    const deployment = find(objects, 'Deployment', 'api');
    const container = deployment.spec.template.spec.containers[0];
    const ports = new Set(
      container.ports.flatMap((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
    );
    const probes = { startupProbe: '/livez', livenessProbe: '/livez', readinessProbe: '/readyz' } as const;
    for (const [probe, path] of Object.entries(probes)) {
      assert.equal(container[probe]?.httpGet?.path, path, probe);
      assert.ok(ports.has(container[probe].httpGet.port), `${probe} targets a port the container declares`);
    }
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const readiness = container.readinessProbe;
    const delayMs = Number(env.SHUTDOWN_DELAY_MS);
    assert.ok(
      delayMs / 1000 > readiness.periodSeconds * readiness.failureThreshold,
      'the delay outlasts the readiness probe',
    );
    const graceMs = deployment.spec.template.spec.terminationGracePeriodSeconds * 1000;
    assert.ok(graceMs > delayMs + Number(env.DRAIN_TIMEOUT_MS), 'the grace period covers the delay and the drain');
  });

  it('runs the prober as the seed CronJob at 08:00 with its config from the ConfigMap', () => {
    const cron = find(objects, 'CronJob', 'lifeline-check');
    assert.equal(cron.spec.schedule, '0 8 * * *');
    assert.ok(cron.spec.timeZone);
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    assert.ok(cron.spec.startingDeadlineSeconds >= 10);
    assert.ok(cron.spec.successfulJobsHistoryLimit >= 1 && cron.spec.failedJobsHistoryLimit >= 1);
    const job = cron.spec.jobTemplate.spec;
    assert.ok(job.backoffLimit >= 0 && job.activeDeadlineSeconds > 0);
    const pod = job.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    const container = pod.containers[0];
    assert.deepEqual(container.command.slice(0, 5), [
      'node',
      'packages/prober/bin/lifeline.js',
      'check',
      '--once',
      '--config',
    ]);
    const configPath: string = container.command[5];
    const mount = container.volumeMounts.find((m: { mountPath: string }) => configPath.startsWith(`${m.mountPath}/`));
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount.name);
    const configMap = find(objects, 'ConfigMap', 'lifeline-config');
    assert.equal(volume.configMap.name, configMap.metadata.name, 'the volume uses the generated ConfigMap');
    const text = configMap.data[configPath.slice(mount.mountPath.length + 1)];
    const config = parseConfig(text, { file: 'configmap', env: {} });
    assert.equal(config.checks[0]?.url, 'http://api:3000/healthcheck');
    // Every URL the prober calls names a Service and a port of that Service in the same render.
    for (const check of config.checks) {
      const url = new URL(check.url);
      const [serviceName] = url.hostname.split('.');
      const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === serviceName) as Record<
        string,
        any
      >;
      assert.ok(service, `${check.url}: Service "${serviceName}" is in the render`);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      assert.ok(
        service.spec.ports.some((p: { port: number }) => p.port === port),
        `${check.url}: Service ${serviceName} exposes port ${port}`,
      );
    }
  });

  it('ships the same checks as examples/kubernetes.yaml', () => {
    const load = (path: string) => parseConfig(readFileSync(join(ROOT, path), 'utf8'), { file: path, env: {} }).checks;
    assert.deepEqual(load(`${BASE}/lifeline.yaml`), load('examples/kubernetes.yaml'));
  });
});

const OVERLAYS = [
  'deploy/kubernetes/base',
  'deploy/kubernetes/overlays/monitor',
  'deploy/kubernetes/overlays/monitor-postgres',
  'deploy/kubernetes/overlays/monitor-ha',
];

for (const dir of OVERLAYS) {
  describe(`${dir}: schema and policy`, () => {
    const objects = render(dir);
    it('validates against the Kubernetes schemas, with no unknown field', async () => {
      assert.deepEqual(await schemaErrors(objects), []);
      assert.deepEqual(unknownFieldErrors(objects), []);
    });
    it('passes the policy checks', () => {
      assert.deepEqual(allRules(objects), []);
    });
  });
}

describe("the README's own kustomization", () => {
  it('points every container of the monitor overlay at the registry image, with kubectl alone', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const script = /```sh\n(mkdir -p deploy\/kubernetes\/mine[\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(script, 'the README shows how to point the manifests at a registry');
    const kustomization = /<<'EOF'\n([\s\S]*?)\nEOF\n/.exec(script)?.[1];
    assert.ok(kustomization, 'the README writes a kustomization.yaml');
    assert.match(script, /kubectl apply -k deploy\/kubernetes\/mine\n/);
    // Rendered where the README puts it, so its relative paths are the ones a user has.
    const dir = mkdtempSync(join(ROOT, 'deploy/kubernetes/mine-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), kustomization);
      const objects = render(relative(ROOT, dir));
      const images = new Set(
        objects
          .flatMap((o: any) => (o.spec?.template ?? o.spec?.jobTemplate?.spec?.template)?.spec?.containers ?? [])
          .map((c: { image: string }) => c.image),
      );
      assert.deepEqual([...images], ['registry.example.com/lifeline:0.1.0']);
      assert.ok(objects.some((o) => o.kind === 'Deployment' && o.metadata.name === 'lifeline-monitor'));
      assert.deepEqual(allRules(objects), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the monitor overlays', () => {
  it('SQLite: one replica, Recreate, the database on a PersistentVolumeClaim', () => {
    const objects = render('deploy/kubernetes/overlays/monitor');
    const monitor = find(objects, 'Deployment', 'lifeline-monitor');
    assert.equal(monitor.spec.replicas, 1);
    assert.equal(monitor.spec.strategy.type, 'Recreate');
    const claim = monitor.spec.template.spec.volumes.find(
      (v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim,
    );
    assert.ok(
      objects.some(
        (o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claim.persistentVolumeClaim.claimName,
      ),
    );
    const env = monitor.spec.template.spec.containers[0].env;
    assert.deepEqual(
      env.find((e: { name: string }) => e.name === 'LIFELINE_STORAGE'),
      { name: 'LIFELINE_STORAGE', value: '/data/lifeline.db' },
    );
    assert.ok(find(objects, 'Service', 'lifeline-monitor'));
  });

  it('both cap the heap below the memory limit, leaving room for native memory (issue #14)', () => {
    for (const overlay of ['monitor', 'monitor-postgres', 'monitor-ha']) {
      const container = find(render(`deploy/kubernetes/overlays/${overlay}`), 'Deployment', 'lifeline-monitor').spec
        .template.spec.containers[0];
      const options = container.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS')?.value ?? '';
      const heap = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
      const limit = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)?.[1]);
      assert.ok(heap > 0 && limit > 0, `${overlay}: ${options}, ${container.resources.limits.memory}`);
      assert.ok(heap + 96 <= limit, `${overlay}: a ${heap} MiB heap leaves too little of ${limit} Mi`);
    }
  });

  it("each states how many checks it holds, and its heap holds that many by the heap check's model (issue #14, goal 5)", () => {
    const MiB = 1024 * 1024;
    // What `lifeline run` holds in its heap before it reads the config (bench:heap: 9.8 MiB), rounded up.
    const beforeConfig = 12 * MiB;
    for (const overlay of ['monitor', 'monitor-postgres', 'monitor-ha']) {
      const monitor = find(render(`deploy/kubernetes/overlays/${overlay}`), 'Deployment', 'lifeline-monitor');
      const stated = Number(monitor.metadata.annotations?.['lifeline.dev/checks']);
      assert.ok(Number.isInteger(stated) && stated > 0, `${overlay}: annotation lifeline.dev/checks`);
      const options = monitor.spec.template.spec.containers[0].env.find(
        (e: { name: string }) => e.name === 'NODE_OPTIONS',
      ).value;
      const heap = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]) * MiB;
      // The usual check (bench:heap's realistic one): a URL, `every` and two conditions, 9 YAML nodes. The upper
      // bounds: the count the heap check itself would say fits. Loading by the full path (a ConfigMap may be
      // written in any YAML style; plain block YAML takes a fifth of it) peaks above running for this shape.
      const { high } = LOAD_MODEL.full;
      const load = high.fixed + stated * (9 * high.perNode + 2 * high.perCondition);
      const run = USE_MODEL.run.high.fixed + stated * USE_MODEL.run.high.per;
      const need = beforeConfig + Math.max(load, run);
      assert.ok(
        need <= heap,
        `${overlay}: ${stated} checks need ${Math.round(need / MiB)} MiB of heap, it has ${heap / MiB}`,
      );
    }
  });

  it('PostgreSQL: storage from the Secret lifeline-postgres, no volume claim', () => {
    const objects = render('deploy/kubernetes/overlays/monitor-postgres');
    const monitor = find(objects, 'Deployment', 'lifeline-monitor');
    const env = monitor.spec.template.spec.containers[0].env.find(
      (e: { name: string }) => e.name === 'LIFELINE_STORAGE',
    );
    assert.deepEqual(env.valueFrom.secretKeyRef, { name: 'lifeline-postgres', key: 'url' });
    assert.ok(!objects.some((o) => o.kind === 'PersistentVolumeClaim'));
  });
});

describe('the policy checks catch what they are for', () => {
  const clean = () => JSON.parse(JSON.stringify(render('deploy/kubernetes/base'))) as any[];
  const cases: [string, (objects: any[]) => void, RegExp][] = [
    [
      'capabilities not dropped',
      (o) => delete find(o, 'Deployment', 'api').spec.template.spec.containers[0].securityContext.capabilities,
      /capabilities.drop must include ALL/,
    ],
    [
      'privilege escalation',
      (o) => {
        find(o, 'Deployment', 'api').spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
      },
      /allowPrivilegeEscalation must be false/,
    ],
    [
      'a writable root filesystem',
      (o) => {
        find(
          o,
          'CronJob',
          'lifeline-check',
        ).spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
      },
      /readOnlyRootFilesystem must be true/,
    ],
    [
      'root',
      (o) => {
        find(o, 'Deployment', 'api').spec.template.spec.securityContext.runAsUser = 0;
      },
      /runAsUser must be a numeric non-root uid/,
    ],
    [
      'a probe on an undeclared port',
      (o) => {
        find(o, 'Deployment', 'api').spec.template.spec.containers[0].readinessProbe.httpGet.port = 'metrics';
      },
      /readinessProbe uses port metrics/,
    ],
    [
      'a Service that selects nothing',
      (o) => {
        find(o, 'Service', 'api').spec.selector = { 'app.kubernetes.io/name': 'apii' };
      },
      /Service\/api: its selector matches no pod template/,
    ],
    [
      'a wrong targetPort',
      (o) => {
        find(o, 'Service', 'api').spec.ports[0].targetPort = 8080;
      },
      /targetPort 8080 is not a port/,
    ],
    [
      'a NetworkPolicy for no pod',
      (o) => {
        find(o, 'NetworkPolicy', 'api-ingress').spec.podSelector.matchLabels = { app: 'nope' };
      },
      /podSelector matches no pod template/,
    ],
    [
      'a CronJob name too long',
      (o) => {
        find(o, 'CronJob', 'lifeline-check').metadata.name = 'x'.repeat(53);
      },
      /at most 52 characters/,
    ],
    [
      'a bad cron',
      (o) => {
        find(o, 'CronJob', 'lifeline-check').spec.schedule = '0 25 * * *';
      },
      /is not a valid cron/,
    ],
    [
      'a bad time zone',
      (o) => {
        find(o, 'CronJob', 'lifeline-check').spec.timeZone = 'Mars/Olympus';
      },
      /is not an IANA time zone/,
    ],
    [
      'a short starting deadline',
      (o) => {
        find(o, 'CronJob', 'lifeline-check').spec.startingDeadlineSeconds = 5;
      },
      /startingDeadlineSeconds must be at least 10/,
    ],
    [
      'overlapping jobs',
      (o) => {
        find(o, 'CronJob', 'lifeline-check').spec.concurrencyPolicy = 'Allow';
      },
      /concurrencyPolicy must be Forbid/,
    ],
    [
      'the prober calling a Service that does not exist',
      (o) => {
        const cm = find(o, 'ConfigMap', 'lifeline-config');
        cm.data['lifeline.yaml'] = cm.data['lifeline.yaml'].replace('http://api:3000', 'http://apii:3000');
      },
      /names Service "apii", which is not in the render/,
    ],
    [
      'the prober calling a port the Service does not expose',
      (o) => {
        const cm = find(o, 'ConfigMap', 'lifeline-config');
        cm.data['lifeline.yaml'] = cm.data['lifeline.yaml'].replace('http://api:3000', 'http://api:8080');
      },
      /uses port 8080, which Service api does not expose/,
    ],
    [
      'a service account token',
      (o) => {
        find(o, 'Deployment', 'api').spec.template.spec.automountServiceAccountToken = true;
      },
      /automountServiceAccountToken must be false/,
    ],
    [
      'an untagged image',
      (o) => {
        find(o, 'Deployment', 'api').spec.template.spec.containers[0].image = 'lifeline';
      },
      /Deployment\/api container api: image "lifeline" must carry a tag/,
    ],
    [
      'a workload on another image than the rest',
      (o) => {
        find(o, 'CronJob', 'lifeline-check').spec.jobTemplate.spec.template.spec.containers[0].image = 'lifeline:0.0.9';
      },
      /every container must run the same image/,
    ],
    [
      'no memory limit',
      (o) => {
        delete find(o, 'Deployment', 'api').spec.template.spec.containers[0].resources.limits;
      },
      /needs a memory limit/,
    ],
  ];
  for (const [what, breakIt, message] of cases) {
    it(what, () => {
      const objects = clean();
      breakIt(objects);
      const errors = allRules(objects);
      assert.ok(
        errors.some((e) => message.test(e)),
        `expected ${message} in ${JSON.stringify(errors)}`,
      );
    });
  }
});

describe('the manifest validator', () => {
  const deployment = (): K8sObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
  });

  it('accepts a valid object', async () => {
    assert.deepEqual(await schemaErrors([deployment()]), []);
    assert.deepEqual(unknownFieldErrors([deployment()]), []);
  });

  it('rejects a nested unknown field, naming it and the object', () => {
    const o = deployment() as any;
    o.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    const errors = unknownFieldErrors([o]);
    assert.equal(errors.length, 1);
    assert.match(errors[0] as string, /^Deployment\/broken: .*'imagePullPolcy' does not exist/);
  });

  it('rejects a wrong type and a missing required field', async () => {
    const o = deployment() as any;
    o.spec.replicas = 'two';
    delete o.spec.selector;
    const errors = await schemaErrors([o]);
    assert.equal(errors.length, 1);
    assert.match(errors[0] as string, /Deployment\/broken: .*(selector|replicas)/);
  });

  it('rejects an unknown kind', async () => {
    assert.match(
      (await schemaErrors([{ apiVersion: 'v1', kind: 'Potato', metadata: { name: 'p' } }]))[0] as string,
      /unknown apiVersion\/kind v1 Potato/,
    );
  });
});

describe('the heartbeat wiring of the monitor overlays (issue #11)', () => {
  const monitorRender = () => JSON.parse(JSON.stringify(render('deploy/kubernetes/overlays/monitor'))) as any[];
  const job = (o: any[]) => find(o, 'CronJob', 'lifeline-check').spec.jobTemplate.spec.template.spec.containers[0];

  it('the seed CronJob reports to the monitor push check seed-job, both tokens from the Secret lifeline-push', () => {
    const objects = monitorRender();
    const command: string[] = job(objects).command;
    assert.deepEqual(command.slice(-2), ['--report', 'http://lifeline-monitor:8080/api/v1/push/seed-job']);
    assert.deepEqual(job(objects).env.find((e: any) => e.name === 'LIFELINE_REPORT_TOKEN').valueFrom.secretKeyRef, {
      name: 'lifeline-push',
      key: 'token',
    });
    const config = parseConfig(find(objects, 'ConfigMap', 'lifeline-monitor-config').data['lifeline.yaml'], {
      file: 'monitor',
      env: { LIFELINE_STORAGE: 'none', LIFELINE_PUSH_TOKEN: 'a-push-token-0123456789' },
    });
    const seed = config.checks.find((c) => c.name === 'seed-job');
    assert.equal(seed?.kind, 'push');
    assert.deepEqual(seed?.schedule, { kind: 'cron', pattern: '0 8 * * *', timezone: 'Etc/UTC' });
    assert.equal(seed?.push?.graceMs, 600_000);
    assert.equal(find(objects, 'CronJob', 'lifeline-check').spec.timeZone, 'Etc/UTC', 'the same time zone as the job');
    assert.deepEqual(allRules(objects), []);
  });

  const cases: [string, (objects: any[]) => void, RegExp][] = [
    [
      'no NetworkPolicy lets the job reach the monitor',
      (o) => o.splice(o.indexOf(find(o, 'NetworkPolicy', 'prober-to-monitor')), 1),
      /no NetworkPolicy lets it reach Deployment\/lifeline-monitor on port 8080/,
    ],
    [
      'the job token from another Secret key',
      (o) => {
        job(o).env.find((e: any) => e.name === 'LIFELINE_REPORT_TOKEN').valueFrom.secretKeyRef.key = 'other';
      },
      /must come from the same Secret key/,
    ],
    [
      'a report to a push check the monitor does not have',
      (o) => {
        job(o).command[job(o).command.length - 1] = 'http://lifeline-monitor:8080/api/v1/push/nightly';
      },
      /reports to push check "nightly", which Deployment\/lifeline-monitor does not have/,
    ],
    [
      'a report to a port the Service does not expose',
      (o) => {
        job(o).command[job(o).command.length - 1] = 'http://lifeline-monitor:9090/api/v1/push/seed-job';
      },
      /names no Service and port of the render/,
    ],
  ];
  for (const [what, breakIt, message] of cases) {
    it(what, () => {
      const objects = monitorRender();
      breakIt(objects);
      const errors = allRules(objects);
      assert.ok(
        errors.some((e) => message.test(e)),
        `expected ${message} in ${JSON.stringify(errors)}`,
      );
    });
  }
});

describe('the high-availability monitor overlay (issue #13)', () => {
  const HA = 'deploy/kubernetes/overlays/monitor-ha';
  const haRender = () => JSON.parse(JSON.stringify(render(HA))) as any[];
  const monitor = (o: any[]) => find(o, 'Deployment', 'lifeline-monitor');
  const container = (o: any[]) => monitor(o).spec.template.spec.containers[0];
  const envOf = (o: any[], name: string) => container(o).env.find((e: { name: string }) => e.name === name);
  const configText = (o: any[]) => find(o, 'ConfigMap', 'lifeline-monitor-config').data['lifeline.yaml'] as string;
  const setConfig = (o: any[], edit: (text: string) => string) => {
    const cm = find(o, 'ConfigMap', 'lifeline-monitor-config');
    const before = cm.data['lifeline.yaml'];
    cm.data['lifeline.yaml'] = edit(before);
    assert.notEqual(cm.data['lifeline.yaml'], before, 'the edit changed the config');
  };
  const POD = { POD_NAME: 'lifeline-monitor-6d5f8c7b9d-x7k2p', POD_IP: '10.244.1.17' };

  it('three monitors on PostgreSQL, rolled one at a time, one per node, kept two by a PodDisruptionBudget', () => {
    const objects = haRender();
    const deployment = monitor(objects);
    const pod = deployment.spec.template;
    assert.equal(deployment.spec.replicas, 3);
    assert.deepEqual(deployment.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 1 },
    });
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'lifeline-monitor');
    assert.equal(budgets.length, 1);
    assert.equal(budgets[0].spec.minAvailable, 2);
    for (const [key, value] of Object.entries(budgets[0].spec.selector.matchLabels))
      assert.equal(pod.metadata.labels[key], value, `the budget's selector ${key} matches the monitor pods`);
    const [spread] = pod.spec.topologySpreadConstraints;
    assert.equal(spread.topologyKey, 'kubernetes.io/hostname');
    assert.equal(spread.maxSkew, 1);
    assert.equal(spread.whenUnsatisfiable, 'DoNotSchedule');
    for (const [key, value] of Object.entries(spread.labelSelector.matchLabels))
      assert.equal(pod.metadata.labels[key], value, `the spread's selector ${key} matches the monitor pods`);
    assert.deepEqual(container(objects).readinessProbe, {
      httpGet: { path: '/readyz', port: 'http' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 2,
    });
    assert.ok(pod.spec.terminationGracePeriodSeconds >= 40);
    assert.deepEqual(envOf(objects, 'POD_NAME').valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    assert.deepEqual(envOf(objects, 'POD_IP').valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });
    assert.deepEqual(envOf(objects, 'LIFELINE_STORAGE'), {
      name: 'LIFELINE_STORAGE',
      valueFrom: { secretKeyRef: { name: 'lifeline-postgres', key: 'url' } },
    });
    assert.ok(!objects.some((o) => o.kind === 'PersistentVolumeClaim'));
    const peers = find(objects, 'NetworkPolicy', 'lifeline-monitor-peers');
    assert.deepEqual(peers.spec.egress[0].to[0].podSelector.matchLabels, peers.spec.podSelector.matchLabels);
    assert.deepEqual(allRules(objects), []);
  });

  it('its config passes lifeline validate, with a member id and address from the pod', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-monitor-ha-'));
    try {
      const file = join(dir, 'lifeline.yaml');
      writeFileSync(file, configText(haRender()));
      const env = {
        LIFELINE_STORAGE: 'postgres://lifeline:secret@postgres:5432/lifeline',
        LIFELINE_PUSH_TOKEN: 'a-push-token-0123456789',
        ...POD,
      };
      const t = memoryIo(env);
      assert.equal(await main(['validate', '--config', file], t.io), 0, t.err());
      assert.match(t.out(), /: ok, 3 check\(s\)\n/);
      // `cluster` joins the resolved config in the same change (issue #13), hence the widened type.
      const config = loadConfigFile(file, env) as ReturnType<typeof loadConfigFile> & { cluster?: unknown };
      assert.deepEqual(config.cluster, {
        id: POD.POD_NAME,
        leaseTtlMs: 15_000,
        renewMs: 5_000,
        advertiseUrl: `http://${POD.POD_IP}:8080`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("its config is the monitor's, plus cluster:", () => {
    const shared = parseDocument(readFileSync(join(ROOT, 'deploy/kubernetes/monitor/lifeline.yaml'), 'utf8')).toJS();
    const { cluster, ...rest } = parseDocument(configText(haRender())).toJS();
    assert.deepEqual(rest, shared);
    assert.equal(cluster.id, '${POD_NAME}');
  });

  const cases: [string, (objects: any[]) => void, RegExp][] = [
    [
      'no PodDisruptionBudget',
      (o) => o.splice(o.indexOf(find(o, 'PodDisruptionBudget', 'lifeline-monitor')), 1),
      /Deployment\/lifeline-monitor: no PodDisruptionBudget selects its pods/,
    ],
    [
      'a budget of one',
      (o) => {
        find(o, 'PodDisruptionBudget', 'lifeline-monitor').spec.minAvailable = 1;
      },
      /PodDisruptionBudget\/lifeline-monitor: keeps 1 of 3 monitors through a drain; it needs 2/,
    ],
    [
      'a budget that blocks every drain',
      (o) => {
        find(o, 'PodDisruptionBudget', 'lifeline-monitor').spec.minAvailable = '100%';
      },
      /keeps 3 of 3 monitors, so no drain can evict one/,
    ],
    [
      'a budget for other pods',
      (o) => {
        find(o, 'PodDisruptionBudget', 'lifeline-monitor').spec.selector.matchLabels['app.kubernetes.io/instance'] =
          'lifeline-check';
      },
      /no PodDisruptionBudget selects its pods/,
    ],
    [
      'no spread over nodes',
      (o) => delete monitor(o).spec.template.spec.topologySpreadConstraints,
      /needs a topologySpreadConstraint on kubernetes.io\/hostname/,
    ],
    [
      'a spread over zones only',
      (o) => {
        monitor(o).spec.template.spec.topologySpreadConstraints[0].topologyKey = 'topology.kubernetes.io/zone';
      },
      /needs a topologySpreadConstraint on kubernetes.io\/hostname/,
    ],
    [
      'a spread that may stack monitors',
      (o) => {
        monitor(o).spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable = 'ScheduleAnyway';
      },
      /the hostname spread must be DoNotSchedule/,
    ],
    [
      'an inline PostgreSQL URL',
      (o) => {
        const env = envOf(o, 'LIFELINE_STORAGE');
        delete env.valueFrom;
        env.value = 'postgres://lifeline:hunter2@postgres:5432/lifeline';
      },
      /env LIFELINE_STORAGE holds a PostgreSQL URL inline; it must come from a Secret/,
    ],
    [
      'a PostgreSQL URL written in the config',
      (o) =>
        setConfig(o, (t) => t.replace('storage: ${LIFELINE_STORAGE}', 'storage: postgres://u:p@postgres/lifeline')),
      /storage holds a PostgreSQL URL inline/,
    ],
    [
      'three monitors on SQLite',
      (o) => {
        const env = envOf(o, 'LIFELINE_STORAGE');
        delete env.valueFrom;
        env.value = '/data/lifeline.db';
      },
      /3 monitors need PostgreSQL storage, its URL from a Secret/,
    ],
    [
      'no cluster section',
      (o) => setConfig(o, (t) => t.replace(/^cluster:\n(?: {2}.*\n)+/m, '')),
      /3 monitors need a cluster: section/,
    ],
    [
      'one member id for all',
      (o) => setConfig(o, (t) => t.replace('id: ${POD_NAME}', 'id: monitor')),
      /cluster\.id must be the pod's name/,
    ],
    [
      'POD_NAME not from the downward API',
      (o) => {
        const env = envOf(o, 'POD_NAME');
        delete env.valueFrom;
        env.value = 'monitor';
      },
      /cluster\.id must be the pod's name/,
    ],
    [
      'an advertised address through the Service',
      (o) =>
        setConfig(o, (t) =>
          t.replace('advertiseUrl: http://${POD_IP}:8080', 'advertiseUrl: http://lifeline-monitor:8080'),
        ),
      /cluster\.advertiseUrl must name this pod/,
    ],
    [
      'an advertised port the container does not have',
      (o) => setConfig(o, (t) => t.replace('http://${POD_IP}:8080', 'http://${POD_IP}:9090')),
      /the advertised API port 9090 is not a port of the container/,
    ],
    [
      'members that cannot reach each other',
      (o) => o.splice(o.indexOf(find(o, 'NetworkPolicy', 'lifeline-monitor-peers')), 1),
      /no NetworkPolicy lets the monitors reach each other on port 8080/,
    ],
    [
      'no way out to PostgreSQL',
      (o) => {
        const policy = find(o, 'NetworkPolicy', 'lifeline-monitor');
        policy.spec.egress = policy.spec.egress.filter((r: any) => !r.ports.some((p: any) => p.port === 5432));
      },
      /no NetworkPolicy lets the monitors reach PostgreSQL on port 5432/,
    ],
    [
      'readiness that ignores membership',
      (o) => {
        container(o).readinessProbe.httpGet.path = '/livez';
      },
      /readinessProbe must be httpGet \/readyz/,
    ],
    [
      'readiness slower than the lease',
      (o) => {
        container(o).readinessProbe.failureThreshold = 4;
      },
      /readinessProbe takes 20s to notice a lost lease, longer than the 15s lease/,
    ],
    [
      'Recreate',
      (o) => {
        monitor(o).spec.strategy = { type: 'Recreate' };
      },
      /strategy Recreate stops every monitor at once/,
    ],
    [
      'a rollout that takes two at once',
      (o) => {
        monitor(o).spec.strategy.rollingUpdate.maxUnavailable = 2;
      },
      /a rollout may leave 1 of 3 monitors \(maxUnavailable 2\); keep 2/,
    ],
    [
      'a grace period shorter than the stop',
      (o) => {
        monitor(o).spec.template.spec.terminationGracePeriodSeconds = 30;
      },
      /terminationGracePeriodSeconds 30 must be at least 40/,
    ],
  ];
  for (const [what, breakIt, message] of cases) {
    it(`fails the policy: ${what}`, () => {
      const objects = haRender();
      breakIt(objects);
      const errors = allRules(objects);
      assert.ok(
        errors.some((e) => message.test(e)),
        `expected ${message} in ${JSON.stringify(errors)}`,
      );
    });
  }
});

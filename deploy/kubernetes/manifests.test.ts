import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../packages/prober/src/config/load.js';
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
    for (const overlay of ['monitor', 'monitor-postgres']) {
      const container = find(render(`deploy/kubernetes/overlays/${overlay}`), 'Deployment', 'lifeline-monitor').spec
        .template.spec.containers[0];
      const options = container.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS')?.value ?? '';
      const heap = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
      const limit = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)?.[1]);
      assert.ok(heap > 0 && limit > 0, `${overlay}: ${options}, ${container.resources.limits.memory}`);
      assert.ok(heap + 96 <= limit, `${overlay}: a ${heap} MiB heap leaves too little of ${limit} Mi`);
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

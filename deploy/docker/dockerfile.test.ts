// No Docker engine runs here, so the image cannot be built in the suite. This
// test keeps the Dockerfile honest about what it can be checked for without
// one: every file it copies exists and is not excluded by .dockerignore, and
// the runtime stage follows the rules the deploy manifests rely on.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
const instructions = dockerfile
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages.at(-1) ?? '';

describe('deploy/docker/Dockerfile', () => {
  it('is multi-stage with a slim Node LTS base', () => {
    assert.ok(stages.length >= 2);
    const base = /ARG NODE_IMAGE=node:(\d+)-[a-z]+-slim/.exec(dockerfile);
    assert.ok(base, 'a node:<major>-<debian>-slim base');
    assert.equal(Number(base[1]) % 2, 0, 'an even (LTS) Node major');
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((p) => new RegExp(`^${p.replace(/\*\*\//g, '(.*/)?').replace(/\*/g, '[^/]*')}(/|$)`));
    const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    assert.ok(copies.length > 0);
    for (const copy of copies) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        assert.ok(existsSync(join(ROOT, source)), `${source} exists`);
        assert.ok(!ignored.some((re) => re.test(source)), `${source} is not excluded by .dockerignore`);
      }
    }
  });

  it('installs and builds every workspace in both stages', () => {
    const workspaces = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] })
      .workspaces;
    for (const stage of stages) {
      for (const ws of workspaces)
        assert.ok(stage.includes(`COPY ${ws}/package.json ${ws}/`), `${ws}/package.json in every stage`);
    }
    for (const ws of workspaces) assert.ok(runtime.includes(`${ws}/dist`), `${ws}/dist in the runtime stage`);
  });

  it("keeps glibc's malloc to one arena in the runtime stage (the monitor's RSS, issue 14)", () => {
    assert.match(runtime, /^ENV MALLOC_ARENA_MAX=1$/m);
  });

  it('installs production dependencies only, runs as a numeric non-root user, and starts node directly', () => {
    assert.match(runtime, /npm ci --omit=dev/);
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(runtime);
    assert.ok(user && Number(user[1]) > 0, 'numeric, non-root USER');
    const cmd = /^CMD (\[.*\])$/m.exec(runtime);
    assert.ok(cmd, 'CMD in exec form');
    const argv = JSON.parse(cmd[1] as string) as string[];
    assert.equal(argv[0], 'node', 'no npm or shell wrapper, so signals reach the process');
    assert.ok(
      existsSync(join(ROOT, (argv[1] as string).replace('/dist/', '/src/').replace(/\.js$/, '.ts'))),
      `${argv[1]} is built from a source file`,
    );
  });

  it('runs as the same user the Kubernetes manifests declare', () => {
    const uid = /^USER (\d+)/m.exec(runtime)?.[1];
    for (const file of ['api-deployment.yaml', 'prober-cronjob.yaml']) {
      const manifest = readFileSync(join(ROOT, 'deploy/kubernetes/base', file), 'utf8');
      assert.match(manifest, new RegExp(`runAsUser: ${uid}\\b`), file);
    }
  });
});

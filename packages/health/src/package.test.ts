import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

// @lifeline/health as other services get it (issue #9): `npm pack`, then a fresh
// project outside the repository installs the tarball and runs servers with it,
// as a user would after `npm install @lifeline/health`.

const run = promisify(execFile);
const PKG = new URL('..', import.meta.url).pathname;
const ROOT = new URL('../../..', import.meta.url).pathname;
const rootLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version: string; dependencies?: Record<string, string>; dev?: boolean }>;
};
const expressVersion = rootLock.packages['node_modules/express']?.version as string;
const typesNodeVersion = rootLock.packages['node_modules/@types/node']?.version as string;

/**
 * The environment of a user's shell: a surrounding `npm test` sets npm_config_local_prefix
 * (the repository), npm_package_* and lifecycle variables that must not leak into the fresh
 * project. Other npm_config_* stay: they are the user's settings (cache, registry, CA).
 */
const LEAKS = /^npm_config_(local_prefix|call|workspaces?|include_workspace_root)$/i;
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => key !== 'INIT_CWD' && !LEAKS.test(key) && (!/^npm_/i.test(key) || /^npm_config_/i.test(key)),
  ),
);

function npm(args: string[], cwd: string) {
  return run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: cleanEnv,
    timeout: 120_000,
  });
}

/**
 * A lockfile for the fresh project holding `names` and everything they need, copied
 * from the repository's lockfile: `npm ci --offline` then takes every tarball from npm's
 * cache, which the repository's own `npm ci` filled. No registry is asked.
 */
function lockFor(names: readonly string[], manifest: Record<string, unknown>): string {
  const all = rootLock.packages;
  const out: Record<string, unknown> = { '': manifest };
  const locate = (from: string, name: string): string => {
    for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
      const path = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (all[path]) return path;
      if (!base) throw new Error(`the repository's lockfile has no ${name} (needed by ${from || 'the project'})`);
    }
  };
  const walk = (path: string) => {
    if (out[path]) return;
    const { dev: _dev, ...entry } = all[path] as { dev?: boolean; dependencies?: Record<string, string> };
    out[path] = entry;
    for (const dep of Object.keys(entry.dependencies ?? {})) walk(locate(path, dep));
  };
  for (const name of names) walk(locate('', name));
  return JSON.stringify({ name: manifest.name, lockfileVersion: 3, requires: true, packages: out }, null, 2);
}

/** Starts `file` with node in the project; resolves with the port it prints on its first line (bounded). */
async function start(
  dir: string,
  file: string,
): Promise<{ child: ChildProcess; base: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [file], { cwd: dir, env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} printed no port within 10 s: ${stderr}`));
    }, 10_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const port = Number(/"port":(\d+)/.exec(line)?.[1]);
      if (port > 0) resolve(port);
      else {
        child.kill('SIGKILL');
        reject(new Error(`${file} printed ${JSON.stringify(line)} instead of its port`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code} before listening: ${stderr}`));
    });
  });
  return { child, base: `http://127.0.0.1:${port}`, exited };
}

/** SIGTERM, then the exit code, waited for at most 10 s. */
async function stop(server: { child: ChildProcess; exited: Promise<number | null> }): Promise<number | null | 'hung'> {
  server.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), 10_000);
  });
  const code = await Promise.race([server.exited, hung]);
  clearTimeout(timer);
  if (code === 'hung') server.child.kill('SIGKILL');
  return code;
}

async function assertServes(base: string) {
  const live = await fetch(`${base}/livez`);
  assert.deepEqual([live.status, await live.text()], [200, 'ok']);
  const ready = await fetch(`${base}/readyz?verbose`);
  assert.deepEqual([ready.status, await ready.text()], [200, '[+]shutdown ok\n[+]eventloop ok\nreadyz check passed\n']);
  const report = await fetch(`${base}/healthcheck`);
  assert.equal(report.headers.get('content-type'), 'application/health+json');
  const body = (await report.json()) as { status: string; serviceId: string; checks: Record<string, unknown> };
  assert.deepEqual([report.status, body.status, body.serviceId], [200, 'pass', 'demo']);
  assert.deepEqual(Object.keys(body.checks), ['eventloop:delay']);
  const bad = await fetch(`${base}/readyz/%ZZ`);
  assert.deepEqual([bad.status, ((await bad.json()) as { error: string }).error], [400, 'bad_request']);
}

const HTTP_SERVER = `import http from 'node:http';
import { createHealth, eventLoopDelayCheck } from '@lifeline/health';

const health = createHealth({ serviceId: 'demo', checks: { eventloop: eventLoopDelayCheck() } });
const server = http.createServer((req, res) => {
  if (health.handle(req, res)) return;
  res.writeHead(404).end();
});
health.attach(server, { shutdownDelay: 0 });
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

const EXPRESS_SERVER = `import express from 'express';
import { createHealth, eventLoopDelayCheck } from '@lifeline/health';

const health = createHealth({ serviceId: 'demo', checks: { eventloop: eventLoopDelayCheck() } });
const app = express();
app.use(health.express());
app.get('/hello', (req, res) => res.send('world'));
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
health.attach(server, { shutdownDelay: 0 });
`;

const TYPES_CHECK = `import { createServer } from 'node:http';
import { createHealth, type Health, type HealthReport, postgresCheck, redisCheck } from '@lifeline/health';

const health: Health = createHealth({
  serviceId: 'demo',
  checks: { db: postgresCheck({ query: async () => ({ rows: [] }) }), cache: redisCheck({ ping: async () => 'PONG' }) },
});
const server = createServer((req, res) => {
  if (!health.handle(req, res)) res.end();
});
health.attach(server, { shutdownDelay: 0, onShutdown: [() => server.close()] });
export const report: Promise<HealthReport> = health.report();
// @ts-expect-error timeout is a number of milliseconds: the types are real, not any
createHealth({ timeout: '1s' });
`;

describe('@lifeline/health packed and installed in a fresh project outside the repository', () => {
  let dir: string;
  let files: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-health-package-'));
    const { stdout } = await npm(['pack', '--json', '--pack-destination', dir], PKG);
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed, 'npm pack printed no result');
    files = packed.files.map((f) => f.path).sort();

    const manifest = {
      name: 'uses-lifeline-health',
      private: true,
      type: 'module',
      dependencies: { express: expressVersion },
      devDependencies: { '@types/node': typesNodeVersion },
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(join(dir, 'package-lock.json'), lockFor(['express', '@types/node'], manifest));
    await npm(['ci', '--offline', '--ignore-scripts'], dir);
    await npm(['install', '--offline', '--ignore-scripts', `./${packed.filename}`], dir);
    writeFileSync(join(dir, 'server-http.mjs'), HTTP_SERVER);
    writeFileSync(join(dir, 'server-express.mjs'), EXPRESS_SERVER);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships compiled JS, types, README and LICENSE; no sources, tests or test helpers', () => {
    const odd = files.filter(
      (f) => !['LICENSE', 'README.md', 'package.json'].includes(f) && !/^dist\/.+\.(js|js\.map|d\.ts)$/.test(f),
    );
    assert.deepEqual(odd, []);
    for (const f of ['README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) assert.ok(files.includes(f), f);
    assert.deepEqual(
      files.filter((f) => /test|testing/.test(f)),
      [],
    );
    // Every module of src/ is there as JS and types, and nothing stale from a deleted one.
    const sources = (function list(d: string): string[] {
      return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? (e.name === 'testing' ? [] : list(join(d, e.name))) : [join(d, e.name)],
      );
    })(join(PKG, 'src'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => relative(join(PKG, 'src'), f).replace(/\.ts$/, ''));
    const built = files.filter((f) => f.endsWith('.js')).map((f) => f.slice('dist/'.length, -'.js'.length));
    assert.deepEqual(built.sort(), sources.sort());
    for (const name of sources) assert.ok(files.includes(`dist/${name}.d.ts`), `dist/${name}.d.ts`);
  });

  it('declares what an installer needs: ESM exports with types, engines, license, no dependencies', () => {
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules/@lifeline/health/package.json'), 'utf8'));
    assert.deepEqual(installed.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
    assert.deepEqual(
      [installed.type, installed.types, installed.license, installed.engines.node, installed.private],
      ['module', './dist/index.d.ts', 'MIT', '>=20.18.1', undefined],
    );
    assert.equal(installed.dependencies, undefined);
    // Nothing optional is imported at load: only node: built-ins and the package's own files.
    const imported = new Set<string>();
    for (const f of files.filter((p) => p.endsWith('.js'))) {
      const text = readFileSync(join(dir, 'node_modules/@lifeline/health', f), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) imported.add(m[1] as string);
    }
    assert.deepEqual(
      [...imported].filter((s) => !s.startsWith('node:') && !s.startsWith('./') && !s.startsWith('../')),
      [],
    );
  });

  it('a node:http server serves /livez, /readyz and /healthcheck and exits 0 on SIGTERM', async () => {
    const server = await start(dir, 'server-http.mjs');
    try {
      await assertServes(server.base);
    } finally {
      assert.equal(await stop(server), 0);
    }
  });

  it('an Express server does the same, and its own routes still answer', async () => {
    const server = await start(dir, 'server-express.mjs');
    try {
      await assertServes(server.base);
      assert.equal(await (await fetch(`${server.base}/hello`)).text(), 'world');
    } finally {
      assert.equal(await stop(server), 0);
    }
  });

  it('its types resolve under moduleResolution nodenext and type-check strictly', async () => {
    writeFileSync(join(dir, 'check.ts'), TYPES_CHECK);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          // Checking all of @types/node costs ~15 s; the package's own .d.ts files were emitted
          // by a strict tsc, and the @ts-expect-error below proves they resolved to real types.
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 60_000 }).catch((error) => {
      assert.fail(`tsc failed in the fresh project:\n${error.stdout}${error.stderr}`);
    });
  });
});

#!/usr/bin/env node
// Run by the build after scripts/bundle-deps.mjs (which runs it): `lifeline check` as one
// file, dist/cli/check-bundle.cjs, and V8's code cache for it, dist/cli/check-bundle.v8cache
// (src/cli/compiled.ts says why: issue 14, goal 1), with dist/cli/boot.cjs, which loads it
// for bin/lifeline.js. Three steps:
//  1. esbuild bundles dist/cli/main.js with everything it imports statically and the probes it
//     imports for `check` (../once.js). Every other import() stays an import() of the file in
//     dist/ (the monitor, the store and its drivers, alerting, --report, validate's scheduler,
//     import gatus): a `check` without storage or alerting never reads them. CommonJS, since
//     V8's code cache is reachable from Node 20 only through vm.Script.
//  2. The bundle runs `lifeline check --once` on one http check against a server of its own
//     on loopback, as the CronJob does, under the V8 flags bin/lifeline.js sets for `check`;
//     then V8's code cache is saved: every function that run compiled, so the CronJob's run
//     compiles next to nothing.
//  3. A fresh process compiles the bundle with that cache and says whether V8 took it (V8
//     takes a cache only from its own version and under the same flags). If not, the cache
//     is removed with a warning: `check` still runs from the bundle, compiled from source.
// Quiet on success, like tsc; exits 1 with the reason on failure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const entry = join(dist, 'cli/main.js');
const out = join(dist, 'cli/check-bundle.cjs');
const BOOT = join(dist, 'cli/boot.cjs');
/** import()s that `check --once` makes on every run, so they belong in the bundle. */
const HOT = new Set([join(dist, 'once.js')]);

/**
 * Every other import() of a file in dist/ stays one, its specifier relative to the bundle, made
 * through the loader's import (compiled.ts): V8 does not find Node's import() callback for a
 * script compiled from a code cache ("A dynamic import callback was not specified").
 */
const LAZY = 'lifeline-lazy:';
const lazyStaysLazy = {
  name: 'lazy-stays-lazy',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\//, namespace: 'file' }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = join(args.resolveDir, args.path);
      if (HOT.has(target)) return undefined;
      let path = relative(dirname(out), target);
      if (!path.startsWith('.')) path = `./${path}`;
      return { path: `${LAZY}${path}`, external: true };
    });
  },
};

/**
 * Node's modules that the bundle's packages require at their top level but `check --once` never
 * uses: child_process (commander, for executable subcommands), http2 (undici, for servers that
 * speak HTTP/2 when allowH2 is set; the probes never set it), tls and crypto (the probes and
 * the config, for https:// targets and client certificates). Each is a stand-in that requires the module on
 * first use, so what a command does use still works; loading them cost ~50 ms of CPU per run.
 * `known`: values read at the module's top level (undici destructures http2.constants),
 * taken from this Node.js at build time so that reading them loads nothing. The names a
 * stand-in lists are the module's in this Node.js too: an ES module's `import { X509Certificate }
 * from 'node:crypto'` copies every name of a CommonJS module (as getters) when it loads.
 */
const requireHere = createRequire(import.meta.url);
const DEFERRED = {
  'node:child_process': {},
  'node:crypto': {},
  'node:http2': { constants: requireHere('node:http2').constants },
  'node:tls': {},
};

const deferBuiltins = {
  name: 'defer-builtins',
  setup(b) {
    const names = Object.keys(DEFERRED).flatMap((n) => [n, n.slice('node:'.length)]);
    const filter = new RegExp(`^(${names.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.namespace === 'deferred'
        ? { path: args.path, external: true }
        : { path: `node:${args.path.replace(/^node:/, '')}`, namespace: 'deferred' },
    );
    b.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => ({
      loader: 'js',
      contents: `// ${args.path}, required on first use (scripts/bundle-cli.mjs)
let loaded;
const load = () => (loaded ??= require(${JSON.stringify(args.path)}));
const known = ${JSON.stringify(DEFERRED[args.path])};
const names = ${JSON.stringify(Object.keys(requireHere(args.path)))};
module.exports = new Proxy({}, {
  get: (_, key) => (Object.hasOwn(known, key) ? known[key] : load()[key]),
  has: (_, key) => key in load(),
  ownKeys: () => names,
  getOwnPropertyDescriptor: (_, key) =>
    names.includes(key) ? { configurable: true, enumerable: true, get: () => load()[key] } : undefined,
});
`,
    }));
  },
};

/**
 * A module of ours that requires CommonJS packages through createRequire(import.meta.url)
 * (probes/undici.ts, for undici's Client without its index) gets the bundle's require
 * instead, so esbuild sees those requires and bundles the packages' files too: in the code
 * cache, not read and compiled one by one.
 */
const CREATE_REQUIRE = 'const require = createRequire(import.meta.url);';
const bundleRequires = {
  name: 'bundle-requires',
  setup(b) {
    b.onLoad({ filter: /\/dist\/.*\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(CREATE_REQUIRE)) return undefined;
      return { contents: text.replace(CREATE_REQUIRE, ''), loader: 'js' };
    });
  },
};

async function bundle() {
  const result = await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Reached only from modules that stay out (the store), and native or optional.
    external: ['better-sqlite3', 'pg', 'pg-native'],
    // The modules read files and resolve packages next to themselves (package.json, pino-pretty,
    // undici's parts): the bundle sits in dist/cli/, where main.js was, and its URL stands in.
    define: { 'import.meta.url': '__lifelineBundleUrl' },
    banner: {
      js: [
        '// `lifeline check`: dist/cli/main.js and what it imports, bundled by scripts/bundle-cli.mjs (the packages in it: check-bundle.meta.json; their licenses: node_modules).',
        "const __lifelineBundleUrl = require('node:url').pathToFileURL(__filename).href;",
      ].join('\n'),
    },
    minifyWhitespace: true,
    legalComments: 'none',
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [lazyStaysLazy, deferBuiltins, bundleRequires],
  });
  // bin/lifeline.js's way in for `check`: the V8 flags and the loader, CommonJS too.
  await build({
    stdin: {
      contents: [
        "export { beginStartup } from './startup.js';",
        "export { CHECK_CACHE, compiledCliIsFresh, loadCompiledCli } from './compiled.js';",
      ].join('\n'),
      resolveDir: join(dist, 'cli'),
      sourcefile: 'boot.js',
    },
    outfile: BOOT,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    define: { 'import.meta.url': '__lifelineBundleUrl' },
    banner: {
      js: [
        '// src/cli/startup.ts and src/cli/compiled.ts for bin/lifeline.js, bundled by scripts/bundle-cli.mjs.',
        "const __lifelineBundleUrl = require('node:url').pathToFileURL(__filename).href;",
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  const code = readFileSync(out, 'utf8');
  const lazy = code.split(`import("${LAZY}`);
  if (lazy.length < 2) throw new Error(`${out}: no lazy import() found; the bundle would hold every command`);
  writeFileSync(out, lazy.join('__lifelineImport("'));
  // What the bundle holds, for people and for src/cli/lazy-load.test.ts.
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(join(dist, '..'), p));
  writeFileSync(join(dist, 'cli/check-bundle.meta.json'), `${JSON.stringify({ inputs }, null, 1)}\n`);
}

/** Step 2: one real `check --once`, then the code cache of everything it compiled. */
async function train() {
  const { beginStartup, loadCompiledCli, CHECK_CACHE } = requireHere(BOOT);
  rmSync(CHECK_CACHE, { force: true });
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bundle-'));
  try {
    const config = join(dir, 'one.yaml');
    const url = `http://127.0.0.1:${server.address().port}/`;
    writeFileSync(config, `checks:\n  - name: local\n    url: ${url}\n    every: 60s\n`);
    // The flags bin/lifeline.js sets for `check`, before the bundle is compiled.
    const startup = beginStartup(undefined, undefined, 'short');
    const cli = loadCompiledCli(out, undefined);
    let output = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        output += chunk;
        done();
      },
    });
    const io = { stdout: sink, stderr: sink, env: process.env, signals: process };
    const code = await cli.main(['check', '--once', '--config', config], io, () => {}, startup);
    if (code !== 0) throw new Error(`lifeline check --once from the bundle exited ${code}: ${output}`);
    // V8 takes the cache only under the flags it is made with: those of the compile, again.
    startup.again();
    writeFileSync(CHECK_CACHE, cli.script.createCachedData());
    return CHECK_CACHE;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    server.close();
  }
}

/** Step 3, in a process of its own (one that compiled the bundle already would not read the cache). */
function verify(cache) {
  const probe = [
    `const { beginStartup, loadCompiledCli } = require(${JSON.stringify(BOOT)});`,
    "beginStartup(undefined, undefined, 'short');",
    // Compiling runs the bundle's top level only: nothing is checked or printed.
    'process.stdout.write(loadCompiledCli().cache);',
  ].join('\n');
  const run = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`compiling the bundle with its cache failed: ${run.stderr}`);
  if (run.stdout !== 'accepted') {
    rmSync(cache, { force: true });
    process.stderr.write(
      `bundle-cli: V8 did not take the code cache (${run.stdout}); removed it: \`lifeline check\` compiles from source\n`,
    );
  }
}

try {
  await bundle();
  verify(await train());
} catch (error) {
  process.stderr.write(`bundle-cli: ${error?.stack ?? error}\n`);
  process.exit(1);
}

#!/usr/bin/env node
// Run by the build after `tsc -b` (`npm run build`, `prepare`, `typecheck`, the Dockerfile):
// replaces dist/bundled/<name>.js, which tsc emits as plain re-exports from the package, with
// the same exports bundled from node_modules into one file. The code is the package's own, from
// the pinned version in package-lock.json; only what the exports reach is kept (zod's locales,
// JSON Schema and compile code are not), without comments or indentation: Node keeps the source
// text of every module in memory. Why: `lifeline check --once` runs every minute in a CronJob
// (issue 14, goal 1), and loading zod's 95 ES modules and yaml's 73 CommonJS ones one by one
// cost it 3 to 5 MiB of peak RSS and 90 to 140 ms of CPU more than these two files (one http
// check, with and without the start-up V8 flags of src/cli/startup.ts; docs/benchmarks.md).
// Without this step dist/ still works, module by module, as tsc wrote it.
// Quiet on success, like tsc; exits 1 with esbuild's message on failure.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url);
const require = createRequire(root);

/** The packages src/bundled/ re-exports; each has src/bundled/<name>.ts. */
const PACKAGES = ['zod', 'yaml'];

for (const name of PACKAGES) {
  const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8'));
  const entry = fileURLToPath(new URL(`src/bundled/${name}.ts`, root));
  const outfile = fileURLToPath(new URL(`dist/bundled/${name}.js`, root));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    legalComments: 'none',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    banner: {
      js: [
        `// ${name} ${pkg.version} (${pkg.license}; its LICENSE is in node_modules/${name}), bundled from src/bundled/${name}.ts by scripts/bundle-deps.mjs.`,
        // A CommonJS package inside an ES module (yaml) still calls require() for Node's own modules.
        "import { createRequire as __lifelineCreateRequire } from 'node:module';",
        'const require = __lifelineCreateRequire(import.meta.url);',
      ].join('\n'),
    },
  });
}

// Then `lifeline check` as one file with V8's code cache, which needs the bundles above.
await import('./bundle-cli.mjs');

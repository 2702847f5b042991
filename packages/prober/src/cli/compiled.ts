/**
 * `lifeline check` from one bundled file, compiled from V8's code cache (issue 14, goal 1).
 *
 * `check --once` runs every minute in a CronJob, and most of what it cost beyond `node -e 0`
 * was getting its code in: ~110 modules found, read and compiled one by one (ES modules have
 * no code cache before Node 22, and Node 22's needs a writable directory, which the CronJob's
 * read-only root file system does not give it). So the build (scripts/bundle-cli.mjs) bundles
 * what `check` runs into dist/cli/check-bundle.cjs, runs it once on a real check and saves
 * V8's code cache beside it; here it is compiled from that cache: one file read, next to no
 * parsing or compiling. What `check` loads only for some configs (the store, alerting,
 * --report) stays out of the bundle and is imported from dist/ when asked for.
 *
 * V8 refuses a cache made by another V8 version or under other V8 flags (a NODE_OPTIONS
 * flag, say); the bundle is then compiled from source, as correct and ~0.1 s slower. Without
 * the bundle (dist/ as `tsc` alone wrote it) bin/lifeline.js imports dist/cli/main.js. The build
 * also bundles this module and startup.ts into dist/cli/boot.cjs, which bin/lifeline.js
 * requires for `check`: a run from the bundle starts no ES module loader.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type { main } from './main.js';

export const CHECK_BUNDLE = fileURLToPath(new URL('./check-bundle.cjs', import.meta.url));
export const CHECK_CACHE = fileURLToPath(new URL('./check-bundle.v8cache', import.meta.url));
/**
 * Rewritten by every `tsc -b` that emits: newer than the bundle, dist/ changed after the last
 * bundling (a `tsc` without `npm run build`), and the bundle would run the old code. Not in the
 * published package or the image, whose dist/ is built once.
 */
const TSC_BUILD_INFO = fileURLToPath(new URL('../../tsconfig.tsbuildinfo', import.meta.url));

/** What V8 did with the code cache: used it, refused it (another V8 or other flags), or there was none. */
export type CacheUse = 'accepted' | 'rejected' | 'none';

export interface CompiledCli {
  readonly main: typeof main;
  readonly cache: CacheUse;
  /** The compiled script, for the build to save its code cache once it has run. */
  readonly script: vm.Script;
}

/**
 * The CommonJS wrapper, on the bundle's first line so its line numbers stay the file's own.
 * `__lifelineImport`: the bundle's import() of what stays out of it (scripts/bundle-cli.mjs), made
 * here, since V8 finds no import() callback for a script compiled from a code cache.
 */
const wrap = (source: string) =>
  `(function (exports, require, module, __filename, __dirname, __lifelineImport) {${source}\n})`;

function mtimeIfThere(path: string): number | undefined {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs;
}

function readIfThere(path: string): Buffer | undefined;
function readIfThere(path: string, encoding: 'utf8'): string | undefined;
function readIfThere(path: string, encoding?: 'utf8'): Buffer | string | undefined {
  try {
    return encoding ? readFileSync(path, encoding) : readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The build made the bundle, and no `tsc` emitted since (it would run the old code). */
export function compiledCliIsFresh(bundlePath: string = CHECK_BUNDLE, buildInfo: string = TSC_BUILD_INFO): boolean {
  const bundled = mtimeIfThere(bundlePath);
  return bundled !== undefined && bundled >= (mtimeIfThere(buildInfo) ?? 0);
}

/**
 * Compiles and runs the bundle; undefined when it is not there or not fresh. `cachePath`
 * undefined: compile from source (the build does, before it saves the cache).
 */
export function loadCompiledCli(
  bundlePath: string = CHECK_BUNDLE,
  cachePath: string | undefined = CHECK_CACHE,
  buildInfo: string = TSC_BUILD_INFO,
): CompiledCli | undefined {
  if (!compiledCliIsFresh(bundlePath, buildInfo)) return undefined;
  const source = readIfThere(bundlePath, 'utf8');
  if (source === undefined) return undefined;
  const cachedData = cachePath === undefined ? undefined : readIfThere(cachePath);
  const script = new vm.Script(wrap(source), { filename: bundlePath, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as { main?: typeof main } };
  const init = script.runInThisContext() as (...args: unknown[]) => void;
  // What stays out of the bundle (the store, alerting, the monitor): Node's loader, from the bundle's directory.
  const importLazy = (specifier: string) => import(pathToFileURL(resolve(dirname(bundlePath), specifier)).href);
  init(module.exports, createRequire(bundlePath), module, bundlePath, dirname(bundlePath), importLazy);
  if (typeof module.exports.main !== 'function') throw new Error(`${bundlePath} does not export main()`);
  const cache: CacheUse = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return { main: module.exports.main, cache, script };
}

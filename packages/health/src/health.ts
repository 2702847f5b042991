import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type Middleware, toMiddleware } from './express.js';
import { createHandler, type HealthPaths } from './handler.js';
import { attachLifecycle, type Lifecycle, type LifecycleOptions, validateLifecycleOptions } from './lifecycle.js';
import { buildReport, type HealthReport, type ReportMeta } from './report.js';
import { type CheckFunction, type CheckSpec, createRunner, type Runner } from './runner.js';

/** A check: a function, or a function with options. */
export interface CheckDefinition {
  readonly run: CheckFunction;
  /** Default true. A failing non-critical check makes the report `warn` (200), not `fail` (503). */
  readonly critical?: boolean;
  /** Per-check timeout in ms (default: the `timeout` option, 1000). */
  readonly timeout?: number;
  /** The draft's componentType: `datastore`, `component`, `system`... (default `component`). */
  readonly componentType?: string;
  readonly componentId?: string;
  /**
   * Include in `/livez`. Only for checks about this process (event loop,
   * memory): liveness must never depend on another service, or one outage
   * restarts every pod that uses it.
   */
  readonly liveness?: boolean;
}

export type CheckInput = CheckFunction | CheckDefinition;

export interface HealthOptions extends ReportMeta {
  readonly checks?: Readonly<Record<string, CheckInput>> | readonly (CheckDefinition & { readonly name: string })[];
  /** Default per-check timeout, ms (default 1000). */
  readonly timeout?: number;
  /** How long results are served before the background refresh, ms (default 5000). */
  readonly cacheTtl?: number;
  readonly paths?: Partial<HealthPaths>;
  /** Show checks' error output to everyone (`always`) or only with the token (`never`, default). */
  readonly details?: 'always' | 'never';
  /** Requests with `Authorization: Bearer <detailsToken>` see error output. */
  readonly detailsToken?: string;
  /** Injectable clock for tests. */
  readonly now?: () => Date;
}

export interface Health {
  /** node:http: answers a health path and returns true, or returns false and leaves the request alone. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Express 4/5 middleware. */
  express(): Middleware;
  /** SIGTERM/SIGINT -> not ready -> delay -> drain -> hooks -> exit(0). */
  attach(server: Server, options?: LifecycleOptions): Lifecycle;
  /** The full report, as `/healthcheck` serves it with details. */
  report(): Promise<HealthReport>;
  /** Readiness fails from now on; called by the lifecycle on a signal. */
  beginShutdown(): void;
  readonly shuttingDown: boolean;
  /** Starts the background check refresh (done on first request anyway). */
  start(): void;
  stop(): void;
  readonly runner: Runner;
}

const OPTION_KEYS = new Set([
  'serviceId',
  'version',
  'releaseId',
  'description',
  'checks',
  'timeout',
  'cacheTtl',
  'paths',
  'details',
  'detailsToken',
  'now',
]);
const CHECK_KEYS = new Set(['name', 'run', 'critical', 'timeout', 'componentType', 'componentId', 'liveness']);
const RESERVED = new Set(['ping', 'shutdown']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function positiveMs(where: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `createHealth: ${where} must be a positive number of milliseconds, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function resolveChecks(options: HealthOptions, defaultTimeout: number): CheckSpec[] {
  const given = options.checks ?? {};
  const entries: [string, unknown][] = Array.isArray(given)
    ? given.map((c, i) => [typeof c?.name === 'string' ? c.name : `#${i}`, c])
    : Object.entries(given);
  const seen = new Set<string>();
  return entries.map(([name, input]) => {
    const where = `check "${name}"`;
    if (!NAME.test(name)) {
      throw new TypeError(`createHealth: ${where}: names use letters, digits, ".", "_" and "-" (they appear in URLs)`);
    }
    if (RESERVED.has(name)) throw new TypeError(`createHealth: ${where}: "${name}" is a built-in check name`);
    if (seen.has(name)) throw new TypeError(`createHealth: duplicate check name "${name}"`);
    seen.add(name);
    if (typeof input === 'function') {
      return {
        name,
        run: input as CheckFunction,
        critical: true,
        timeoutMs: defaultTimeout,
        componentType: 'component',
        liveness: false,
      };
    }
    if (!input || typeof input !== 'object' || typeof (input as CheckDefinition).run !== 'function') {
      throw new TypeError(`createHealth: ${where} is not a check: give a function or an object with a run() function`);
    }
    const def = input as CheckDefinition;
    for (const key of Object.keys(def)) {
      if (!CHECK_KEYS.has(key)) throw new TypeError(`createHealth: ${where}: unknown option "${key}"`);
    }
    if (def.critical !== undefined && typeof def.critical !== 'boolean') {
      throw new TypeError(`createHealth: ${where}: critical must be a boolean`);
    }
    return {
      name,
      run: def.run,
      critical: def.critical ?? true,
      timeoutMs: def.timeout === undefined ? defaultTimeout : positiveMs(`${where} timeout`, def.timeout),
      componentType: def.componentType ?? 'component',
      ...(def.componentId !== undefined ? { componentId: def.componentId } : {}),
      liveness: def.liveness ?? false,
    };
  });
}

function resolvePaths(paths: Partial<HealthPaths> | undefined): HealthPaths {
  const out = { health: '/healthcheck', live: '/livez', ready: '/readyz', ...paths };
  for (const [key, value] of Object.entries(out)) {
    if (
      typeof value !== 'string' ||
      !value.startsWith('/') ||
      value.includes('?') ||
      (value.length > 1 && value.endsWith('/'))
    ) {
      throw new TypeError(
        `createHealth: paths.${key} must be an absolute path like "/readyz", got ${JSON.stringify(value)}`,
      );
    }
  }
  if (new Set(Object.values(out)).size !== 3)
    throw new TypeError('createHealth: paths.health, live and ready must differ');
  return out;
}

/**
 * Health endpoints for a Node service, on its main port.
 *
 * @example
 * ```ts
 * const health = createHealth({
 *   serviceId: 'api', version: '1.4.0',
 *   checks: {
 *     postgres: postgresCheck(pool),
 *     redis: redisCheck(client),
 *     billing: httpCheck('http://billing:8080/readyz', { critical: false }),
 *   },
 * });
 * app.use(health.express());
 * const server = app.listen(3000);
 * health.attach(server, { onShutdown: [() => pool.end()] });
 * ```
 *
 * Throws TypeError for invalid options; nothing is started until the first
 * request, `start()` or `attach()`.
 */
export function createHealth(options: HealthOptions = {}): Health {
  if (typeof options !== 'object' || options === null) throw new TypeError('createHealth: options must be an object');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`createHealth: unknown option "${key}"`);
  }
  const defaultTimeout = options.timeout === undefined ? 1_000 : positiveMs('timeout', options.timeout);
  const ttlMs = options.cacheTtl === undefined ? 5_000 : positiveMs('cacheTtl', options.cacheTtl);
  if (options.details !== undefined && options.details !== 'always' && options.details !== 'never') {
    throw new TypeError(`createHealth: details must be "always" or "never", got ${JSON.stringify(options.details)}`);
  }
  if (
    options.detailsToken !== undefined &&
    (typeof options.detailsToken !== 'string' || options.detailsToken.length < 8)
  ) {
    throw new TypeError('createHealth: detailsToken must be a string of at least 8 characters');
  }
  const paths = resolvePaths(options.paths);
  const checks = resolveChecks(options, defaultTimeout);
  const now = options.now ?? (() => new Date());
  const runner = createRunner({ checks, ttlMs, now });
  const meta: ReportMeta = {
    ...(options.serviceId !== undefined ? { serviceId: options.serviceId } : {}),
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.releaseId !== undefined ? { releaseId: options.releaseId } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
  };
  let shuttingDown = false;
  const liveNames = checks.filter((c) => c.liveness).map((c) => c.name);
  const readyNames = checks.filter((c) => !c.liveness).map((c) => c.name);
  const handle = createHandler({
    runner,
    paths,
    liveNames,
    readyNames,
    meta,
    details: options.details ?? 'never',
    ...(options.detailsToken !== undefined ? { detailsToken: options.detailsToken } : {}),
    isShuttingDown: () => shuttingDown,
    now,
  });

  const health: Health = {
    handle,
    express: () => toMiddleware(handle),
    attach(server, lifecycleOptions = {}) {
      validateLifecycleOptions(lifecycleOptions);
      runner.start();
      return attachLifecycle(server, health, lifecycleOptions);
    },
    async report() {
      return buildReport(meta, await runner.outcomes([...liveNames, ...readyNames]), true);
    },
    beginShutdown() {
      shuttingDown = true;
    },
    get shuttingDown() {
      return shuttingDown;
    },
    start: () => runner.start(),
    stop: () => runner.stop(),
    runner,
  };
  return health;
}

import type { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type ShutdownHook = () => unknown;

export interface LifecycleLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LifecycleOptions {
  /**
   * How long to keep serving, with readiness failing, before the server stops
   * accepting connections (ms, default 5000). Kubernetes removes a pod from a
   * Service's endpoints only after its readinessProbe fails (periodSeconds x
   * failureThreshold) or, on deletion, once the endpoint change has reached
   * every node's kube-proxy, which is not synchronised with the SIGTERM the
   * kubelet sends. Until then new connections still arrive; closing the
   * listener at once would refuse them. See
   * https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
   * Keep shutdownDelay + drainTimeout + hooks below terminationGracePeriodSeconds.
   */
  readonly shutdownDelay?: number;
  /** How long in-flight requests may take to finish after the listener closes (ms, default 10000). */
  readonly drainTimeout?: number;
  /** Run in order after the drain, e.g. `() => pool.end()`. */
  readonly onShutdown?: readonly ShutdownHook[];
  /** Each hook's bound (ms, default 5000): a hung hook must not keep the pod in Terminating. */
  readonly hookTimeout?: number;
  readonly signals?: readonly NodeJS.Signals[];
  /** Injectable for tests; default process.exit. */
  readonly exit?: (code: number) => void;
  /** Where signals come from; default `process`. */
  readonly signalSource?: Pick<EventEmitter, 'on' | 'off'>;
  readonly logger?: LifecycleLogger;
}

export interface Lifecycle {
  /** Runs the shutdown sequence as if a signal had arrived. Resolves after exit() was called. */
  shutdown(reason?: string): Promise<void>;
  /** Removes the signal handlers (for tests that attach more than once). */
  detach(): void;
  readonly state: 'running' | 'delaying' | 'draining' | 'hooks' | 'exited';
  /** Requests in flight right now. */
  readonly inFlight: number;
}

export interface LifecycleTarget {
  /** Readiness fails from this call on. */
  beginShutdown(): void;
  /** Stops background work (the check refresh timer). */
  stop(): void;
}

const silent: LifecycleLogger = { info() {}, warn() {}, error() {} };

function bounded(promise: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => 'done' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function validateLifecycleOptions(options: LifecycleOptions): void {
  for (const key of ['shutdownDelay', 'drainTimeout', 'hookTimeout'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new TypeError(`attach: ${key} must be a number of milliseconds >= 0, got ${String(value)}`);
    }
  }
  if (options.onShutdown !== undefined) {
    if (!Array.isArray(options.onShutdown)) throw new TypeError('attach: onShutdown must be an array of functions');
    options.onShutdown.forEach((hook, i) => {
      if (typeof hook !== 'function') throw new TypeError(`attach: onShutdown[${i}] is not a function`);
    });
  }
}

/**
 * The shutdown sequence, in the order that drops no request:
 * 1. readiness fails at once (liveness stays 200), so the load balancer stops sending;
 * 2. keep serving for `shutdownDelay`, while endpoint removal propagates;
 * 3. stop accepting, answer in-flight requests with `Connection: close`, close idle keep-alive sockets;
 * 4. wait for in-flight requests, at most `drainTimeout`, then close what is left;
 * 5. run the `onShutdown` hooks, each bounded; 6. exit(0).
 * A second signal exits at once with 130.
 */
export function attachLifecycle(server: Server, target: LifecycleTarget, options: LifecycleOptions = {}): Lifecycle {
  validateLifecycleOptions(options);
  const shutdownDelay = options.shutdownDelay ?? 5_000;
  const drainTimeout = options.drainTimeout ?? 10_000;
  const hookTimeout = options.hookTimeout ?? 5_000;
  const hooks = options.onShutdown ?? [];
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const source = options.signalSource ?? process;
  const log = options.logger ?? silent;

  let state: Lifecycle['state'] = 'running';
  const active = new Set<ServerResponse>();
  let drained: (() => void) | undefined;

  // Prepended, so it sees every request before the app (and the health handler) answers it.
  const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
    active.add(res);
    if (state === 'draining' || state === 'hooks') res.setHeader('connection', 'close');
    const done = () => {
      active.delete(res);
      if (active.size === 0) drained?.();
    };
    res.once('finish', done);
    res.once('close', done);
  };
  server.prependListener('request', onRequest);

  let running: Promise<void> | undefined;
  const sequence = async (reason: string) => {
    log.info(`${reason}: readiness now fails; serving for ${shutdownDelay}ms before closing`);
    target.beginShutdown();
    state = 'delaying';
    if (shutdownDelay > 0) await new Promise((resolve) => setTimeout(resolve, shutdownDelay));

    state = 'draining';
    for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (active.size > 0) {
      log.info(`draining ${active.size} in-flight request(s), at most ${drainTimeout}ms`);
      const allDone = new Promise<void>((resolve) => {
        drained = resolve;
      });
      if ((await bounded(allDone, drainTimeout)) === 'timeout') {
        log.warn(`${active.size} request(s) still in flight after ${drainTimeout}ms; closing their connections`);
      }
    }
    server.closeAllConnections();
    await bounded(closed, 1_000);
    target.stop();

    state = 'hooks';
    for (const [i, hook] of hooks.entries()) {
      try {
        const outcome = await bounded(Promise.resolve().then(hook), hookTimeout);
        if (outcome === 'timeout') log.warn(`onShutdown[${i}] did not finish within ${hookTimeout}ms; moving on`);
      } catch (error) {
        log.error(`onShutdown[${i}] failed: ${(error as Error)?.message ?? String(error)}`);
      }
    }
    detach();
    state = 'exited';
    log.info('shutdown complete');
    exit(0);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      log.warn(`second ${signal} during shutdown: exiting now`);
      exit(130);
      return;
    }
    running = sequence(`received ${signal}`);
  };
  const handlers = signals.map((signal) => {
    const handler = () => onSignal(signal);
    source.on(signal, handler);
    return [signal, handler] as const;
  });
  function detach() {
    for (const [signal, handler] of handlers) source.off(signal, handler);
  }

  return {
    shutdown(reason = 'shutdown requested') {
      running ??= sequence(reason);
      return running;
    },
    detach,
    get state() {
      return state;
    },
    get inFlight() {
      return active.size;
    },
  };
}

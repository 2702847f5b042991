import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './targets.js';

/** Debian's package and binary name (apt-get install prometheus-alertmanager). */
export const ALERTMANAGER_BINARY = 'prometheus-alertmanager';

/**
 * Why this machine cannot run the real Alertmanager, or undefined when it can.
 * Under CI=true a missing binary throws, so the suite fails loudly; elsewhere
 * the caller skips with the reason.
 */
export function alertmanagerMissing(): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${ALERTMANAGER_BINARY}`], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return undefined;
  const reason = `${ALERTMANAGER_BINARY} is not installed (apt-get install prometheus-alertmanager)`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true: this test needs it`);
  return reason;
}

export interface AlertmanagerOptions {
  /** Where Alertmanager's one receiver (a webhook_config, send_resolved: true) posts. */
  readonly receiverUrl: string;
  /** Alertmanager durations such as "1s"; defaults 1s, 1s, 1h. */
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
  /** The route's group_by; default [alertname]. */
  readonly groupBy?: readonly string[];
  /** How long to wait for /-/ready; default 20 s. */
  readonly readyMs?: number;
}

export interface RunningAlertmanager {
  /** Its base URL, e.g. http://127.0.0.1:40123 (the alertmanager channel's `url`). */
  readonly url: string;
  /** The last few KB it wrote to stderr. */
  stderr(): string;
  /** Kills it (SIGKILL), waits for its exit and removes its directory; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts a real Alertmanager on a free loopback port with its own temporary
 * config and storage directory, no clustering, and one receiver; resolves
 * once /-/ready answers 200. Throws (after cleaning up) when it does not get
 * ready in time, with what it printed.
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-alertmanager-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(
    config,
    [
      'route:',
      '  receiver: lifeline-test',
      `  group_by: [${(options.groupBy ?? ['alertname']).join(', ')}]`,
      `  group_wait: ${options.groupWait ?? '1s'}`,
      `  group_interval: ${options.groupInterval ?? '1s'}`,
      `  repeat_interval: ${options.repeatInterval ?? '1h'}`,
      'receivers:',
      '  - name: lifeline-test',
      '    webhook_configs:',
      `      - url: ${options.receiverUrl}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    ALERTMANAGER_BINARY,
    [
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      `--storage.path=${join(dir, 'data')}`,
      `--config.file=${config}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && !spawnError) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return closed;
  };
  try {
    await waitReady(url, options.readyMs ?? 20_000, () =>
      spawnError
        ? `alertmanager did not start: ${spawnError.message}`
        : child.exitCode !== null
          ? `alertmanager exited (${child.exitCode}): ${stderr}`
          : undefined,
    );
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}; stderr: ${stderr}`);
  }
  return { url, stderr: () => stderr, close };
}

/** Polls /-/ready (bounded) until Alertmanager serves; `dead` says why to stop early. */
async function waitReady(url: string, ms: number, dead: () => string | undefined): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const why = dead();
    if (why) throw new Error(why);
    try {
      const answer = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await answer.body?.cancel();
      if (answer.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`alertmanager not ready within ${ms} ms`);
}

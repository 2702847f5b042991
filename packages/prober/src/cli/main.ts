import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { describeCluster } from '../config/cluster.js';
import { checksHeapProblem, HeapError, type HeapUse, heapRoom } from '../config/heap.js';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { ResolvedCheck, ResolvedConfig, ResolvedStatusPage } from '../config/resolved.js';
import { formatDuration } from '../domain/duration.js';
import { createLogger, type LogFormat, logResult } from '../logger.js';
import { NO_STARTUP, type Startup } from './startup.js';
import { configWarnings } from './warnings.js';

/** The package's version, for `lifeline --version` (package.json sits two levels up from src/cli and dist/cli). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// Each command imports what only it uses inside its action: `check --once` (a CronJob, every
// minute) never loads the monitor's store drivers, server or metrics (issue 14, goal 1).

/** Exit codes, as documented: scripts and CronJobs depend on them. */
export const EXIT = { ok: 0, checkFailed: 1, usage: 2 } as const;

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where SIGTERM/SIGINT come from; injectable for tests. */
  readonly signals: Pick<NodeJS.Process, 'on' | 'off'>;
}

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process };

/**
 * Loads the config for a command. A heap too small for it (`use`: what the command does with
 * it) is refused before the YAML is parsed, and again with the exact count of checks once it
 * is resolved: one sentence and exit 2, never V8's abort half-way (issue 14).
 */
function load(path: string | undefined, io: CliIo, use: HeapUse = 'load'): ResolvedConfig | number {
  const file = path ?? io.env.LIFELINE_CONFIG;
  if (!file) {
    io.stderr.write('lifeline: no config given: pass --config FILE or set LIFELINE_CONFIG\n');
    return EXIT.usage;
  }
  // Taken before the file is read: the model counts the text, and loading leaves garbage behind.
  const room = heapRoom();
  try {
    const config = loadConfigFile(file, io.env, { room, use });
    // check --once leaves push checks to the monitor.
    const checks = use === 'once' ? config.checks.filter((c) => c.kind !== 'push').length : config.checks.length;
    const tooMany = checksHeapProblem(checks, room, use);
    if (tooMany) throw new HeapError(tooMany);
    return config;
  } catch (error) {
    if (error instanceof HeapError) {
      io.stderr.write(`lifeline: ${file}: ${error.message} [${error.code}]; nothing was started\n`);
      return EXIT.usage;
    }
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`${error.lines().join('\n')}\n`);
    const n = error.total;
    io.stderr.write(`lifeline: ${n} problem${n === 1 ? '' : 's'} in ${file} [${error.code}]; nothing was started\n`);
    return EXIT.usage;
  }
}

const WHAT: Readonly<Record<ResolvedCheck['kind'], string>> = {
  http: '',
  tcp: 'connect to',
  tls: 'TLS handshake with',
  dns: 'resolve',
  push: 'waits for pings at',
};

/**
 * A push check in `validate`: where the job pings, when, its grace, and for
 * cron the next expected run and the time its ping must arrive by; never its token.
 */
function describePushCheck(
  check: ResolvedCheck,
  now: number,
  nextRunTimes: typeof import('../scheduler/next-run.js').nextRunTimes,
): string {
  const push = check.push as NonNullable<ResolvedCheck['push']>;
  const grace = `grace ${formatDuration(push.graceMs)}`;
  const maxRunTime = push.maxRunTimeMs === null ? '' : `, maxRunTime ${formatDuration(push.maxRunTimeMs)}`;
  const start = `${check.name}: ${WHAT.push} ${check.displayUrl}`;
  if (check.schedule.kind === 'every') {
    return `${start}, every ${formatDuration(check.schedule.intervalMs)}, ${grace}${maxRunTime}`;
  }
  const next = nextRunTimes(check.schedule, now, now, 1)[0] as number;
  return `${start}, cron "${check.schedule.pattern}" (${check.schedule.timezone}), ${grace}${maxRunTime}, next expected ${new Date(next).toISOString()} (ping by ${new Date(next + push.graceMs).toISOString()})`;
}

/** One line of `validate`: what the check does (the method only for http), when, and its timeout. */
function describeCheck(
  check: ResolvedCheck,
  now: number,
  nextRunTimes: typeof import('../scheduler/next-run.js').nextRunTimes,
): string {
  if (check.kind === 'push') return describePushCheck(check, now, nextRunTimes);
  const does =
    check.kind === 'http' ? `${check.method} ${check.displayUrl}` : `${WHAT[check.kind]} ${check.displayUrl}`;
  const when =
    check.schedule.kind === 'cron'
      ? `cron "${check.schedule.pattern}" (${check.schedule.timezone}), next ${new Date(nextRunTimes(check.schedule, now, now, 1)[0] as number).toISOString()}`
      : `every ${formatDuration(check.schedule.intervalMs)}`;
  return `${check.name}: ${does}, ${when}, timeout ${formatDuration(check.timeoutMs)}`;
}

/** One line of `validate`: the status page's title and what each group shows (a label where it differs from the name). */
function describeStatusPage(page: ResolvedStatusPage): string {
  const count = page.groups.reduce((n, g) => n + g.checks.length, 0);
  const groups = page.groups.map(
    (g) =>
      `${JSON.stringify(g.name)}: ${g.checks.map((e) => (e.label === e.check ? e.check : `${e.check} as ${JSON.stringify(e.label)}`)).join(', ')}`,
  );
  return `status page ${JSON.stringify(page.title)} at /status: ${count} check(s) in ${page.groups.length} group(s): ${groups.join('; ')}`;
}

/** Resolves on the first SIGTERM/SIGINT; a second one exits at once. */
function onStopSignal(io: CliIo, exitNow: (code: number) => void): { promise: Promise<string>; dispose(): void } {
  let received: string | undefined;
  let resolve: (signal: string) => void = () => {};
  const promise = new Promise<string>((r) => {
    resolve = r;
  });
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      exitNow(130);
      return;
    }
    received = signal;
    resolve(signal);
  };
  io.signals.on('SIGTERM', handler);
  io.signals.on('SIGINT', handler);
  return {
    promise,
    dispose() {
      io.signals.off('SIGTERM', handler);
      io.signals.off('SIGINT', handler);
    },
  };
}

const formatOption = () =>
  new Option('--format <format>', 'log format: json lines, or pretty for people')
    .choices(['json', 'pretty'])
    .default('json');
const configOption = () => new Option('-c, --config <file>', 'YAML config file (default: $LIFELINE_CONFIG)');

/**
 * Runs the `lifeline` CLI and resolves to its exit code. Never calls
 * process.exit itself (except on a second stop signal), so tests drive it in-process.
 * `startup`: what bin/lifeline.js set in V8 while the modules loaded; each command ends it
 * once the modules it needs are loaded, before its own work.
 */
export async function main(
  argv: readonly string[],
  io: CliIo = defaultIo,
  exitNow = (code: number) => process.exit(code),
  startup: Startup = NO_STARTUP,
): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('lifeline')
    .description('Health checks against services by their DNS names, on cron schedules.')
    .version(packageVersion(), '-V, --version', 'print the version of lifeline')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();

  program
    .command('check')
    .description('run every check once, print one JSON line per check, exit 0 if all passed, 1 if any failed')
    .option('--once', 'run once and exit (the only mode of check; accepted for clarity in CronJobs)')
    .option(
      '--report <url>',
      "send the results to a monitor's push check, e.g. http://lifeline-monitor:8080/api/v1/push/seed-job (token: $LIFELINE_REPORT_TOKEN)",
    )
    .addOption(configOption())
    .addOption(formatOption())
    .action(async (opts: { config?: string; format: LogFormat; report?: string }) => {
      if (opts.report !== undefined && !/^https?:\/\/[^/]/.test(opts.report)) {
        io.stderr.write(
          'lifeline: --report takes the http(s) URL of a push check, e.g. http://lifeline-monitor:8080/api/v1/push/seed-job\n',
        );
        exitCode = EXIT.usage;
        return;
      }
      // The probes are loaded before the config: the last modules this command loads, so the
      // optimizing compiler is back for the config, however many checks it holds.
      const { checkOnce, storeResults } = await import('../once.js');
      startup.end('short');
      const config = load(opts.config, io, 'once');
      if (typeof config === 'number') {
        exitCode = config;
        return;
      }
      // --report wins over the config's report.url; the token: report.token, else LIFELINE_REPORT_TOKEN.
      const report = opts.report ?? config.report?.url;
      const reportToken = config.report?.token ?? io.env.LIFELINE_REPORT_TOKEN;
      if (report !== undefined && !reportToken) {
        io.stderr.write(
          'lifeline: reporting needs the push check token: report.token in the config, or LIFELINE_REPORT_TOKEN\n',
        );
        exitCode = EXIT.usage;
        return;
      }
      const logger = createLogger(opts.format, io.stdout);
      // undici parses HTTP with llhttp compiled to WebAssembly. V8's optimizing tier would recompile its
      // one huge parser function in the background: ~35 MiB of peak RSS and 0.15 s of CPU that a
      // process sending a request per check and exiting never gets back (issue 14, goal 1). The
      // baseline compiler parses a response just as correctly. Before the first request, or it is too late.
      setFlagsFromString('--liftoff-only');
      const abort = new AbortController();
      const stop = onStopSignal(io, exitNow);
      // A CronJob past its activeDeadlineSeconds gets SIGTERM: report what was in flight as cancelled.
      void stop.promise.then(() => abort.abort());
      try {
        const results = await checkOnce(config, { signal: abort.signal });
        for (const result of results) logResult(logger, result);
        exitCode = results.every((r) => r.ok) ? EXIT.ok : EXIT.checkFailed;
        // With `alerting`, each failure goes straight to its channels; a receiver that fails is logged, and the
        // exit code stays the checks' own.
        if (exitCode !== EXIT.ok && config.alerting.channels.length > 0) {
          const { notifyFailures } = await import('../alerting/direct.js');
          await notifyFailures(config, results, logger, abort.signal);
        }
        // The heartbeat of the monitor's push check. A monitor that is down costs this run its report,
        // never its exit code: that stays the checks' own.
        if (report !== undefined && reportToken) {
          const { sendReport, REPORT_MAX_RESULTS } = await import('../report.js');
          const sent = await sendReport(results, { url: report, token: reportToken, signal: abort.signal });
          if (sent.ok && sent.heartbeatOnly)
            io.stderr.write(
              `lifeline: ${results.length} results are more than one report carries (${REPORT_MAX_RESULTS}): the monitor got this run's heartbeat, not its results\n`,
            );
          else if (sent.ok)
            logger.debug({ report, tries: sent.tries, status: sent.status }, 'results reported to the monitor');
          else
            io.stderr.write(
              `lifeline: could not report to ${report} after ${sent.tries} tr${sent.tries === 1 ? 'y' : 'ies'}: ${sent.message} (the exit code is the checks' own)\n`,
            );
        }
        try {
          if (await storeResults(config, results)) logger.debug({ stored: results.length }, 'results stored');
        } catch (error) {
          logger.error({ err: error }, `the results could not be stored: ${(error as Error).message}`);
          exitCode = EXIT.checkFailed;
        }
      } finally {
        stop.dispose();
      }
    });

  program
    .command('run')
    .description('stay up and run each check on its schedule; SIGTERM stops after in-flight checks finish')
    .addOption(configOption())
    .addOption(formatOption())
    .addOption(
      new Option('--port <port>', 'port of the API and /metrics (overrides server.port; 0 picks a free one)').argParser(
        (v) => {
          const port = Number(v);
          if (!Number.isInteger(port) || port < 0 || port > 65535)
            throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
          return port;
        },
      ),
    )
    .action(async (opts: { config?: string; format: LogFormat; port?: number }) => {
      startup.end('long');
      // A long-lived process: V8's young generation held at a few MiB (src/runtime/young-generation.ts).
      const { holdYoungGeneration } = await import('../runtime/young-generation.js');
      const releaseYoung = holdYoungGeneration({ config: opts.config ?? io.env.LIFELINE_CONFIG });
      const config = load(opts.config, io, 'run');
      if (typeof config === 'number') {
        releaseYoung();
        exitCode = config;
        return;
      }
      const logger = createLogger(opts.format, io.stdout, { buffered: true });
      const { monitorStorage, startMonitor } = await import('../main.js');
      const stop = onStopSignal(io, exitNow);
      let monitor: Awaited<ReturnType<typeof startMonitor>>;
      try {
        monitor = await startMonitor({
          config,
          logger,
          watch: config.source,
          env: io.env,
          ...(opts.port !== undefined ? { port: opts.port } : {}),
        });
      } catch (error) {
        const { describeStartupError } = await import('./startup-errors.js');
        // One sentence naming the port or path and the option that changes it; a stack only with LIFELINE_DEBUG.
        const port = opts.port ?? config.server.port;
        const described = describeStartupError(error, {
          port,
          host: config.server.host,
          storage: monitorStorage(config),
        });
        io.stderr.write(`lifeline cannot start: ${described.message}\n`);
        if (io.env.LIFELINE_DEBUG) io.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
        releaseYoung();
        stop.dispose();
        exitCode = described.configuration ? EXIT.usage : EXIT.checkFailed;
        return;
      }
      // One line, not one per check (10,000 checks would flood the log), and no `check` field: readers
      // pick result lines by that field.
      const warnings = configWarnings(config, Date.now());
      if (warnings.length > 0) {
        const [first] = warnings;
        logger.warn(
          { timeoutLongerThanInterval: warnings.slice(0, 20).map((w) => w.check), count: warnings.length },
          `${warnings.length} check(s) have a timeout longer than the time between runs, e.g. ${first?.check}: ${first?.message}`,
        );
      }
      const signal = await stop.promise;
      logger.info({ signal }, `received ${signal}, waiting for in-flight checks`);
      await monitor.stop();
      releaseYoung();
      stop.dispose();
      exitCode = EXIT.ok;
    });

  program
    .command('validate')
    .description('check a config and report every problem; exit 0 when valid, 2 when not')
    .addOption(configOption())
    .action(async (opts: { config?: string }) => {
      startup.end('short');
      const config = load(opts.config, io);
      if (typeof config === 'number') {
        exitCode = config;
        return;
      }
      io.stdout.write(`${config.source}: ok, ${config.checks.length} check(s)\n`);
      const now = Date.now();
      const { nextRunTimes } = await import('../scheduler/next-run.js');
      for (const check of config.checks) io.stdout.write(`  ${describeCheck(check, now, nextRunTimes)}\n`);
      for (const channel of config.alerting.channels) {
        const users = config.checks.filter((c) => c.alerts.channels.includes(channel.name)).length;
        io.stdout.write(
          `  channel ${channel.name}: ${channel.type} ${channel.displayUrl}, notified by ${users} check(s)\n`,
        );
      }
      for (const window of config.maintenance) {
        const next = nextRunTimes({ kind: 'cron', ...window.schedule }, now, now, 1)[0] as number;
        io.stdout.write(
          `  maintenance ${window.name}: ${formatDuration(window.durationMs)} from cron "${window.schedule.pattern}" (${window.schedule.timezone}), next ${new Date(next).toISOString()}, ${window.checks ? `checks ${window.checks.join(', ')}` : 'every check'}\n`,
        );
      }
      if (config.statusPage) io.stdout.write(`  ${describeStatusPage(config.statusPage)}\n`);
      // Every monitor on PostgreSQL is a cluster member, with or without a `cluster:` section.
      if (config.storage?.kind === 'postgres') io.stdout.write(`  ${describeCluster(config.cluster)}\n`);
      for (const w of configWarnings(config, now)) io.stdout.write(`warning: check ${w.check}: ${w.message}\n`);
    });

  program
    .command('alert')
    .description('alerting tools')
    .command('test')
    .description(
      'send a test notification to one channel and print what the receiver answered; exit 0 delivered, 1 not delivered, 2 bad usage or config',
    )
    .requiredOption('--channel <name>', 'the name of a channel in alerting.channels')
    .addOption(configOption())
    .action(async (opts: { channel: string; config?: string }) => {
      startup.end('short');
      const config = load(opts.config, io);
      if (typeof config === 'number') {
        exitCode = config;
        return;
      }
      const names = config.alerting.channels.map((c) => c.name);
      const channel = config.alerting.channels.find((c) => c.name === opts.channel);
      if (!channel) {
        io.stderr.write(
          `lifeline: no channel named "${opts.channel}" in ${config.source} (${names.length > 0 ? `channels: ${names.join(', ')}` : 'it has no alerting.channels'})\n`,
        );
        exitCode = EXIT.usage;
        return;
      }
      const { sendTestNotification } = await import('../alerting/direct.js');
      const outcome = await sendTestNotification(config, channel);
      const answered = outcome.status !== undefined ? `answered ${outcome.status}` : 'no answer';
      io.stdout.write(
        `test notification to ${channel.name} (${channel.type} ${channel.displayUrl}): ${outcome.ok ? 'delivered' : 'NOT delivered'} after ${outcome.tries} tr${outcome.tries === 1 ? 'y' : 'ies'}; ${answered}: ${outcome.message}\n`,
      );
      exitCode = outcome.ok ? EXIT.ok : EXIT.checkFailed;
    });

  program
    .command('import')
    .description("convert another monitor's config into a Lifeline config")
    .command('gatus')
    .description(
      'convert a Gatus config (a file, or a directory of them) and print each setting it could not carry over; exit 0 all converted, 1 something left out, 2 unreadable',
    )
    .requiredOption('--from <path>', 'the Gatus config file, or a directory of YAML files')
    .option('--out <file>', 'where to write the Lifeline config (default: stdout)')
    .action(async (opts: { from: string; out?: string }) => {
      const { importGatus } = await import('./import-gatus.js');
      startup.end('short');
      exitCode = importGatus(opts, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors with 1, which we report as 2.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  return exitCode;
}

/** The api's settings from the environment, validated once at start. */
export interface ApiConfig {
  readonly port: number;
  readonly host: string | undefined;
  readonly serviceId: string;
  readonly version: string;
  readonly releaseId: string | undefined;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly shutdownDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly healthDetailsToken: string | undefined;
  /** pino's level; `debug` adds a line per kubelet probe (/livez, /readyz), which `info` leaves out. */
  readonly logLevel: LogLevel;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function logLevel(text: string | undefined): LogLevel {
  if (text === undefined || text === '') return 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(text))
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`);
  return text as LogLevel;
}

function integer(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  max: number,
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`${name} must be an integer from 0 to ${max}, got "${text}"`);
  }
  return value;
}

/** Throws an Error naming the variable when a value is invalid. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, version: string): ApiConfig {
  return {
    port: integer(env, 'PORT', 3000, 65535),
    host: env.HOST || undefined,
    serviceId: env.SERVICE_ID || 'api',
    version: env.APP_VERSION || version,
    releaseId: env.RELEASE_ID || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 5_000, 600_000),
    drainTimeoutMs: integer(env, 'DRAIN_TIMEOUT_MS', 10_000, 600_000),
    healthDetailsToken: env.HEALTH_DETAILS_TOKEN || undefined,
    logLevel: logLevel(env.LOG_LEVEL),
  };
}

export { type HttpCheckOptions, httpCheck } from './checks/http.js';
export { type DependencyCheckOptions, postgresCheck, type Queryable } from './checks/postgres.js';
export { type EventLoopDelayOptions, eventLoopDelayCheck, type MemoryOptions, memoryCheck } from './checks/process.js';
export { type Pingable, redisCheck } from './checks/redis.js';
export { tcpCheck } from './checks/tcp.js';
export type { Middleware } from './express.js';
export type { HealthPaths } from './handler.js';
export { type CheckDefinition, type CheckInput, createHealth, type Health, type HealthOptions } from './health.js';
export type { Lifecycle, LifecycleLogger, LifecycleOptions, ShutdownHook } from './lifecycle.js';
export {
  buildReport,
  type CheckOutcome,
  HEALTH_JSON,
  type HealthReport,
  type HealthStatus,
  httpStatusFor,
  overallStatus,
  verboseText,
} from './report.js';
export type { CheckFunction, CheckValue } from './runner.js';
export { type MalformedTarget, parseRequestTarget, type RequestTarget } from './target.js';

export { EXIT, main as runCli } from './cli/main.js';
export { ConfigError, type ConfigProblem, formatProblem, loadConfigFile, parseConfig } from './config/load.js';
export type { ResolvedCheck, ResolvedConfig, Schedule } from './config/resolved.js';
export { type CheckError, ERROR_CODES, type ErrorCode } from './domain/errors.js';
export type { CheckResult } from './domain/result.js';
export { executeCheck } from './execute.js';
export { checkOnce, startMonitor } from './main.js';
export { nextRunTime, nextRunTimes } from './scheduler/next-run.js';

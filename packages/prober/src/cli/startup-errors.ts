import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StorageConfig } from '../config/resolved.js';

export interface StartupContext {
  readonly port: number;
  readonly host?: string | undefined;
  readonly storage: StorageConfig;
}

export interface StartupProblem {
  /** One sentence for people: what, where, and the option that changes it. */
  readonly message: string;
  /** A configuration problem (exit 2), rather than a failure of the machine (exit 1). */
  readonly configuration: boolean;
}

const PORT_OPTIONS = '--port, server.port in the config (LIFELINE_PORT in the example configs)';
const STORAGE_OPTIONS = 'storage: in the config (LIFELINE_STORAGE in the example configs)';
/** Errors that mean "this path cannot be made or written". */
const PATH_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENOSPC', 'EDQUOT']);
const PATH_REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/**
 * Node's recursive mkdir reports ENOENT when the real cause is the nearest
 * existing directory: read-only (EROFS) or not writable (EACCES). Ask it.
 */
function realMkdirCode(path: string): string {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return 'ENOENT';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'ENOENT';
  }
}

/**
 * Turns an error from starting the monitor into one sentence. Known causes
 * (port in use or not allowed, a data directory that cannot be written, a
 * store error with a `LIFELINE_ERR_*` code) are configuration problems; the
 * rest get their message and count as failures.
 */
export function describeStartupError(error: unknown, context: StartupContext): StartupProblem {
  const e = (error ?? {}) as NodeJS.ErrnoException & { address?: string };
  let code = typeof e.code === 'string' ? e.code : '';
  if (code === 'ENOENT' && e.syscall === 'mkdir' && typeof e.path === 'string') code = realMkdirCode(e.path);
  const message = typeof e.message === 'string' ? e.message : String(error);
  const where = `port ${context.port}${context.host ? ` on ${context.host}` : ''}`;
  if (e.syscall === 'listen' || e.syscall === 'bind') {
    if (code === 'EADDRINUSE')
      return { configuration: true, message: `${where} is already in use; choose another with ${PORT_OPTIONS}` };
    if (code === 'EACCES')
      return {
        configuration: true,
        message: `${where} needs privileges this process does not have (ports below 1024); choose another with ${PORT_OPTIONS}`,
      };
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      return {
        configuration: true,
        message: `cannot listen on ${context.host ?? 'this host'}: no such address here; change server.host in the config`,
      };
  }
  if (code === 'ENOTFOUND' && e.syscall === 'getaddrinfo' && context.host) {
    return { configuration: true, message: `server.host "${context.host}" does not resolve; change it in the config` };
  }
  if (code.startsWith('LIFELINE_ERR_')) return { configuration: true, message: `${message} [${code}]` };
  if (context.storage.kind === 'sqlite') {
    const path = context.storage.path;
    if (PATH_CODES.has(code) && typeof e.path === 'string') {
      return {
        configuration: true,
        message: `cannot write the data directory ${dirname(path)} for ${path} (${e.path}: ${PATH_REASONS[code]}); choose another place with ${STORAGE_OPTIONS}`,
      };
    }
    if (/^SQLITE_(CANTOPEN|READONLY|PERM|AUTH|NOTADB|IOERR)/.test(code)) {
      return {
        configuration: true,
        message: `cannot open the SQLite file ${path} (${code}: ${message}); choose another place with ${STORAGE_OPTIONS}`,
      };
    }
  }
  const line = message.split('\n')[0] ?? '';
  return { configuration: false, message: code && !line.includes(code) ? `${line} (${code})` : line };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStartupError } from './startup-errors.js';

const sqlite = { port: 8080, storage: { kind: 'sqlite', path: '/var/lib/lifeline/data/lifeline.db' } } as const;
const errno = (code: string, extra: Record<string, unknown>) =>
  Object.assign(new Error(`${code} happened`), { code, ...extra });

describe('describeStartupError', () => {
  const cases: [string, unknown, boolean, RegExp][] = [
    [
      'a port in use',
      errno('EADDRINUSE', { syscall: 'listen', port: 8080 }),
      true,
      /^port 8080 is already in use; choose another with --port, server\.port in the config/,
    ],
    ['a privileged port', errno('EACCES', { syscall: 'listen' }), true, /^port 8080 needs privileges .* --port/],
    [
      'a read-only data directory',
      errno('EROFS', { syscall: 'mkdir', path: '/var/lib/lifeline/data' }),
      true,
      /^cannot write the data directory \/var\/lib\/lifeline\/data for \/var\/lib\/lifeline\/data\/lifeline\.db \(\/var\/lib\/lifeline\/data: read-only file system\); choose another place with storage: in the config \(LIFELINE_STORAGE/,
    ],
    [
      'a data directory without permission',
      errno('EACCES', { syscall: 'mkdir', path: '/var/lib/lifeline/data' }),
      true,
      /permission denied\); choose another place with storage:/,
    ],
    [
      'SQLite refusing the file',
      errno('SQLITE_CANTOPEN', {}),
      true,
      /^cannot open the SQLite file \/var\/lib\/lifeline\/data\/lifeline\.db \(SQLITE_CANTOPEN/,
    ],
    [
      'a store error with a LIFELINE_ERR_ code',
      Object.assign(new Error('another monitor holds /x/lifeline.db'), { code: 'LIFELINE_ERR_STORE_LOCKED' }),
      true,
      /^another monitor holds \/x\/lifeline\.db \[LIFELINE_ERR_STORE_LOCKED\]$/,
    ],
    ['anything else, in one line', new Error('boom\nsecond line'), false, /^boom$/],
    ['a thrown string', 'weird', false, /^weird$/],
    ['undefined', undefined, false, /^undefined$/],
  ];
  for (const [what, error, configuration, message] of cases) {
    it(what, () => {
      const described = describeStartupError(error, sqlite);
      assert.equal(described.configuration, configuration);
      assert.match(described.message, message);
    });
  }
});

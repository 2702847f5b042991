// undici's Client and error classes without its index, which loads everything undici has
// (fetch, WebSocket, mocks, caches, proxy agents...): half the memory and time for the probes'
// one class (issue 14, goal 1). These are the very modules the index re-exports, so objects
// and `instanceof` are the same either way. undici is pinned to an exact version; if these
// paths move, every http check fails loudly in the tests (src/cli/lazy-load.test.ts first).
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export const errors = require('undici/lib/core/errors.js') as typeof Undici.errors;

/**
 * undici ends every connection it will not reuse (each run of a check without keepAlive) by
 * destroying its socket with a new InformationalError('reset'), which it never reports
 * (code UND_ERR_INFO). Capturing that error's stack trace was about 5% of the monitor's CPU
 * at a new connection per probe (issue 14, goal 3). This subclass builds it without frames:
 * its stack is its first line. It replaces the class in undici's errors module before
 * client.js is required below, so client-h1.js takes it when it loads; `instanceof` the
 * original still holds. probes/http-connection.test.ts checks that the reset error undici
 * destroys a socket with has no frames, so a change in undici that undoes this shows there.
 */
class InformationalError extends errors.InformationalError {
  constructor(message?: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
(errors as { InformationalError: typeof errors.InformationalError }).InformationalError = InformationalError;

export const Client = require('undici/lib/dispatcher/client.js') as typeof Undici.Client;
export type Client = Undici.Client;

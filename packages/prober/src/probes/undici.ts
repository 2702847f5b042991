// undici's Client and error classes without its index, which loads everything undici has
// (fetch, WebSocket, mocks, caches, proxy agents...): half the memory and time for the probes'
// one class (issue 14, goal 1). These are the very modules the index re-exports, so objects
// and `instanceof` are the same either way. undici is pinned to an exact version; if these
// paths move, every http check fails loudly in the tests (src/cli/lazy-load.test.ts first).
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export const Client = require('undici/lib/dispatcher/client.js') as typeof Undici.Client;
export type Client = Undici.Client;
export const errors = require('undici/lib/core/errors.js') as typeof Undici.errors;

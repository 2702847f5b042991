/**
 * Lets timers and I/O run before the rest of a long piece of work on the main thread (chunked
 * SQLite writes and maintenance, since better-sqlite3 is synchronous; a /metrics scrape of many
 * checks): the scheduler's timers fire between two chunks, not after the whole.
 */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

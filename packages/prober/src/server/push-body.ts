import type { IncomingMessage } from 'node:http';

/** What a ping keeps of its body: the first 10 KB (the message a job leaves, e.g. its last log lines). */
export const PING_KEEP_BYTES = 10_240;
/** A ping body past this is refused (413) and the rest is never read: a 10 MB body costs at most this much. */
export const PING_MAX_BYTES = 65_536;
/** A report (`lifeline check --once --report`): at most 100 results, each well under 2 KB. */
export const REPORT_MAX_BYTES = 262_144;
/** How long a body may take to arrive, from the end of the headers. */
export const BODY_TIMEOUT_MS = 10_000;

export type BodyRead =
  | { readonly kind: 'ok'; readonly bytes: Buffer; readonly truncated: boolean }
  /** Larger than `max`: reading stopped there (or never started, when Content-Length said so). */
  | { readonly kind: 'too_large' }
  | { readonly kind: 'timeout' }
  /** The client went away: nobody to answer. */
  | { readonly kind: 'aborted' };

/**
 * Reads a request body, keeping its first `keep` bytes and stopping as soon
 * as more than `max` have come (or Content-Length announces more). Bounded in
 * time too: the whole body within `timeoutMs`, so a client that sends the
 * headers and then nothing (or a byte now and then) is answered 408. On every
 * path its listeners and timer are gone when it settles; what is left unread
 * stays in the socket, which the caller closes.
 */
export function readBody(req: IncomingMessage, keep: number, max: number, timeoutMs: number): Promise<BodyRead> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) return Promise.resolve({ kind: 'too_large' });
  if (req.complete && req.readableEnded)
    return Promise.resolve({ kind: 'ok', bytes: Buffer.alloc(0), truncated: false });
  return new Promise((resolve) => {
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let total = 0;
    const settle = (result: BodyRead) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      if (result.kind !== 'ok') req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (keptBytes < keep) {
        const part = chunk.subarray(0, keep - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (total > max) settle({ kind: 'too_large' });
    };
    const onEnd = () => settle({ kind: 'ok', bytes: Buffer.concat(kept, keptBytes), truncated: total > keptBytes });
    const onGone = () => settle({ kind: 'aborted' });
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onGone);
  });
}

// C0 controls but \t and \n, DEL, and C1 controls.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * A ping body as the message kept with the run: UTF-8 (invalid sequences
 * become U+FFFD), control characters but \n and \t removed. A body cut at
 * `keep` bytes loses the partial character at the cut instead of gaining a
 * U+FFFD.
 */
export function pingMessage(bytes: Buffer, truncated: boolean): string {
  let end = bytes.length;
  if (truncated) {
    // Back up over the continuation bytes of a character the cut split.
    let i = end - 1;
    while (i >= 0 && i > end - 4 && ((bytes[i] as number) & 0xc0) === 0x80) i--;
    if (i >= 0) {
      const lead = bytes[i] as number;
      const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      if (end - i < need) end = i;
    }
  }
  return bytes.subarray(0, end).toString('utf8').replace(CONTROL, '');
}

import http from 'node:http';
import net from 'node:net';

export interface SseEvent {
  /** The last event id when the event was dispatched (as EventSource's lastEventId). */
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * An event-stream parser as the HTML standard describes it (section 9.2.6):
 * lines end in CRLF, LF or CR; `:` starts a comment; `id` sets the last event
 * id even for a block that dispatches nothing; a blank line dispatches the
 * data gathered, if any.
 */
export class SseParser {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  lastId: string | undefined;
  private buffer = '';
  private data: string[] = [];
  private type = '';

  feed(text: string): void {
    this.buffer += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone CR at the end may be the first half of a CRLF: wait for more.
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0)
        this.events.push({ id: this.lastId, event: this.type || 'message', data: this.data.join('\n') });
      this.data = [];
      this.type = '';
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

export interface SseStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly parser: SseParser;
  /** The body, when the answer is not a stream (an error). */
  body(): Promise<string>;
  /** Resolves when the parsed stream satisfies `ready`; rejects after `ms` or if the stream ends first. */
  until(what: string, ready: (parser: SseParser) => boolean, ms?: number): Promise<void>;
  /** Resolves when the server ends the stream (or the connection closes); rejects after `ms`. */
  ended(ms?: number): Promise<void>;
  close(): void;
}

/** GET an event stream over a connection of its own, read as it arrives. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const parser = new SseParser();
      let text = '';
      let done = false;
      const waiters = new Set<() => void>();
      const notify = () => {
        for (const waiter of [...waiters]) waiter();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (res.headers['content-type']?.startsWith('text/event-stream')) parser.feed(chunk);
        else text += chunk;
        notify();
      });
      const finish = () => {
        done = true;
        notify();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const wait = (what: string, ready: () => boolean, ms: number, endOk: boolean) =>
        new Promise<void>((ok, fail) => {
          const check = () => {
            if (ready()) return settle(ok);
            if (done) settle(() => (endOk ? ok() : fail(new Error(`the stream ended before ${what}`))));
          };
          const timer = setTimeout(() => settle(() => fail(new Error(`${what}: not within ${ms} ms`))), ms);
          const settle = (fn: () => void) => {
            clearTimeout(timer);
            waiters.delete(check);
            fn();
          };
          waiters.add(check);
          check();
        });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        parser,
        body: () => wait('the body', () => false, 5_000, true).then(() => text),
        until: (what, ready, ms = 5_000) => wait(what, () => ready(parser), ms, false),
        ended: (ms = 5_000) => wait('the end of the stream', () => done, ms, true),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/**
 * A client that sends the request and then never reads: what it is sent
 * piles up in the kernel's buffers and then in the server's. A paused socket
 * does not notice a reset, so `closed()` starts reading and resolves when the
 * connection is closed: at once if the server cut it, never if it did not.
 */
export function openNonReader(port: number, path: string): Promise<{ closed(): Promise<void>; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {}); // the reset that drops it
    const closed = new Promise<void>((ok) => socket.once('close', () => ok()));
    socket.once('connect', () => {
      socket.pause();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: monitor\r\n\r\n`);
      resolve({
        closed: () => {
          socket.resume();
          return closed;
        },
        destroy: () => socket.destroy(),
      });
    });
    socket.once('error', reject);
  });
}

/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** The `event:` field, "message" when absent. */
  readonly type: string;
  readonly data: string;
  /** The last event id in force when it was dispatched ("" when none was ever sent). */
  readonly id: string;
}

/**
 * An incremental parser of the text/event-stream format, as the HTML standard's
 * "interpreting an event stream" section defines it (html.spec.whatwg.org, server-sent
 * events, 9.2.6): lines end in CRLF, LF or CR (a CR at the end of one chunk and an LF at
 * the start of the next are one line end); a leading BOM is dropped; `:` lines are comments;
 * an event is dispatched at a blank line, only when it has data. The app reads the stream
 * with fetch (EventSource cannot send an Authorization header), so it parses it itself.
 *
 * @example
 * const parser = new SseParser();
 * parser.feed('event: results\ndata: {"results":[]}\n\n'); // [{ type: 'results', data: '{"results":[]}', id: '' }]
 */
export class SseParser {
  /** The id a reconnect sends as Last-Event-ID. */
  lastEventId: string;
  /** The `retry:` the server asked for, ms; undefined until it does. */
  retryMs: number | undefined;
  private buffer = '';
  private started = false;
  private skipLf = false;
  private eventType = '';
  private data: string[] = [];
  private idBuffer: string;

  /** `lastEventId`: the id of the stream read before a reconnect, kept as the spec keeps it across connections. */
  constructor(lastEventId = '') {
    this.lastEventId = lastEventId;
    this.idBuffer = lastEventId;
  }

  /** Parses a decoded chunk; returns the events it completed. */
  feed(chunk: string): SseEvent[] {
    let text = chunk;
    if (text === '') return [];
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLf = false;
    const out: SseEvent[] = [];
    let from = 0;
    const all = this.buffer + text;
    const offset = this.buffer.length;
    this.buffer = '';
    for (let i = offset; i < all.length; i++) {
      const c = all.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(all.slice(from, i), out);
      if (c === 13) {
        if (i + 1 < all.length) {
          if (all.charCodeAt(i + 1) === 10) i++;
        } else this.skipLf = true;
      }
      from = i + 1;
    }
    this.buffer = all.slice(from);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
  }

  private dispatch(out: SseEvent[]): void {
    this.lastEventId = this.idBuffer;
    if (this.data.length > 0) {
      out.push({ type: this.eventType || 'message', data: this.data.join('\n'), id: this.lastEventId });
    }
    this.data = [];
    this.eventType = '';
  }
}

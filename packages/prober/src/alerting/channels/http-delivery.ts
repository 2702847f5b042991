/** One POST as undici's dispatch handler: the status, Retry-After and the first bytes of the answer. */

/** Bytes of an answer kept for the outcome's message; the rest is not downloaded. */
export const MAX_ANSWER_BYTES = 4096;

export interface Answer {
  readonly status?: number;
  readonly statusText?: string;
  readonly retryAfter?: string;
  readonly body: string;
  readonly error?: unknown;
  readonly timedOut?: boolean;
  readonly cancelled?: boolean;
}

/**
 * One request as undici's dispatch handler (the callbacks probes/http-exchange.ts
 * uses too), so the answer can be cut at MAX_ANSWER_BYTES without a stream.
 */
export class Delivery {
  readonly done: Promise<Answer>;
  private resolve: (answer: Answer) => void = () => {};
  private settled = false;
  private abort: ((error?: Error) => void) | undefined;
  private status: number | undefined;
  private statusText: string | undefined;
  private retryAfter: string | undefined;
  private readonly chunks: Buffer[] = [];
  private received = 0;

  constructor() {
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  /** Ends the request now; undici destroys its socket. */
  stop(answer: Omit<Answer, 'body'>): void {
    this.finish(answer);
    this.abort?.();
  }

  private finish(extra: Omit<Answer, 'body'> = {}): void {
    if (this.settled) return;
    this.settled = true;
    const answer: { -readonly [K in keyof Answer]: Answer[K] } = {
      body: Buffer.concat(this.chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'),
      ...extra,
    };
    if (this.status !== undefined && answer.error === undefined && !answer.timedOut && !answer.cancelled) {
      answer.status = this.status;
      if (this.statusText) answer.statusText = this.statusText;
      if (this.retryAfter !== undefined) answer.retryAfter = this.retryAfter;
    }
    this.resolve(answer);
  }

  // undici's handler callbacks

  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
    if (this.settled) abort();
  }

  onHeaders(statusCode: number, raw: Buffer[], _resume: unknown, statusText?: string): boolean {
    if (statusCode < 200) return true; // 1xx: the final answer follows
    this.status = statusCode;
    this.statusText = statusText;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if ((raw[i] as Buffer).toString('latin1').toLowerCase() === 'retry-after')
        this.retryAfter = (raw[i + 1] as Buffer).toString('latin1');
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.received >= MAX_ANSWER_BYTES) {
      // The status is known and the message needs no more: stop the download here.
      this.finish();
      this.abort?.();
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.finish();
  }

  onError(error: Error): void {
    this.finish({ error });
  }
}

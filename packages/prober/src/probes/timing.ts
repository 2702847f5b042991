import { performance } from 'node:perf_hooks';
import type { Phase } from '../domain/errors.js';
import type { Phases } from '../domain/result.js';

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Marks the moments of one connection/request and turns them into phases. */
export class Timing {
  readonly start = performance.now();
  lookup?: number;
  connect?: number;
  secure?: number;
  sent?: number;
  firstByte?: number;
  end?: number;

  now(): number {
    return performance.now();
  }

  constructor(
    /** TLS is a phase of its own on https:// and tls:// targets. */
    readonly secureTransport = false,
  ) {}

  /** The phase a request is in right now: for timeout messages. */
  phase(): Phase {
    if (this.firstByte !== undefined) return 'transfer';
    if (this.connect !== undefined) return this.secureTransport && this.secure === undefined ? 'tls' : 'ttfb';
    if (this.lookup !== undefined) return 'connect';
    return 'dns';
  }

  phases(): Phases {
    const end = this.end ?? performance.now();
    const lookup = this.lookup ?? this.start;
    const connect = this.connect ?? lookup;
    const secure = this.secure ?? connect;
    const sent = this.sent ?? secure;
    return {
      dns: round(this.lookup !== undefined ? lookup - this.start : 0),
      connect: round(this.connect !== undefined ? connect - lookup : 0),
      tls: round(this.secure !== undefined ? secure - connect : 0),
      ttfb: round(this.firstByte !== undefined ? this.firstByte - sent : 0),
      transfer: round(this.firstByte !== undefined ? end - this.firstByte : 0),
      total: round(end - this.start),
    };
  }
}

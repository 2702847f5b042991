import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { HttpObservation } from '../domain/result.js';
import { classifyError } from './classify.js';

export interface HttpProbeRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Bytes of body read at most; the rest is discarded. */
  readonly maxBodyBytes?: number;
  /** Stops the probe early (e.g. on a forced shutdown); reported as a timeout. */
  readonly signal?: AbortSignal;
  /**
   * Name resolution; defaults to the system resolver (getaddrinfo), which
   * applies resolv.conf's search domains and ndots, as `api` needs in a pod.
   */
  readonly lookup?: LookupFunction;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const USER_AGENT = 'lifeline-prober/0.1';

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Sends one HTTP request and reports what happened. Never throws and never
 * rejects: every failure, including the timeout, comes back as data. A fresh
 * connection is used every time, because a health check that rides on a warm
 * keep-alive socket would not notice that new connections fail.
 */
export function probeHttp(req: HttpProbeRequest): Promise<HttpObservation> {
  const started = performance.now();
  const maxBody = req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return new Promise((resolve) => {
    let settled = false;
    let status: number | null = null;
    const finish = (observation: Omit<HttpObservation, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      resolve({ ...observation, durationMs: round(performance.now() - started) });
    };

    let url: URL;
    try {
      url = new URL(req.url);
    } catch (error) {
      finish({ status: null, error: { code: 'unknown', message: (error as Error).message } });
      return;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: req.method,
      headers: {
        'user-agent': USER_AGENT,
        accept: 'application/health+json, application/json;q=0.9, */*;q=0.1',
        ...req.headers,
      },
      agent: false,
      ...(req.lookup ? { lookup: req.lookup } : {}),
    });

    const timer = setTimeout(() => {
      const phase = status === null ? 'waiting for the response headers' : 'reading the response body';
      finish({
        status,
        error: { code: 'timeout', message: `no complete response within ${req.timeoutMs}ms (${phase})` },
      });
      request.destroy();
    }, req.timeoutMs);
    const onAbort = () => {
      finish({ status, error: { code: 'timeout', message: 'the check was cancelled before it completed' } });
      request.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    request.on('error', (error) => finish({ status, error: classifyError(error) }));
    request.on('response', (response) => {
      status = response.statusCode ?? null;
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBody) {
          // Enough to judge the status; stop downloading what nobody reads.
          finish({ status });
          request.destroy();
        }
      });
      response.on('end', () => finish({ status }));
      response.on('aborted', () =>
        finish({ status, error: { code: 'reset', message: 'the connection closed before the body was complete' } }),
      );
      response.on('error', (error) => finish({ status, error: classifyError(error) }));
    });
    request.end();
  });
}

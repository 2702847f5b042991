import type { CheckDefinition } from '../health.js';
import type { CheckValue } from '../runner.js';
import type { DependencyCheckOptions } from './postgres.js';

export interface HttpCheckOptions extends DependencyCheckOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Inclusive range of accepted status codes (default 200-399). */
  readonly expectStatus?: readonly [number, number];
}

/**
 * A GET to another service's health endpoint. A `application/health+json`
 * answer is read: its `warn` becomes this check's `warn`.
 *
 * @example httpCheck('http://billing:8080/readyz', { critical: false })
 */
export function httpCheck(url: string, options: HttpCheckOptions = {}): CheckDefinition {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new TypeError(`httpCheck: "${url}" is not an http(s) URL`);
  }
  const [min, max] = options.expectStatus ?? [200, 399];
  const { method = 'GET', headers = {}, expectStatus: _e, ...rest } = options;
  return {
    ...rest,
    componentType: 'component',
    componentId: options.componentId ?? url,
    run: async (signal): Promise<CheckValue | undefined> => {
      const res = await fetch(url, { method, headers, signal, redirect: 'manual' });
      const type = res.headers.get('content-type') ?? '';
      let body = '';
      if (type.includes('health+json')) body = await res.text();
      else await res.body?.cancel(); // the status is all we need
      if (res.status < min || res.status > max) return { status: 'fail', output: `${url} answered ${res.status}` };
      if (body) {
        try {
          const status = (JSON.parse(body) as { status?: string }).status;
          if (status === 'warn') return { status: 'warn', output: `${url} reports warn` };
          if (status === 'fail') return { status: 'fail', output: `${url} reports fail` };
        } catch {
          return { status: 'warn', output: `${url} sent health+json that does not parse` };
        }
      }
      return undefined;
    },
  };
}

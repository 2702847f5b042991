import { authorizationHeader, type Credentials } from './auth.ts';

/** A request the monitor refused (or could not be asked): its status, the API's error code and message. */
export class ApiFailure extends Error {
  constructor(
    /** The HTTP status; 0 when no answer came. */
    readonly status: number,
    /** The API's `error` code (see the prober's server/errors.ts), or `network` / `bad_response`. */
    readonly code: string,
    message: string,
    /** The whole error body (a 503 of GET /api/v1/checks still lists the checks). */
    readonly body?: unknown,
    /** WWW-Authenticate of a 401. */
    readonly challenge?: string | null,
  ) {
    super(message);
  }
}

export interface ApiClient {
  /** GETs a path of the monitor's API and parses its JSON; an answer that is not 2xx rejects with ApiFailure. */
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  /** The headers every request (the event stream too) carries. */
  headers(): Record<string, string>;
}

/** No API answer may keep a page waiting longer than this. */
export const REQUEST_TIMEOUT_MS = 30_000;

async function failure(response: Response): Promise<ApiFailure> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const b = body as { error?: unknown; message?: unknown } | undefined;
  const code = typeof b?.error === 'string' ? b.error : 'bad_response';
  const message =
    typeof b?.message === 'string'
      ? b.message
      : `the monitor answered ${response.status} ${response.statusText}`.trim();
  return new ApiFailure(response.status, code, message, body, response.headers.get('www-authenticate'));
}

export function createApiClient(deps: {
  readonly fetch: typeof fetch;
  readonly credentials: () => Credentials | undefined;
}): ApiClient {
  const headers = (): Record<string, string> => {
    const credentials = deps.credentials();
    return credentials ? { authorization: authorizationHeader(credentials) } : {};
  };
  return {
    headers,
    async get<T>(path: string, signal?: AbortSignal): Promise<T> {
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      let response: Response;
      try {
        response = await deps.fetch(path, {
          headers: { accept: 'application/json', ...headers() },
          // No cookies or HTTP auth cache: the credentials go in the header we set. It also keeps
          // the browser from answering a `Basic` challenge with its own login dialog (Fetch
          // standard, HTTP-network-or-cache fetch: the prompt needs includeCredentials).
          credentials: 'omit',
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        const why = timeout.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : String(error);
        throw new ApiFailure(0, 'network', `the monitor could not be reached: ${why}`);
      }
      if (!response.ok) throw await failure(response);
      try {
        return (await response.json()) as T;
      } catch {
        throw new ApiFailure(response.status, 'bad_response', `the monitor's answer to ${path} is not JSON`);
      }
    },
  };
}

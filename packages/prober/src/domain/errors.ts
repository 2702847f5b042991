/**
 * The catalog of error classes a check result can carry. Users grep logs and
 * alert on these codes, so a code, once shipped, never changes meaning; the
 * human-readable message next to it may.
 */
export const ERROR_CODES = {
  dns_nxdomain: 'the host name does not resolve (NXDOMAIN / ENOTFOUND)',
  dns_timeout: 'the resolver did not answer in time or failed temporarily (EAI_AGAIN)',
  dns_error: 'the resolver answered with an error (SERVFAIL, REFUSED...)',
  refused: 'the connection was refused: nothing listens on that address and port',
  unreachable: 'no route to the host or network',
  reset: 'the peer reset or closed the connection before a full response',
  timeout: 'no complete answer within the check timeout; `phase` says where it stopped',
  tls: 'the TLS handshake failed for another reason than the certificate',
  tls_expired: 'the server certificate has expired (or is not valid yet)',
  tls_untrusted: 'the server certificate is self-signed or does not chain to a trusted CA',
  tls_hostname: 'the server certificate does not name the host that was asked for',
  http_status: 'the response status code is not one the check expects',
  condition: 'a condition of the check does not hold',
  body_too_large: 'the body is larger than maxBodyBytes and the check needs to read it',
  invalid_json: 'a condition or `expect: health` needs JSON and the body is not',
  redirect_loop: 'redirects came back to a URL already visited, or exceeded maxRedirects',
  protocol: 'the peer did not speak valid HTTP',
  missed: 'a push check got no ping for an expected run within its grace',
  job_failed: 'the job reported a failure (a ping to /fail, or a report with a failed check)',
  unknown: 'an error the prober does not classify yet',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where a request was when it stopped: named in `timeout` errors. */
export type Phase = 'dns' | 'connect' | 'tls' | 'ttfb' | 'transfer';

export interface CheckError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly phase?: Phase;
}

/** Configuration errors exit with 2 and carry this code. */
export const CONFIG_ERROR_CODE = 'LIFELINE_ERR_CONFIG';

/** A config larger than this process's heap can load or run (see config/heap.ts); exit 2. */
export const HEAP_ERROR_CODE = 'LIFELINE_ERR_HEAP';

/** A SQLite file already used by another lifeline process (see store/sqlite/lock.ts). */
export const STORE_LOCKED_CODE = 'LIFELINE_ERR_STORE_LOCKED';

/**
 * A write refused because the cluster member's lease epoch is no longer the
 * live one (another member took its checks over): see store/cluster.ts.
 */
export const FENCED_CODE = 'LIFELINE_ERR_FENCED';

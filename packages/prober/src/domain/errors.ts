/**
 * The catalog of error classes a check result can carry. Users grep logs and
 * alert on these codes, so a code, once shipped, never changes meaning; the
 * human-readable message next to it may.
 */
export const ERROR_CODES = {
  dns_nxdomain: 'the host name does not resolve (NXDOMAIN / ENOTFOUND)',
  dns_timeout: 'the resolver did not answer in time or failed temporarily (EAI_AGAIN)',
  refused: 'the connection was refused: nothing listens on that address and port',
  unreachable: 'no route to the host or network',
  reset: 'the peer reset or closed the connection before a full response',
  timeout: 'no complete response within the check timeout',
  tls: 'the TLS handshake or certificate verification failed',
  http_status: 'the response status code is not one the check expects',
  protocol: 'the peer did not speak valid HTTP',
  unknown: 'an error the prober does not classify yet',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface CheckError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Configuration errors exit with 2 and carry this code. */
export const CONFIG_ERROR_CODE = 'LIFELINE_ERR_CONFIG';

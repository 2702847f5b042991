import type { CheckError, ErrorCode } from '../domain/errors.js';
import { errors } from './undici.js';

const TLS_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);
const TLS_HOSTNAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

const BY_CODE: Readonly<Record<string, ErrorCode>> = {
  ENOTFOUND: 'dns_nxdomain',
  EAI_NONAME: 'dns_nxdomain',
  EAI_AGAIN: 'dns_timeout',
  ETIMEOUT: 'dns_timeout',
  ESERVFAIL: 'dns_error',
  EREFUSED: 'dns_error',
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  // undici (the HTTP client): the peer closed the socket, or sent less body than it announced
  // (undici reports a body cut short by the peer's close so; it cannot tell it from a lying
  // Content-Length).
  UND_ERR_SOCKET: 'reset',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'reset',
  UND_ERR_HEADERS_OVERFLOW: 'protocol',
};

/**
 * Maps a Node.js socket, DNS or TLS error, or an undici HTTP client error, to
 * a stable error class. The message keeps the original wording (with the
 * address) so people can act on it.
 */
export function classifyError(error: unknown): CheckError {
  const err = error as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = err instanceof Error ? err.message : String(error);
  if (TLS_EXPIRED.has(code)) return { code: 'tls_expired', message };
  if (TLS_UNTRUSTED.has(code)) return { code: 'tls_untrusted', message };
  if (TLS_HOSTNAME.has(code)) return { code: 'tls_hostname', message };
  // undici's parser error has no code when the bytes are not HTTP at all (an SSH banner, say).
  if (error instanceof errors.HTTPParserError)
    return { code: 'protocol', message: withSample(message, error as { data?: unknown }) };
  // A response nobody asked for, a 100 as the final answer, an unrequested upgrade.
  if (code === 'UND_ERR_SOCKET' && /^bad (response|upgrade)$/.test(message)) return { code: 'protocol', message };
  const mapped = BY_CODE[code];
  if (mapped) return { code: mapped, message };
  if (
    code === 'EPROTO' ||
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    /\bSSL\b|certificate/i.test(message)
  ) {
    return { code: 'tls', message };
  }
  if (code.startsWith('HPE_')) return { code: 'protocol', message };
  return { code: 'unknown', message: code ? `${code}: ${message}` : message };
}

/** The first bytes the peer sent, printable, so a port that speaks another protocol can be recognised. */
function withSample(message: string, error: { data?: unknown }): string {
  if (typeof error.data !== 'string' || error.data.length === 0) return message;
  const sample = error.data.slice(0, 40).replace(/[^\x20-\x7e]/g, '.');
  return `${message}; near "${sample}"${error.data.length > 40 ? '...' : ''}`;
}

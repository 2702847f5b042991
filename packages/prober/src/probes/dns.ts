import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Observation } from '../domain/result.js';
import { NO_PHASES } from '../domain/result.js';
import { classifyError } from './classify.js';

export const DNS_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT'] as const;
export type DnsType = (typeof DNS_TYPES)[number];

export interface DnsProbeRequest {
  readonly name: string;
  readonly type: DnsType;
  /** `host` or `host:port` of a DNS server; without it the system resolver is used. */
  readonly server?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Stands for getaddrinfo (A and AAAA without a server): the monitor's capped lookup. */
  readonly lookup?: LookupFunction | undefined;
}

/** c-ares error codes that are DNS answers, not failures to get one. */
const RCODES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NOERROR',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  EFORMERR: 'FORMERR',
  ENOTIMP: 'NOTIMP',
};

/**
 * `dns://[server]/name?type=A`: resolves a name and reports the rcode and the
 * answers (as the body, a JSON array). Without a server, A and AAAA go through
 * the system resolver (getaddrinfo), so resolv.conf's search domains apply
 * exactly as they do for the pod's other lookups.
 */
export async function probeDns(req: DnsProbeRequest): Promise<Observation> {
  const started = performance.now();
  // A resolver of its own (the system's servers unless the check names one),
  // so that a query still out when the run ends is cancelled: it must not
  // keep `check --once` alive after its results, nor pile up in a monitor.
  const resolver = new dns.Resolver({ timeout: Math.max(1, Math.ceil(req.timeoutMs)), tries: 1 });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), req.timeoutMs);
    onAbort = () => resolve('timeout');
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    if (req.server) resolver.setServers([req.server]);
    const query = async (): Promise<unknown[]> => {
      if (!req.server && (req.type === 'A' || req.type === 'AAAA')) {
        // getaddrinfo, as the pod's other lookups (it cannot be cancelled; the monitor's gate caps how many wait).
        const found = await lookupAll(req.name, req.type === 'A' ? 4 : 6, req.lookup);
        return found.map((a) => a.address);
      }
      return (await resolver.resolve(req.name, req.type)) as unknown[];
    };
    const answers = await Promise.race([query(), stopped]);
    const durationMs = performance.now() - started;
    const phases = { ...NO_PHASES, dns: round(durationMs), total: round(durationMs) };
    if (answers === 'timeout') {
      return {
        status: null,
        durationMs,
        phases,
        error: { code: 'dns_timeout', phase: 'dns', message: `no DNS answer for ${req.name} within the timeout` },
      };
    }
    const first = answers.find((a) => typeof a === 'string');
    return {
      status: null,
      durationMs,
      phases,
      dnsRcode: 'NOERROR',
      body: JSON.stringify(answers),
      ...(first !== undefined && (req.type === 'A' || req.type === 'AAAA') ? { ip: first as string } : {}),
    };
  } catch (error) {
    const durationMs = performance.now() - started;
    const phases = { ...NO_PHASES, dns: round(durationMs), total: round(durationMs) };
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const rcode = RCODES[code];
    if (rcode) return { status: null, durationMs, phases, dnsRcode: rcode, body: '[]' };
    return { status: null, durationMs, phases, error: classifyError(error) };
  } finally {
    clearTimeout(timer);
    if (onAbort) req.signal?.removeEventListener('abort', onAbort);
    resolver.cancel();
  }
}

function lookupAll(name: string, family: 4 | 6, lookup: LookupFunction | undefined): Promise<LookupAddress[]> {
  if (!lookup) return dns.lookup(name, { all: true, family });
  return new Promise((resolve, reject) => {
    lookup(name, { all: true, family }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses as unknown as LookupAddress[]);
    });
  });
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Why a Gatus setting is not carried over by `lifeline import gatus`: one
 * sentence each, printed after "not carried over: <where>:".
 */

export const NOT_YET = {
  alerting: 'Lifeline has no alerting yet (alerts and their channels are planned)',
  push: 'Lifeline has no push checks yet (external endpoints need them)',
} as const;

/** Top-level keys other than endpoints, storage, web, metrics, concurrency, alerting, external-endpoints. */
export const TOP_LEVEL_DROPPED: Readonly<Record<string, string>> = {
  ui: 'Lifeline has no dashboard settings',
  announcements: 'Lifeline has no announcements',
  maintenance: 'Lifeline has no maintenance windows',
  security:
    'Gatus keeps bcrypt hashes and OIDC settings; Lifeline takes server.auth (a bearer token or a basic password) instead: set it by hand',
  suites: 'Lifeline has no suites (chained requests sharing [CONTEXT])',
  remote: 'Lifeline has no remote instances',
  connectivity: 'Lifeline has no connectivity checker; a check that fails is a result either way',
  tunneling: 'Lifeline has no SSH tunnels',
  'skip-invalid-config-update':
    'Lifeline keeps running its last valid config when a reloaded file is invalid, and logs the problems',
  'disable-monitoring-lock': 'Lifeline runs checks in parallel, bounded by scheduler.concurrency',
};

/** Gatus endpoint types Lifeline has no probe for, by URL scheme. */
export const UNSUPPORTED_SCHEMES: Readonly<Record<string, string>> = {
  icmp: 'Lifeline has no ICMP (ping) probe; a tcp:// check on a port the host serves is the nearest',
  udp: 'Lifeline has no UDP probe',
  sctp: 'Lifeline has no SCTP probe',
  ws: 'Lifeline has no WebSocket probe',
  wss: 'Lifeline has no WebSocket probe',
  grpc: 'Lifeline has no gRPC health probe; an HTTP health endpoint of the service, if it has one, is the nearest',
  grpcs: 'Lifeline has no gRPC health probe',
  ssh: 'Lifeline has no SSH probe; a tcp:// check on port 22 checks that it listens',
  starttls: 'Lifeline has no STARTTLS probe',
};

export const CLIENT_DROPPED: Readonly<Record<string, string>> = {
  'dns-resolver': 'Lifeline resolves http checks with the system resolver (a dns:// check can name a server)',
  oauth2: 'Lifeline does not fetch OAuth2 tokens; put a token in headers (from an environment variable) instead',
  'proxy-url': 'Lifeline does not send checks through a proxy',
  'identity-aware-proxy': 'Lifeline does not fetch Identity-Aware-Proxy tokens',
  tls: 'Lifeline has no client certificates (mTLS) yet; caFile sets the trusted CAs',
  network: 'only ICMP uses it, and Lifeline has no ICMP probe',
  tunnel: 'Lifeline has no SSH tunnels',
  'store-cookies': 'each Lifeline run is a fresh client without cookies',
};

export const ENDPOINT_DROPPED: Readonly<Record<string, string>> = {
  'maintenance-windows': 'Lifeline has no maintenance windows',
  ui: 'Lifeline has no per-check dashboard settings (credentials in URLs and headers are redacted anyway)',
  'extra-labels': 'Lifeline has no per-check metric labels',
  'always-run': 'Lifeline has no suites',
  store: 'Lifeline has no suites',
};

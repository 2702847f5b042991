/**
 * `lifeline import gatus`: a Gatus config (already parsed from YAML) turned
 * into a Lifeline config, with a note for everything that could not be
 * carried over and why. PURE: no I/O. Every check it emits passes
 * checkSchema; a condition or check that would not is dropped with a note.
 *
 * Gatus's config reference: https://github.com/TwiN/gatus#configuration
 */
import { checkSchema } from '../../config/schema.js';
import { CLIENT_DROPPED, ENDPOINT_DROPPED, NOT_YET, TOP_LEVEL_DROPPED, UNSUPPORTED_SCHEMES } from './reasons.js';

export interface ImportNote {
  /** Where in the Gatus config, e.g. `endpoints[2] (front-end).client.proxy-url`. */
  readonly where: string;
  readonly message: string;
  /** Something was left out (exit 1); false for a note on a faithful change such as a rename. */
  readonly dropped: boolean;
}

export type LifelineCheck = Record<string, unknown> & { name: string; url: string };

export interface ImportResult {
  /** The Lifeline config; `checks` may be empty when nothing could be converted. */
  readonly config: { [key: string]: unknown; checks: LifelineCheck[] };
  /** Per check (same order), the Gatus endpoint it came from: for a comment in the output. */
  readonly origins: string[];
  readonly notes: ImportNote[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

const ENDPOINT_KNOWN = new Set([
  'enabled',
  'name',
  'group',
  'url',
  'method',
  'headers',
  'body',
  'graphql',
  'interval',
  'conditions',
  'client',
  'dns',
  'ssh',
  'alerts',
  ...Object.keys(ENDPOINT_DROPPED),
]);

/** A Lifeline check name from Gatus's free-form group and name. */
function checkName(name: string, group: string | undefined): string {
  const slug = (s: string) =>
    s
      .trim()
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^[^A-Za-z0-9]+|-+$/g, '');
  const joined = [group, name]
    .filter((s): s is string => !!s && slug(s) !== '')
    .map(slug)
    .join('.');
  return (joined || 'endpoint').slice(0, 100);
}

/**
 * The dns:// URL of a Gatus DNS endpoint: its url is the server ("8.8.8.8"
 * or "8.8.8.8:53"), dns.query-name and dns.query-type what to ask.
 */
function dnsUrl(server: string, dns: Obj): string | undefined {
  const name = text(dns['query-name'])?.replace(/\.$/, '');
  if (!name) return undefined;
  const type = (text(dns['query-type']) ?? 'A').toUpperCase();
  const host = server.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  return `dns://${host}/${encodeURIComponent(name)}?type=${type}`;
}

/**
 * Gatus's DNS body is one answer as text; Lifeline's is a JSON array of every
 * answer. `[BODY] == 1.2.3.4` becomes "one of the answers is 1.2.3.4".
 */
function dnsCondition(condition: string): string {
  const m = /^\s*\[BODY\]\s*(==|!=)\s*([^\s()]+)\s*$/i.exec(condition);
  if (!m) return condition;
  return `[BODY] ${m[1]} pat(*"${m[2]}"*)`;
}

/** [ENDPOINT_NAME] and the like in a body, as Gatus resolves them. */
function resolveBody(body: string, e: { name: string; group: string; url: string }): string | undefined {
  if (/\[(LOCAL_ADDRESS|RANDOM_STRING_\d+)\]/i.test(body)) return undefined;
  return body
    .replaceAll('[ENDPOINT_NAME]', e.name)
    .replaceAll('[ENDPOINT_GROUP]', e.group)
    .replaceAll('[ENDPOINT_URL]', e.url);
}

/**
 * checkSchema on a check whose `${VAR}`s stand for values the environment
 * gives at load: each is taken as "0", which a host, port, path, header or
 * condition accepts, so a check is not dropped for using one.
 */
function loads(check: object) {
  return checkSchema.safeParse(JSON.parse(JSON.stringify(check).replace(/\$\{[^}"]*\}/g, '0')));
}

/** Why a Gatus condition does not load in Lifeline. */
function conditionProblem(condition: string, problem: string | undefined): string {
  if (/\[DOMAIN_EXPIRATION\]/i.test(condition))
    return 'Lifeline has no [DOMAIN_EXPIRATION] yet (domain expiry needs WHOIS/RDAP lookups)';
  if (/\[CONTEXT\]/i.test(condition)) return 'Lifeline has no suites, so no [CONTEXT]';
  return problem ?? 'it does not load';
}

type Note = (message: string, dropped?: boolean, field?: string) => void;

/** One endpoint being converted: the Gatus mapping, the check so far, and where notes go. */
interface Endpoint {
  readonly endpoint: Obj;
  readonly check: LifelineCheck;
  /** The Lifeline scheme: http, https, tcp, tls or dns. */
  readonly kind: string;
  readonly http: boolean;
  readonly note: Note;
}

/** method, headers, body (its placeholders filled in, GraphQL wrapped); false when the check cannot be made. */
function convertRequest(e: Endpoint, name: string, group: string, url: string): boolean {
  if (e.endpoint.method !== undefined) {
    const method = text(e.endpoint.method)?.toUpperCase();
    if (!e.http) e.note('only http(s) checks have a method in Lifeline', true, 'method');
    else if (method && method !== 'GET') e.check.method = method;
  }
  if (e.endpoint.headers !== undefined) {
    if (!e.http) e.note('only http(s) checks send headers in Lifeline', true, 'headers');
    else if (isObj(e.endpoint.headers)) {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(e.endpoint.headers)) headers[key] = text(value) ?? '';
      e.check.headers = headers;
    }
  }
  let body = text(e.endpoint.body);
  if (body !== undefined && body !== '') {
    if (!e.http) {
      e.note(`Lifeline's ${e.kind}:// checks send nothing; the body is left out`, true, 'body');
    } else {
      const resolved = resolveBody(body, { name, group, url });
      if (resolved === undefined) {
        e.note(
          'the body uses [LOCAL_ADDRESS] or [RANDOM_STRING_N], which Lifeline does not fill in: skipped',
          true,
          'body',
        );
        return false;
      }
      body = resolved;
      if (e.endpoint.graphql === true) {
        body = JSON.stringify({ query: body });
        e.check.headers = { 'content-type': 'application/json', ...((e.check.headers as object) ?? {}) };
      }
      e.check.body = body;
    }
  }
  return true;
}

/** Conditions, each one Lifeline refuses left out with its reason; a dns:// body condition rewritten. */
function convertConditions(e: Endpoint): void {
  if (Array.isArray(e.endpoint.conditions)) {
    const conditions: string[] = [];
    e.endpoint.conditions.forEach((raw, i) => {
      const condition = text(raw);
      if (condition === undefined) return;
      const converted = e.kind === 'dns' ? dnsCondition(condition) : condition;
      if (converted !== condition)
        e.note(
          `"${condition}" is "${converted}": a dns:// body is every answer as a JSON array`,
          false,
          `conditions[${i}]`,
        );
      const loaded = loads({ name: 'c', url: e.check.url, every: '1m', conditions: [converted] });
      if (loaded.success) conditions.push(converted);
      else
        e.note(
          `"${condition}" is left out: ${conditionProblem(condition, loaded.error.issues[0]?.message)}`,
          true,
          `conditions[${i}]`,
        );
    });
    if (conditions.length > 0) e.check.conditions = conditions;
    else if (e.endpoint.conditions.length > 0 && e.http)
      e.note(
        'no condition is left: the check passes on a 200-399 status, as Lifeline does without conditions',
        true,
        'conditions',
      );
  }
}

/** client.timeout, insecure and ignore-redirect; the other client settings, a line each. */
function convertClient(e: Endpoint): void {
  const client = e.endpoint.client;
  if (isObj(client)) {
    for (const [key, value] of Object.entries(client)) {
      if (key === 'timeout') {
        const timeout = text(value);
        if (timeout !== undefined) e.check.timeout = timeout;
      } else if (key === 'insecure') {
        if (value === true && (e.kind === 'https' || e.kind === 'tls')) e.check.insecure = true;
        else if (value === true)
          e.note(`ignored on ${e.kind}:// (no certificate), as in Gatus`, false, 'client.insecure');
      } else if (key === 'ignore-redirect') {
        if (value === true && e.http) e.check.maxRedirects = 0;
      } else if (CLIENT_DROPPED[key]) e.note(`${CLIENT_DROPPED[key]}`, true, `client.${key}`);
      else e.note('an unknown client setting', true, `client.${key}`);
    }
  }
}

interface Context {
  readonly notes: ImportNote[];
  readonly names: Set<string>;
}

function convertEndpoint(endpoint: unknown, index: number, ctx: Context): LifelineCheck | undefined {
  const base = `endpoints[${index}]`;
  if (!isObj(endpoint)) {
    ctx.notes.push({ where: base, message: 'not an endpoint (expected a mapping): skipped', dropped: true });
    return undefined;
  }
  const gatusName = text(endpoint.name) ?? '';
  const group = text(endpoint.group);
  const where = `${base} (${group ? `${group}/` : ''}${gatusName || 'no name'})`;
  const note = (message: string, dropped = true, field = '') =>
    ctx.notes.push({ where: `${where}${field ? `.${field}` : ''}`, message, dropped });
  if (endpoint.enabled === false) {
    note('enabled: false: Lifeline has no disabled checks, so it is left out', true);
    return undefined;
  }
  const rawUrl = text(endpoint.url);
  if (!rawUrl) {
    note('has no url: skipped');
    return undefined;
  }

  let name = checkName(gatusName, group);
  for (let n = 2; ctx.names.has(name); n++) name = `${checkName(gatusName, group).slice(0, 95)}-${n}`;
  ctx.names.add(name);

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rawUrl)?.[1]?.toLowerCase();
  const isDns = isObj(endpoint.dns);
  const check: LifelineCheck = { name, url: rawUrl };
  if (isDns) {
    const url = dnsUrl(rawUrl, endpoint.dns as Obj);
    if (!url) {
      note('dns has no query-name: skipped', true, 'dns');
      return undefined;
    }
    check.url = url;
  } else if (scheme && UNSUPPORTED_SCHEMES[scheme]) {
    note(`${scheme}:// endpoints cannot be carried over: ${UNSUPPORTED_SCHEMES[scheme]}`);
    return undefined;
  } else if (!scheme || !['http', 'https', 'tcp', 'tls'].includes(scheme)) {
    note(`url "${rawUrl}" is not one Lifeline can check (http, https, tcp, tls, or a dns query): skipped`);
    return undefined;
  }
  const kind = isDns ? 'dns' : (scheme as string);
  const http = kind === 'http' || kind === 'https';
  const e: Endpoint = { endpoint, check, kind, http, note };

  check.every = text(endpoint.interval) ?? '60s';

  if (!convertRequest(e, gatusName, group ?? '', rawUrl)) {
    ctx.names.delete(name);
    return undefined;
  }

  convertConditions(e);

  convertClient(e);

  if (Array.isArray(endpoint.alerts) && endpoint.alerts.length > 0) {
    note(`${endpoint.alerts.length} alert(s): ${NOT_YET.alerting}`, true, 'alerts');
  }
  for (const key of Object.keys(endpoint)) {
    if (ENDPOINT_DROPPED[key]) note(`${ENDPOINT_DROPPED[key]}`, true, key);
    else if (!ENDPOINT_KNOWN.has(key)) note('an unknown endpoint setting', true, key);
  }
  if (endpoint.ssh !== undefined && kind !== 'ssh') note('only ssh:// endpoints use it', false, 'ssh');

  // Whatever Lifeline still refuses (an interval under 100ms, an unknown method...) drops the check, with why.
  const loaded = loads(check);
  if (!loaded.success) {
    const issue = loaded.error.issues[0];
    note(`cannot be carried over: ${issue?.path.join('.') || 'check'}: ${issue?.message ?? 'invalid'}`);
    ctx.names.delete(name);
    return undefined;
  }
  if (name !== gatusName)
    note(
      `named "${name}" (Lifeline names are unique, from letters, digits, ".", "_", "-"; the group is its prefix)`,
      false,
    );
  return check;
}

/** Converts a parsed Gatus config. */
export function convertGatus(doc: unknown): ImportResult {
  const notes: ImportNote[] = [];
  const checks: LifelineCheck[] = [];
  const origins: string[] = [];
  const config: ImportResult['config'] = { checks };
  if (!isObj(doc)) {
    notes.push({ where: '(top)', message: 'not a Gatus config: expected a mapping with "endpoints"', dropped: true });
    return { config, origins, notes };
  }
  const ctx: Context = { notes, names: new Set() };
  const top = (key: string, message: string, dropped = true) => notes.push({ where: key, message, dropped });

  for (const [key, value] of Object.entries(doc)) {
    switch (key) {
      case 'endpoints':
        if (!Array.isArray(value)) top(key, 'is not a list: nothing converted');
        else
          value.forEach((endpoint, i) => {
            const check = convertEndpoint(endpoint, i, ctx);
            if (check) {
              checks.push(check);
              const e = endpoint as Obj;
              origins.push(
                `from Gatus endpoint "${text(e.name) ?? ''}"${e.group ? ` in group "${text(e.group)}"` : ''}`,
              );
            }
          });
        break;
      case 'external-endpoints':
        if (Array.isArray(value))
          value.forEach((e, i) => {
            const name = text((e as Obj)?.name) ?? 'no name';
            top(`external-endpoints[${i}] (${name})`, `${NOT_YET.push}`);
          });
        break;
      case 'alerting':
        if (isObj(value)) for (const provider of Object.keys(value)) top(`alerting.${provider}`, `${NOT_YET.alerting}`);
        break;
      case 'storage': {
        if (!isObj(value)) break;
        const type = text(value.type) ?? 'memory';
        const path = text(value.path);
        if ((type === 'sqlite' || type === 'postgres') && path) config.storage = path;
        else if (type === 'memory')
          top('storage', 'memory: Lifeline keeps results in SQLite by default (storage: none keeps nothing)', false);
        for (const extra of Object.keys(value))
          if (!['type', 'path'].includes(extra))
            top(`storage.${extra}`, 'Lifeline keeps results by retention (retention.raw and rollups)');
        break;
      }
      case 'web': {
        if (!isObj(value)) break;
        const server: Obj = {};
        for (const [k, v] of Object.entries(value)) {
          if (k === 'port') server.port = v;
          else if (k === 'address') server.host = text(v);
          else top(`web.${k}`, `Lifeline's API has no ${k} setting (TLS: terminate it in front, e.g. an Ingress)`);
        }
        if (Object.keys(server).length > 0) config.server = server;
        break;
      }
      case 'metrics':
        if (value === true) top(key, 'Lifeline always serves /metrics (Prometheus)', false);
        break;
      case 'concurrency': {
        const n = Number(value);
        if (Number.isInteger(n) && n > 0) config.scheduler = { concurrency: Math.min(n, 100_000) };
        else if (n === 0) config.scheduler = { concurrency: 100_000 };
        break;
      }
      default:
        if (TOP_LEVEL_DROPPED[key]) top(key, `${TOP_LEVEL_DROPPED[key]}`);
        // e.g. a key that only holds a YAML anchor for `<<:` merges: Gatus ignores it too.
        else top(key, 'not a Gatus setting: ignored, as Gatus ignores it', false);
    }
  }
  return { config, origins, notes };
}

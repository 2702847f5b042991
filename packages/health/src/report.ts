/**
 * PURE: check outcomes in, an `application/health+json` report (IETF draft
 * "Health Check Response Format for HTTP APIs", draft-inadarei-api-health-check-06)
 * and a verdict out. No I/O, no clock: times arrive inside the outcomes.
 */

export type HealthStatus = 'pass' | 'warn' | 'fail';

/** What one check said the last time it ran. */
export interface CheckOutcome {
  readonly name: string;
  /** The check's own status, before criticality is applied. */
  readonly status: HealthStatus;
  /** A failing critical check fails the report; a failing non-critical one only warns. */
  readonly critical: boolean;
  readonly componentType: string;
  readonly componentId?: string;
  /** The draft's measurement name: the part after the colon in `postgres:responseTime`. */
  readonly measurement: string;
  readonly observedValue: number | string | boolean;
  readonly observedUnit?: string;
  /** When the check finished, ISO 8601. */
  readonly time: string;
  /** Why it failed or warned. Shown only when details are allowed. */
  readonly output?: string;
}

export interface ReportMeta {
  readonly serviceId?: string;
  readonly version?: string;
  readonly releaseId?: string;
  readonly description?: string;
}

export interface ComponentEntry {
  componentId?: string;
  componentType: string;
  observedValue: number | string | boolean;
  observedUnit?: string;
  status: HealthStatus;
  time: string;
  output?: string;
}

export interface HealthReport {
  status: HealthStatus;
  version?: string;
  releaseId?: string;
  serviceId?: string;
  description?: string;
  output?: string;
  checks: Record<string, ComponentEntry[]>;
}

export const HEALTH_JSON = 'application/health+json';
export const REASON_WITHHELD = 'reason withheld';

/** The overall status: a critical failure fails; a non-critical failure or any warning warns. */
export function overallStatus(outcomes: readonly CheckOutcome[]): HealthStatus {
  let status: HealthStatus = 'pass';
  for (const o of outcomes) {
    if (o.status === 'fail' && o.critical) return 'fail';
    if (o.status !== 'pass') status = 'warn';
  }
  return status;
}

/** pass and warn answer 200, fail answers 503, as the draft and Kubernetes probes expect. */
export function httpStatusFor(status: HealthStatus): 200 | 503 {
  return status === 'fail' ? 503 : 200;
}

export function buildReport(meta: ReportMeta, outcomes: readonly CheckOutcome[], showDetails: boolean): HealthReport {
  const status = overallStatus(outcomes);
  const report: HealthReport = { status, checks: {} };
  if (meta.version !== undefined) report.version = meta.version;
  if (meta.releaseId !== undefined) report.releaseId = meta.releaseId;
  if (meta.serviceId !== undefined) report.serviceId = meta.serviceId;
  if (meta.description !== undefined) report.description = meta.description;
  for (const o of outcomes) {
    const entry: ComponentEntry = {
      componentType: o.componentType,
      observedValue: o.observedValue,
      status: o.status,
      time: o.time,
    };
    if (o.componentId !== undefined) entry.componentId = o.componentId;
    if (o.observedUnit !== undefined) entry.observedUnit = o.observedUnit;
    if (o.output !== undefined && o.status !== 'pass') entry.output = showDetails ? o.output : REASON_WITHHELD;
    const key = `${o.name}:${o.measurement}`;
    const list = report.checks[key];
    if (list) list.push(entry);
    else report.checks[key] = [entry];
  }
  if (status !== 'pass') {
    const bad = outcomes.filter((o) => o.status !== 'pass').map((o) => o.name);
    report.output = `${status === 'fail' ? 'failing' : 'degraded'}: ${bad.join(', ')}`;
  }
  return report;
}

/**
 * The kube-apiserver style listing for `?verbose`:
 * `[+]postgres ok`, `[-]redis failed: reason withheld`, then a summary line.
 */
export function verboseText(
  endpoint: string,
  outcomes: readonly CheckOutcome[],
  excluded: readonly string[],
  showDetails: boolean,
): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    if (o.status === 'pass') lines.push(`[+]${o.name} ok`);
    else {
      const reason = showDetails && o.output ? o.output : REASON_WITHHELD;
      const word = o.status === 'warn' ? 'warn' : o.critical ? 'failed' : 'failed (non-critical)';
      lines.push(`[-]${o.name} ${word}: ${reason}`);
    }
  }
  for (const name of excluded) lines.push(`[+]${name} excluded: ok`);
  lines.push(`${endpoint} check ${overallStatus(outcomes) === 'fail' ? 'failed' : 'passed'}`);
  return `${lines.join('\n')}\n`;
}

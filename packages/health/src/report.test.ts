import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReport, type CheckOutcome, httpStatusFor, overallStatus, verboseText } from './report.js';
import { healthJsonErrors } from './testing/helpers.js';

const at = '2026-01-02T08:00:00.000Z';
const outcome = (name: string, status: CheckOutcome['status'], critical = true, output?: string): CheckOutcome => ({
  name,
  status,
  critical,
  componentType: 'datastore',
  measurement: 'responseTime',
  observedValue: 3.5,
  observedUnit: 'ms',
  time: at,
  ...(output ? { output } : {}),
});

describe('overallStatus and httpStatusFor', () => {
  const cases: [string, CheckOutcome[], 'pass' | 'warn' | 'fail', number][] = [
    ['no checks', [], 'pass', 200],
    ['all pass', [outcome('a', 'pass'), outcome('b', 'pass')], 'pass', 200],
    ['a warning', [outcome('a', 'pass'), outcome('b', 'warn')], 'warn', 200],
    ['a non-critical failure', [outcome('a', 'pass'), outcome('b', 'fail', false)], 'warn', 200],
    ['a critical failure', [outcome('a', 'fail'), outcome('b', 'warn')], 'fail', 503],
    ['critical failure after a non-critical one', [outcome('b', 'fail', false), outcome('a', 'fail')], 'fail', 503],
  ];
  for (const [what, outcomes, status, code] of cases) {
    it(`${what} -> ${status} ${code}`, () => {
      assert.equal(overallStatus(outcomes), status);
      assert.equal(httpStatusFor(overallStatus(outcomes)), code);
    });
  }
});

describe('buildReport', () => {
  const meta = { serviceId: 'api', version: '1.2.3', releaseId: 'r7', description: 'the api' };
  const outcomes = [
    outcome('postgres', 'pass'),
    outcome('redis', 'fail', true, 'ECONNREFUSED 127.0.0.1:6379'),
    outcome('billing', 'fail', false, 'answered 500'),
  ];

  it('follows draft-06: checks keyed name:measurement, component entries, overall status', () => {
    const report = buildReport(meta, outcomes, true);
    assert.deepEqual(healthJsonErrors(report), []);
    assert.equal(report.status, 'fail');
    assert.deepEqual(Object.keys(report.checks), [
      'postgres:responseTime',
      'redis:responseTime',
      'billing:responseTime',
    ]);
    assert.deepEqual(report.checks['postgres:responseTime'], [
      { componentType: 'datastore', observedValue: 3.5, observedUnit: 'ms', status: 'pass', time: at },
    ]);
    assert.equal(report.checks['redis:responseTime']?.[0]?.output, 'ECONNREFUSED 127.0.0.1:6379');
    assert.equal(report.output, 'failing: redis, billing');
    assert.deepEqual(
      [report.serviceId, report.version, report.releaseId, report.description],
      ['api', '1.2.3', 'r7', 'the api'],
    );
  });

  it('hides error output unless details are allowed, but always shows statuses', () => {
    const report = buildReport(meta, outcomes, false);
    assert.deepEqual(healthJsonErrors(report), []);
    assert.equal(report.checks['redis:responseTime']?.[0]?.status, 'fail');
    assert.equal(report.checks['redis:responseTime']?.[0]?.output, 'reason withheld');
    assert.ok(!JSON.stringify(report).includes('ECONNREFUSED'));
  });

  it('has no keys left over from another report', () => {
    const failing = buildReport({}, [outcome('a', 'fail', true, 'x')], true);
    const passing = buildReport({}, [outcome('a', 'pass')], true);
    assert.equal(failing.output, 'failing: a');
    assert.deepEqual(Object.keys(passing).sort(), ['checks', 'status']);
    assert.deepEqual(Object.keys(passing.checks['a:responseTime']?.[0] ?? {}).sort(), [
      'componentType',
      'observedUnit',
      'observedValue',
      'status',
      'time',
    ]);
  });
});

describe('verboseText', () => {
  it('lists checks like kube-apiserver', () => {
    const text = verboseText(
      'readyz',
      [outcome('postgres', 'pass'), outcome('redis', 'fail', true, 'refused')],
      ['billing'],
      false,
    );
    assert.equal(
      text,
      '[+]postgres ok\n[-]redis failed: reason withheld\n[+]billing excluded: ok\nreadyz check failed\n',
    );
  });
  it('shows reasons with details, and marks non-critical and warn', () => {
    const text = verboseText(
      'readyz',
      [outcome('a', 'fail', false, 'boom'), outcome('b', 'warn', true, 'slow')],
      [],
      true,
    );
    assert.equal(text, '[-]a failed (non-critical): boom\n[-]b warn: slow\nreadyz check passed\n');
  });
});

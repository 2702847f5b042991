import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ConditionContext,
  ConditionSyntaxError,
  createConditionLists,
  evaluateCondition,
  parseCondition,
} from './conditions.js';

const body = JSON.stringify({
  status: 'pass',
  version: '1.4.0',
  checks: { db: [{ status: 'pass', latency: 3 }] },
  items: [
    { id: 1, status: 'ok' },
    { id: 2, status: 'ok' },
  ],
  mixed: [{ status: 'ok' }, { status: 'down' }],
  empty: [],
  name: 'api-eu-1',
  count: 7,
  flag: true,
});

const ctx: ConditionContext = {
  status: 200,
  responseTimeMs: 120,
  body,
  connected: true,
  ip: '10.0.0.7',
  certificateExpirationMs: 72 * 3_600_000,
  dnsRcode: 'NOERROR',
};

describe('evaluateCondition', () => {
  const cases: [string, boolean, string, ConditionContext?][] = [
    // placeholders and operators
    ['[STATUS] == 200', true, '[STATUS] (200) == 200'],
    ['[STATUS] == 200', false, '[STATUS] (503) == 200', { status: 503 }],
    ['[STATUS] != 500', true, '[STATUS] (200) != 500'],
    ['[STATUS] < 300', true, '[STATUS] (200) < 300'],
    ['[STATUS] <= 200', true, '[STATUS] (200) <= 200'],
    ['[STATUS] > 200', false, '[STATUS] (200) > 200'],
    ['[STATUS] >= 200', true, '[STATUS] (200) >= 200'],
    ['[RESPONSE_TIME] < 300', true, '[RESPONSE_TIME] (120) < 300'],
    ['[RESPONSE_TIME] < 100ms', false, '[RESPONSE_TIME] (120) < 100ms'],
    ['[CONNECTED] == true', true, '[CONNECTED] (true) == true'],
    ['[CONNECTED] == true', false, '[CONNECTED] (false) == true', { connected: false }],
    ['[IP] == 10.0.0.7', true, '[IP] (10.0.0.7) == 10.0.0.7'],
    ['[CERTIFICATE_EXPIRATION] > 48h', true, '[CERTIFICATE_EXPIRATION] (259200000) > 48h'],
    ['[CERTIFICATE_EXPIRATION] > 96h', false, '[CERTIFICATE_EXPIRATION] (259200000) > 96h'],
    ['[DNS_RCODE] == NOERROR', true, '[DNS_RCODE] (NOERROR) == NOERROR'],
    ['[DNS_RCODE] == NOERROR', false, '[DNS_RCODE] (NXDOMAIN) == NOERROR', { dnsRcode: 'NXDOMAIN' }],
    // body paths
    ['[BODY].status == pass', true, '[BODY].status (pass) == pass'],
    ['[BODY].checks.db[0].status == pass', true, '[BODY].checks.db[0].status (pass) == pass'],
    ['[BODY].checks.db[0].latency < 10', true, '[BODY].checks.db[0].latency (3) < 10'],
    ['[BODY].count >= 7', true, '[BODY].count (7) >= 7'],
    ['[BODY].flag == true', true, '[BODY].flag (true) == true'],
    ['[BODY].nope == x', false, '[BODY].nope (<missing>) == x'],
    ['has([BODY].constructor) == false', true, 'has([BODY].constructor) (false) == false'],
    ['[BODY].toString == pat(*)', false, '[BODY].toString (<missing>) == pat(*)'],
    ['[BODY].items[*].status == ok', true, '[BODY].items[*].status ([ok, ok]) == ok'],
    ['[BODY].mixed[*].status == ok', false, '[BODY].mixed[*].status ([ok, down]) == ok'],
    ['[BODY].empty[*].status == ok', false, '[BODY].empty[*].status ([<missing>]) == ok'],
    [
      '[BODY] == pat(*"status":"pass"*)',
      true,
      '[BODY] == pat(*"status":"pass"*)'.replace('[BODY]', `[BODY] (${body.slice(0, 57)}...)`),
    ],
    // functions
    ['len([BODY].items) == 2', true, 'len([BODY].items) (2) == 2'],
    ['len([BODY].name) > 3', true, 'len([BODY].name) (8) > 3'],
    ['len([BODY].empty) > 0', false, 'len([BODY].empty) (0) > 0'],
    ['has([BODY].errors) == false', true, 'has([BODY].errors) (false) == false'],
    ['has([BODY].version) == true', true, 'has([BODY].version) (true) == true'],
    ['[BODY].name == pat(api-*)', true, '[BODY].name (api-eu-1) == pat(api-*)'],
    ['[BODY].name != pat(web-*)', true, '[BODY].name (api-eu-1) != pat(web-*)'],
    ['[STATUS] == any(200, 204)', true, '[STATUS] (200) == any(200, 204)'],
    ['[STATUS] == any(201, 204)', false, '[STATUS] (200) == any(201, 204)'],
    ['[STATUS] != any(500, 503)', true, '[STATUS] (200) != any(500, 503)'],
    // as Gatus: pat()/any() on either side, placeholder names in any letter case
    ['any(200, 204) == [STATUS]', true, 'any(200, 204) == [STATUS] (200)'],
    ['pat(web-*) != [BODY].name', true, 'pat(web-*) != [BODY].name (api-eu-1)'],
    ['[status] == 200', true, '[status] (200) == 200'],
    ['[Body].Name == x', false, '[Body].Name (<missing>) == x'],
    // len(): elements of an array (a whole JSON array body too), minified JSON of an object, else characters
    ['len([BODY].checks) == 38', true, 'len([BODY].checks) (38) == 38'],
    ['len([BODY]) == 3', true, 'len([BODY]) (3) == 3', { body: ' [1, 2, {"a": 3}]\n' }],
    ['len([BODY]) == 8', true, 'len([BODY]) (8) == 8', { body: '[1, 2, 3' }],
    ['len([BODY].count) == 1', true, 'len([BODY].count) (1) == 1'],
    // missing observations never pass
    ['[STATUS] == 200', false, '[STATUS] (<missing>) == 200', { status: null }],
    ['[RESPONSE_TIME] < 300', false, '[RESPONSE_TIME] (<missing>) < 300', { responseTimeMs: undefined }],
  ];
  for (const [text, ok, resolved, context] of cases) {
    it(`${text} -> ${ok}`, () => {
      const result = evaluateCondition(parseCondition(text), { ...ctx, ...(context ?? {}) });
      assert.deepEqual([result.ok, result.condition], [ok, resolved]);
    });
  }

  it('takes [*] over an array of 500,000 items without overflowing the stack', () => {
    const body = JSON.stringify({ items: Array(500_000).fill({ status: 'ok' }) });
    assert.equal(evaluateCondition(parseCondition('[BODY].items[*].status == ok'), { body }).ok, true);
  });

  it('marks a [BODY] path on a body that is not JSON as invalid_json', () => {
    const result = evaluateCondition(parseCondition('[BODY].status == pass'), { body: '<html>' });
    assert.deepEqual(
      [result.ok, result.invalidJson, result.condition],
      [false, true, '[BODY].status (<not JSON>) == pass'],
    );
    assert.equal(evaluateCondition(parseCondition('[BODY] == pat(*html*)'), { body: '<html>' }).invalidJson, false);
  });

  it('says there was no response, or no body, instead of blaming the format of a body never read', () => {
    for (const [ctx, shown] of [
      [{ status: null }, '<no response>'],
      [{ status: 200 }, '<body not received>'],
    ] as const) {
      for (const text of ['[BODY].status == pass', '[BODY] == pat(*ok*)']) {
        const result = evaluateCondition(parseCondition(text), ctx);
        assert.deepEqual([result.ok, result.invalidJson ?? false], [false, false], text);
        assert.equal(result.condition, text.replace(/^(\[BODY\]\S*)/, `$1 (${shown})`));
      }
    }
  });
});

describe('parseCondition rejects bad syntax with the position', () => {
  const bad: [string, RegExp, number][] = [
    ['[STATUS] 200', /no operator/, 1],
    ['[STATUS] ==', /missing the right side/, 12],
    ['== 200', /missing the left side/, 1],
    ['[STATUSS] == 200', /unknown placeholder \[STATUSS\]/, 1],
    ['[STATUS_] == 200', /unknown placeholder/, 1],
    ['[STATUS].code == 200', /only \[BODY\] and \[HEADER\] take a path/, 9],
    ['[BODY].items[x] == 1', /expected \[n\] or \[\*\]/, 13],
    ['[BODY]..a == 1', /expected a key after "\."/, 7],
    ['len(200) == 1', /len\(\) takes a placeholder/, 5],
    ['pat(a*) == any(a, b)', /needs a placeholder/, 1],
    ['any(1, 2) < [STATUS]', /any\(\) only works with == and !=/, 11],
    ['[STATUS] < any(200, 300)', /any\(\) only works with == and !=/, 10],
    ['[STATUS] == any(200,,300)', /any\(\) needs comma-separated values/, 17],
    ['len([BODY].items == 1', /unclosed "\("/, 4],
    ['[STATUS]] == 1', /unmatched "\]"/, 9],
    ['200 == 200', /needs a placeholder/, 1],
  ];
  for (const [text, message, column] of bad) {
    it(JSON.stringify(text), () => {
      assert.throws(
        () => parseCondition(text),
        (error: unknown) =>
          error instanceof ConditionSyntaxError && message.test(error.message) && error.column + 1 === column,
      );
    });
  }
});

describe('createConditionLists', () => {
  it('gives equal lists one parsed array, and each condition one parsed form across lists', () => {
    const conditionsOf = createConditionLists();
    const a = conditionsOf(['[STATUS] == 200', '[RESPONSE_TIME] < 1000']);
    const b = conditionsOf(['[STATUS] == 200', '[RESPONSE_TIME] < 1000']);
    const c = conditionsOf(['[STATUS] == 200']);
    assert.equal(a, b);
    assert.equal(c[0], a[0]);
    assert.deepEqual(a, ['[STATUS] == 200', '[RESPONSE_TIME] < 1000'].map(parseCondition));
    assert.deepEqual(conditionsOf([]), []);
  });

  it('keeps lists apart that only a separator would confuse, and throws on a bad condition', () => {
    const conditionsOf = createConditionLists();
    const one = conditionsOf(['[BODY].a == x', '[STATUS] == 200']);
    const other = conditionsOf(['[BODY].a == x\n', '[STATUS] == 200']);
    assert.notEqual(one, other);
    assert.throws(() => conditionsOf(['[STATUS] 200']), ConditionSyntaxError);
  });
});

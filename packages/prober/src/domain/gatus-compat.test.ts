/**
 * Gatus compatibility: the condition cases of Gatus's own tests, judged by
 * Lifeline's real config validation (checkSchema), parser and evaluator.
 *
 * Case data ported as a table (no Gatus code) from https://github.com/TwiN/gatus
 * (MIT licence) at commit 08c463542f56872a267e5b2e1e1cf421f0ea8a6a:
 *   config/endpoint/condition_test.go   TestCondition_Validate, TestCondition_evaluate and the
 *                                       three TestConditionEvaluateWith*Context tests
 *   config/endpoint/placeholder_test.go TestResolvePlaceholder(WithoutContext): each placeholder
 *                                       and the value Gatus resolves it to become `placeholder == value`
 *   jsonpath/jsonpath_test.go           TestEval: each path becomes `[BODY].path == output` and
 *                                       `len([BODY].path) == length`, or `has([BODY].path) == false`
 *                                       where Gatus expects an error
 *   pattern/pattern_test.go             TestMatch: `[BODY] == pat(pattern)` with the key as the body
 *   config/endpoint/endpoint_test.go    TestEndpoint, TestEndpoint_ResolveSuccessfulConditions,
 *                                       TestEndpoint_ValidateAndSetDefaultsWithInvalidCondition,
 *                                       TestIntegrationEvaluateHealthForDNS (with the body Lifeline's
 *                                       dns:// probe gives: a JSON array of the answers)
 *
 * Where Lifeline deliberately differs, the case says how and why (`differs`), and the test
 * asserts the Lifeline behaviour; README.md "Coming from Gatus" lists the same reasons.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkSchema } from '../config/schema.js';
import { parseCondition } from './conditions.js';
import { type CheckKind, evaluate } from './evaluate.js';
import { NO_PHASES, type Observation } from './result.js';

/** Why Lifeline deliberately answers otherwise than Gatus. Keys are cited by the README table. */
export const GATUS_DIFFERENCES = {
  scheme:
    'a placeholder the check cannot observe is refused at load ([CERTIFICATE_EXPIRATION] on http://, which Gatus reads as 0): such a condition never tells anything, and is usually a wrong URL or placeholder',
  noPlaceholder:
    'a condition without any placeholder (1 == 2, raw == raw) is refused at load: it is always true or always false',
  unknownPlaceholder:
    'an unknown placeholder is refused at load; Gatus compares its text as written, so a typo such as [STAUTS] silently never holds',
  context: '[CONTEXT] belongs to Gatus suites, which Lifeline does not have: refused at load',
  domainExpiration: '[DOMAIN_EXPIRATION] (a WHOIS/RDAP lookup) is not built: refused at load rather than read as 0',
  badIndex: 'a negative or non-numeric array index ([-1], [wat]) is refused at load, where Gatus fails it at every run',
  emptyFunction: 'has() or len() without a placeholder is refused at load; Gatus reads has() as false',
  spaces: 'spaces around the operator are optional: [STATUS]==201 loads (Gatus refuses it)',
  notANumber:
    'an ordering (<, >) with a side that is not a number or a duration is false; Gatus reads that side as 0, so [RESPONSE_TIME] > potato holds there',
  exactNumbers:
    'numbers compare exactly (123.4 > 123; [RESPONSE_TIME] keeps 2 decimals); Gatus truncates to whole numbers first',
  dnsBody:
    'a dns:// check\'s [BODY] is every answer as a JSON array (["10.0.0.7","10.0.0.8"]); Gatus\'s is one answer as text. lifeline import gatus rewrites [BODY] == 10.0.0.7 as [BODY] == pat(*"10.0.0.7"*)',
} as const;
type Why = keyof typeof GATUS_DIFFERENCES;

type Scheme = 'http' | 'https' | 'dns' | 'tcp';
interface Seen {
  readonly status?: number;
  readonly ms?: number;
  readonly body?: string;
  readonly ip?: string;
  readonly connected?: boolean;
  readonly certMs?: number;
  readonly rcode?: string;
}
type Outcome = boolean | 'loads' | 'refused';
interface GatusCase {
  /** Test file and case name in Gatus. */
  readonly from: string;
  readonly condition: string;
  /** What the condition is judged on (Gatus's Result). */
  readonly seen?: Seen;
  /** The check's scheme; https by default (it observes every http placeholder). */
  readonly scheme?: Scheme;
  /** Gatus's expectation: the condition's success, or whether it loads. */
  readonly gatus: Outcome;
  readonly differs?: { readonly lifeline: Outcome; readonly why: Why };
}

const H = 3_600_000;
const ev = 'condition_test.go TestCondition_evaluate';
const va = 'condition_test.go TestCondition_Validate';
const ph = 'placeholder_test.go TestResolvePlaceholder';
const jp = 'jsonpath_test.go TestEval';
const pt = 'pattern_test.go TestMatch';
const ep = 'endpoint_test.go TestEndpoint';
const html = (user: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8" /></head><body><div id="user">${user}</div></body></html>`;
const refused = (why: Why) => ({ lifeline: 'refused', why }) as const;

const validate: GatusCase[] = [
  ...[
    '[STATUS] == 200',
    '[STATUS] != 200',
    '[STATUS] <= 200',
    '[STATUS] >= 200',
    '[STATUS] < 200',
    '[STATUS] > 200',
    '[STATUS] == any(200, 201, 202, 203)',
    '[STATUS] == [BODY].status',
    '[CONNECTED] == true',
    '[RESPONSE_TIME] < 500',
    '[IP] == 127.0.0.1',
    '[BODY] == 1',
    '[BODY].test == wat',
    '[BODY].test.wat == wat',
    '[BODY].age == [BODY].id',
    '[BODY].users[0].id == 1',
    'len([BODY].users) == 100',
    'len([BODY].data) < 5',
    'has([BODY].errors) == false',
    'has([BODY].users[0].name) == true',
    '[BODY].name == pat(john*)',
    '[CERTIFICATE_EXPIRATION] > 48h',
  ].map((condition): GatusCase => ({ from: va, condition, gatus: 'loads' })),
  { from: va, condition: '[DOMAIN_EXPIRATION] > 720h', gatus: 'loads', differs: refused('domainExpiration') },
  { from: va, condition: 'raw == raw', gatus: 'loads', differs: refused('noPlaceholder') },
  { from: va, condition: '[STATUS] ? 201', gatus: 'refused' },
  { from: va, condition: '[STATUS]==201', gatus: 'refused', differs: { lifeline: 'loads', why: 'spaces' } },
  { from: va, condition: '[STATUS] = = 201', gatus: 'refused' },
  { from: va, condition: '[STATUS] ==', gatus: 'refused' },
  { from: va, condition: '[STATUS]', gatus: 'refused' },
  {
    from: 'endpoint_test.go TestEndpoint_ValidateAndSetDefaultsWithInvalidCondition',
    condition: '[STATUS] invalid 200',
    gatus: 'refused',
  },
];

const evaluation: GatusCase[] = [
  { from: `${ev}/ip`, condition: '[IP] == 127.0.0.1', seen: { ip: '127.0.0.1' }, gatus: true },
  { from: `${ev}/status`, condition: '[STATUS] == 200', seen: { status: 200 }, gatus: true },
  { from: `${ev}/status-failure`, condition: '[STATUS] == 200', seen: { status: 500 }, gatus: false },
  { from: `${ev}/status-using-less-than`, condition: '[STATUS] < 300', seen: { status: 201 }, gatus: true },
  { from: `${ev}/status-using-less-than-failure`, condition: '[STATUS] < 300', seen: { status: 404 }, gatus: false },
  { from: `${ev}/response-time-using-less-than`, condition: '[RESPONSE_TIME] < 500', seen: { ms: 50 }, gatus: true },
  {
    from: `${ev}/response-time-using-less-than-with-duration`,
    condition: '[RESPONSE_TIME] < 1s',
    seen: { ms: 50 },
    gatus: true,
  },
  {
    from: `${ev}/response-time-using-less-than-invalid`,
    condition: '[RESPONSE_TIME] < potato',
    seen: { ms: 50 },
    gatus: false,
  },
  {
    from: `${ev}/response-time-using-greater-than`,
    condition: '[RESPONSE_TIME] > 500',
    seen: { ms: 750 },
    gatus: true,
  },
  {
    from: `${ev}/response-time-using-greater-than-with-duration`,
    condition: '[RESPONSE_TIME] > 1s',
    seen: { ms: 2000 },
    gatus: true,
  },
  {
    from: `${ev}/response-time-using-greater-than-or-equal-to-equal`,
    condition: '[RESPONSE_TIME] >= 500',
    seen: { ms: 500 },
    gatus: true,
  },
  {
    from: `${ev}/response-time-using-greater-than-or-equal-to-greater`,
    condition: '[RESPONSE_TIME] >= 500',
    seen: { ms: 499 },
    gatus: false,
  },
  {
    from: `${ev}/response-time-using-greater-than-or-equal-to-failure`,
    condition: '[RESPONSE_TIME] >= 500',
    seen: { ms: 499 },
    gatus: false,
  },
  {
    from: `${ev}/response-time-using-less-than-or-equal-to-equal`,
    condition: '[RESPONSE_TIME] <= 500',
    seen: { ms: 500 },
    gatus: true,
  },
  {
    from: `${ev}/response-time-using-less-than-or-equal-to-less`,
    condition: '[RESPONSE_TIME] <= 500',
    seen: { ms: 25 },
    gatus: true,
  },
  {
    from: `${ev}/response-time-using-less-than-or-equal-to-failure`,
    condition: '[RESPONSE_TIME] <= 500',
    seen: { ms: 750 },
    gatus: false,
  },
  { from: `${ev}/body`, condition: '[BODY] == test', seen: { body: 'test' }, gatus: true },
  {
    from: `${ev}/body-resolved-on-success`,
    condition: '[BODY].status == UP',
    seen: { body: '{"status":"UP"}' },
    gatus: true,
  },
  { from: `${ev}/body-numerical-equal`, condition: '[BODY] == 123', seen: { body: '123' }, gatus: true },
  { from: `${ev}/body-numerical-less-than`, condition: '[BODY] < 124', seen: { body: '123' }, gatus: true },
  { from: `${ev}/body-numerical-greater-than`, condition: '[BODY] > 122', seen: { body: '123' }, gatus: true },
  { from: `${ev}/body-numerical-greater-than-failure`, condition: '[BODY] > 123', seen: { body: '100' }, gatus: false },
  { from: `${ev}/body-jsonpath`, condition: '[BODY].status == UP', seen: { body: '{"status":"UP"}' }, gatus: true },
  {
    from: `${ev}/body-jsonpath-complex`,
    condition: '[BODY].data.name == john',
    seen: { body: '{"data": {"id": 1, "name": "john"}}' },
    gatus: true,
  },
  {
    from: `${ev}/body-jsonpath-complex-invalid`,
    condition: '[BODY].data.name == john',
    seen: { body: '{"data": {"id": 1}}' },
    gatus: false,
  },
  {
    from: `${ev}/body-jsonpath-complex-len-invalid`,
    condition: 'len([BODY].data.name) == john',
    seen: { body: '{"data": {"id": 1}}' },
    gatus: false,
  },
  {
    from: `${ev}/body-jsonpath-double-placeholder`,
    condition: '[BODY].user.firstName != [BODY].user.lastName',
    seen: { body: '{"user": {"firstName": "john", "lastName": "doe"}}' },
    gatus: true,
  },
  {
    from: `${ev}/body-jsonpath-double-placeholder-failure`,
    condition: '[BODY].user.firstName == [BODY].user.lastName',
    seen: { body: '{"user": {"firstName": "john", "lastName": "doe"}}' },
    gatus: false,
  },
  {
    from: `${ev}/body-jsonpath-when-body-is-array`,
    condition: '[BODY][0].id == 1',
    seen: { body: '[{"id": 1}, {"id": 2}]' },
    gatus: true,
  },
  {
    from: `${ev}/body-jsonpath-when-body-has-null-parameter`,
    condition: '[BODY].data == OK',
    seen: { body: '{"data": null}"' },
    gatus: false,
  },
  {
    from: `${ev}/body-jsonpath-when-body-has-array-with-null`,
    condition: '[BODY].items[0] == OK',
    seen: { body: '{"items": [null, null]}"' },
    gatus: false,
  },
  {
    from: `${ev}/body-jsonpath-when-body-is-null`,
    condition: '[BODY].data == OK',
    seen: { body: 'null' },
    gatus: false,
  },
  {
    from: `${ev}/body-jsonpath-when-body-is-array-but-actual-body-is-not`,
    condition: '[BODY][0].name == test',
    seen: { body: '{"statusCode": 500, "message": "Internal Server Error"}' },
    gatus: false,
  },
  {
    from: `${ev}/body-jsonpath-complex-int`,
    condition: '[BODY].data.id == 1',
    seen: { body: '{"data": {"id": 1}}' },
    gatus: true,
  },
  {
    from: `${ev}/body-jsonpath-complex-array-int`,
    condition: '[BODY].data[1].id == 2',
    seen: { body: '{"data": [{"id": 1}, {"id": 2}, {"id": 3}]}' },
    gatus: true,
  },
  {
    from: `${ev}/body-jsonpath-complex-int-using-greater-than`,
    condition: '[BODY].data.id > 0',
    seen: { body: '{"data": {"id": 1}}' },
    gatus: true,
  },
  ...(
    [
      ['hexadecimal-int-using-greater-than', '[BODY].data > 0', '0x1'],
      ['hexadecimal-int-using-equal-to-0x1', '[BODY].data == 1', '0x1'],
      ['hexadecimal-int-using-equals', '[BODY].data == 0x1', '0x1'],
      ['hexadecimal-int-using-equal-to-0x2', '[BODY].data == 2', '0x2'],
      ['hexadecimal-int-using-equal-to-0xF', '[BODY].data == 15', '0xF'],
      ['hexadecimal-int-using-equal-to-0xC0ff33', '[BODY].data == 12648243', '0xC0ff33'],
      ['hexadecimal-int-len', 'len([BODY].data) == 3', '0x1'],
      ['hexadecimal-int-greater', '[BODY].data >= 1', '0x01'],
      ['hexadecimal-int-0x01-len', 'len([BODY].data) == 4', '0x01'],
      ['octal-int-using-greater-than', '[BODY].data > 0', '0o1'],
      ['octal-int-using-equal', '[BODY].data == 2', '0o2'],
      ['octal-int-using-equals', '[BODY].data == 0o2', '0o2'],
      ['binary-int-using-greater-than', '[BODY].data > 0', '0b1'],
      ['binary-int-using-equal', '[BODY].data == 2', '0b0010'],
      ['binary-int-using-equals', '[BODY].data == 0b10', '0b0010'],
    ] as const
  ).map(
    ([name, condition, data]): GatusCase => ({
      from: `${ev}/body-jsonpath-${name}`,
      condition,
      seen: { body: `{"data": "${data}"}` },
      gatus: true,
    }),
  ),
  {
    from: `${ev}/body-jsonpath-complex-int-using-greater-than-failure`,
    condition: '[BODY].data.id > 5',
    seen: { body: '{"data": {"id": 1}}' },
    gatus: false,
  },
  {
    from: `${ev}/body-jsonpath-float-using-greater-than-issue433`,
    condition: '[BODY].balance > 100',
    seen: { body: '{"balance": "123.40000000000005"}' },
    gatus: true,
  },
  {
    from: `${ev}/body-jsonpath-complex-int-using-less-than`,
    condition: '[BODY].data.id < 5',
    seen: { body: '{"data": {"id": 2}}' },
    gatus: true,
  },
  {
    from: `${ev}/body-jsonpath-complex-int-using-less-than-failure`,
    condition: '[BODY].data.id < 5',
    seen: { body: '{"data": {"id": 10}}' },
    gatus: false,
  },
  { from: `${ev}/connected`, condition: '[CONNECTED] == true', seen: { connected: true }, gatus: true },
  { from: `${ev}/connected-failure`, condition: '[CONNECTED] == true', seen: { connected: false }, gatus: false },
  {
    from: `${ev}/certificate-expiration-not-set`,
    condition: '[CERTIFICATE_EXPIRATION] == 0',
    scheme: 'http',
    seen: {},
    gatus: true,
    differs: refused('scheme'),
  },
  {
    from: `${ev}/certificate-expiration-greater-than-numerical`,
    condition: '[CERTIFICATE_EXPIRATION] > 2419200000',
    seen: { certMs: 60 * 24 * H },
    gatus: true,
  },
  {
    from: `${ev}/certificate-expiration-greater-than-numerical-failure`,
    condition: '[CERTIFICATE_EXPIRATION] > 2419200000',
    seen: { certMs: 14 * 24 * H },
    gatus: false,
  },
  {
    from: `${ev}/certificate-expiration-greater-than-duration`,
    condition: '[CERTIFICATE_EXPIRATION] > 12h',
    seen: { certMs: 24 * H },
    gatus: true,
  },
  {
    from: `${ev}/certificate-expiration-greater-than-duration (second)`,
    condition: '[CERTIFICATE_EXPIRATION] > 48h',
    seen: { certMs: 24 * H },
    gatus: false,
  },
  { from: `${ev}/no-placeholders`, condition: '1 == 2', seen: {}, gatus: false, differs: refused('noPlaceholder') },
  // len
  {
    from: `${ev}/len-body-jsonpath-complex`,
    condition: 'len([BODY].data.name) == 4',
    seen: { body: '{"data": {"name": "john"}}' },
    gatus: true,
  },
  {
    from: `${ev}/len-body-array`,
    condition: 'len([BODY]) == 3',
    seen: { body: '[{"id": 1}, {"id": 2}, {"id": 3}]' },
    gatus: true,
  },
  {
    from: `${ev}/len-body-keyed-array`,
    condition: 'len([BODY].data) == 3',
    seen: { body: '{"data": [{"id": 1}, {"id": 2}, {"id": 3}]}' },
    gatus: true,
  },
  {
    from: `${ev}/len-body-array-invalid`,
    condition: 'len([BODY].data) == 8',
    seen: { body: '{"name": "john.doe"}' },
    gatus: false,
  },
  { from: `${ev}/len-body-string`, condition: 'len([BODY]) == 8', seen: { body: 'john.doe' }, gatus: true },
  {
    from: `${ev}/len-body-keyed-string`,
    condition: 'len([BODY].name) == 8',
    seen: { body: '{"name": "john.doe"}' },
    gatus: true,
  },
  { from: `${ev}/len-body-keyed-int`, condition: 'len([BODY].age) == 2', seen: { body: '{"age":18}' }, gatus: true },
  {
    from: `${ev}/len-body-keyed-bool`,
    condition: 'len([BODY].adult) == 4',
    seen: { body: '{"adult":true}' },
    gatus: true,
  },
  {
    from: `${ev}/len-body-object-inside-array`,
    condition: 'len([BODY][0]) == 23',
    seen: { body: '[{"age":18,"adult":true}]' },
    gatus: true,
  },
  {
    from: `${ev}/len-body-object-keyed-int-inside-array`,
    condition: 'len([BODY][0].age) == 2',
    seen: { body: '[{"age":18,"adult":true}]' },
    gatus: true,
  },
  {
    from: `${ev}/len-body-keyed-bool-inside-array`,
    condition: 'len([BODY][0].adult) == 4',
    seen: { body: '[{"age":18,"adult":true}]' },
    gatus: true,
  },
  {
    from: `${ev}/len-body-object`,
    condition: 'len([BODY]) == 20',
    seen: { body: '{"name": "john.doe"}' },
    gatus: true,
  },
  // pat
  {
    from: `${ev}/pat-body-1`,
    condition: '[BODY] == pat(*john*)',
    seen: { body: '{"name": "john.doe"}' },
    gatus: true,
  },
  {
    from: `${ev}/pat-body-2`,
    condition: '[BODY].name == pat(john*)',
    seen: { body: '{"name": "john.doe"}' },
    gatus: true,
  },
  {
    from: `${ev}/pat-body-failure`,
    condition: '[BODY].name == pat(bob*)',
    seen: { body: '{"name": "john.doe"}' },
    gatus: false,
  },
  {
    from: `${ev}/pat-body-html`,
    condition: '[BODY] == pat(*<div id="user">john.doe</div>*)',
    seen: { body: html('john.doe') },
    gatus: true,
  },
  {
    from: `${ev}/pat-body-html-failure`,
    condition: '[BODY] == pat(*<div id="user">john.doe</div>*)',
    seen: { body: html('jane.doe') },
    gatus: false,
  },
  {
    from: `${ev}/pat-body-html-failure-alt`,
    condition: 'pat(*<div id="user">john.doe</div>*) == [BODY]',
    seen: { body: html('jane.doe') },
    gatus: false,
  },
  {
    from: `${ev}/pat-body-in-array`,
    condition: '[BODY].data == pat(*Whatever*)',
    seen: { body: '{"data": ["hello", "world", "Whatever"]}' },
    gatus: true,
  },
  { from: `${ev}/pat-ip`, condition: '[IP] == pat(10.*)', seen: { ip: '10.0.0.0' }, gatus: true },
  { from: `${ev}/pat-ip-failure`, condition: '[IP] == pat(10.*)', seen: { ip: '255.255.255.255' }, gatus: false },
  { from: `${ev}/pat-status`, condition: '[STATUS] == pat(4*)', seen: { status: 404 }, gatus: true },
  { from: `${ev}/pat-status-failure`, condition: '[STATUS] == pat(4*)', seen: { status: 200 }, gatus: false },
  // any
  ...(['john.doe', 'jane.doe', 'bob'] as const).map(
    (name, i): GatusCase => ({
      from: `${ev}/${['any-body-1', 'any-body-2', 'any-body-failure'][i]}`,
      condition: '[BODY].name == any(john.doe, jane.doe)',
      seen: { body: `{"name": "${name}"}` },
      gatus: name !== 'bob',
    }),
  ),
  { from: `${ev}/any-status-1`, condition: '[STATUS] == any(200, 429)', seen: { status: 200 }, gatus: true },
  { from: `${ev}/any-status-2`, condition: '[STATUS] == any(200, 429)', seen: { status: 429 }, gatus: true },
  { from: `${ev}/any-status-reverse`, condition: 'any(200, 429) == [STATUS]', seen: { status: 429 }, gatus: true },
  { from: `${ev}/any-status-failure`, condition: '[STATUS] == any(200, 429)', seen: { status: 404 }, gatus: false },
  {
    from: `${ev}/any-status-failure-but-dont-resolve`,
    condition: '[STATUS] == any(200, 429)',
    seen: { status: 404 },
    gatus: false,
  },
  // has
  { from: `${ev}/has`, condition: 'has([BODY].errors) == false', seen: { body: '{}' }, gatus: true },
  {
    from: `${ev}/has-key-of-map`,
    condition: 'has([BODY].article) == true',
    seen: {
      body: '{\n  "article": {\n    "id": 123,\n    "title": "Hello, world!",\n    "author": "John Doe",\n    "tags": ["hello", "world"],\n    "content": "I really like Gatus!"\n  }\n}',
    },
    gatus: true,
  },
  {
    from: `${ev}/has-failure`,
    condition: 'has([BODY].errors) == false',
    seen: { body: '{"errors": ["1"]}' },
    gatus: false,
  },
  {
    from: `${ev}/has-failure-but-dont-resolve`,
    condition: 'has([BODY].errors) == false',
    seen: { body: '{"errors": ["1"]}' },
    gatus: false,
  },
  // [CONTEXT] (suites)
  ...[
    ['TestConditionEvaluateWithInvalidContextPlaceholder', '[STATUS] == [CONTEXT].expected_statusz', false],
    ['TestConditionEvaluateWithValidContextPlaceholder', '[STATUS] == [CONTEXT].expected_status', true],
    ['TestConditionEvaluateWithMixedValidAndInvalidContext', '[RESPONSE_TIME] < [CONTEXT].invalid_key', false],
  ].map(
    ([name, condition, gatus]): GatusCase => ({
      from: `condition_test.go ${name}`,
      condition: condition as string,
      seen: { status: 200, ms: 100 },
      gatus: gatus as boolean,
      differs: refused('context'),
    }),
  ),
];

// placeholder_test.go: the Result of TestResolvePlaceholder, and `placeholder == resolved value`.
const phBody = '{"status":"success","items":[1,2,3],"user":{"name":"john","id":123}}';
const phSeen: Seen = {
  status: 200,
  ip: '127.0.0.1',
  ms: 250,
  rcode: 'NOERROR',
  connected: true,
  certMs: 30 * 24 * H,
  body: phBody,
};
const placeholder = (
  name: string,
  text: string,
  value: string,
  extra: Partial<GatusCase> = {},
  from = ph,
  seen = phSeen,
): GatusCase => ({ from: `${from}/${name}`, condition: `${text} == ${value}`, seen, gatus: true, ...extra });
const placeholders: GatusCase[] = [
  placeholder('status', '[STATUS]', '200'),
  placeholder('ip', '[IP]', '127.0.0.1'),
  placeholder('response-time', '[RESPONSE_TIME]', '250'),
  placeholder('dns-rcode', '[DNS_RCODE]', 'NOERROR', { scheme: 'dns' }),
  placeholder('connected', '[CONNECTED]', 'true'),
  placeholder('certificate-expiration', '[CERTIFICATE_EXPIRATION]', '2592000000'),
  placeholder('domain-expiration', '[DOMAIN_EXPIRATION]', '31536000000', { differs: refused('domainExpiration') }),
  placeholder('body', '[BODY]', phBody),
  placeholder('status-lowercase', '[status]', '200'),
  placeholder('ip-mixed-case', '[Ip]', '127.0.0.1'),
  placeholder('len-status', 'len([STATUS])', '3'),
  placeholder('len-ip', 'len([IP])', '9'),
  placeholder('has-status', 'has([STATUS])', 'true'),
  placeholder('has-empty', 'has()', 'false', { differs: refused('emptyFunction') }),
  placeholder('body-status', '[BODY].status', 'success'),
  placeholder('body-user-name', '[BODY].user.name', 'john'),
  placeholder('body-user-id', '[BODY].user.id', '123'),
  placeholder('len-body-items', 'len([BODY].items)', '3'),
  placeholder('body-array-index', '[BODY].items[0]', '1'),
  placeholder('has-body-status', 'has([BODY].status)', 'true'),
  placeholder('has-body-missing', 'has([BODY].missing)', 'false'),
  placeholder('context-user-id', '[CONTEXT].user_id', 'abc123', { differs: refused('context') }),
  placeholder('context-session-token', '[CONTEXT].session_token', 'xyz789', { differs: refused('context') }),
  placeholder('context-nested', '[CONTEXT].nested.value', 'test', { differs: refused('context') }),
  placeholder('len-context-array', 'len([CONTEXT].array_data)', '3', { differs: refused('context') }),
  placeholder('has-context-user-id', 'has([CONTEXT].user_id)', 'true', { differs: refused('context') }),
  placeholder('has-context-missing', 'has([CONTEXT].missing)', 'false', { differs: refused('context') }),
  placeholder('unknown-placeholder', '[UNKNOWN]', '[UNKNOWN]', { differs: refused('unknownPlaceholder') }),
  // len([UNKNOWN]) resolves to "len([UNKNOWN]) (INVALID)", which equals no number.
  placeholder('len-unknown', 'len([UNKNOWN])', '0', { gatus: false, differs: refused('unknownPlaceholder') }),
  placeholder('has-unknown', 'has([UNKNOWN])', 'false', { differs: refused('unknownPlaceholder') }),
  placeholder('invalid-jsonpath', 'has([BODY].invalid.path)', 'false'),
  placeholder('literal-string', 'literal', 'literal', { differs: refused('noPlaceholder') }),
  placeholder('number-string', '123', '123', { differs: refused('noPlaceholder') }),
  ...(
    [
      ['status-without-context', '[STATUS]', '404', {}],
      ['body-without-context', '[BODY].error', 'not found', {}],
      ['context-without-context', '[CONTEXT].user_id', '[CONTEXT].user_id', { differs: refused('context') }],
      ['has-context-without-context', 'has([CONTEXT].user_id)', 'false', { differs: refused('context') }],
    ] as const
  ).map(([name, text, value, extra]) =>
    placeholder(name, text, value, extra, 'placeholder_test.go TestResolvePlaceholderWithoutContext', {
      status: 404,
      body: '{"error":"not found"}',
    }),
  ),
];

// jsonpath_test.go: [path, data, output, length] (output undefined: Gatus expects an error).
const jsonpathTable: readonly [string, string, string, string | undefined, number][] = [
  ['simple', 'key', '{"key": "value"}', 'value', 5],
  ['simple-with-invalid-data', 'key', 'invalid data', undefined, 0],
  ['invalid-path', 'key', '{}', undefined, 0],
  ['long-simple-walk', 'long.simple.walk', '{"long": {"simple": {"walk": "value"}}}', 'value', 5],
  ['array-of-objects', 'ids[1].id', '{"ids": [{"id": 1}, {"id": 2}]}', '2', 1],
  ['array-of-values', 'ids[0]', '{"ids": [1, 2]}', '1', 1],
  // Gatus's own output here is its jsonpath's "[1 2]", which no condition sees ([BODY] is the raw body): the length is ported.
  ['array-of-values-with-no-path', '', '[1, 2]', '', 2],
  ['array-of-values-and-invalid-index', 'ids[wat]', '{"ids": [1, 2]}', undefined, 0],
  ['array-of-values-at-root', '[1]', '[1, 2]', '2', 1],
  ['array-of-objects-at-root', '[0]', '[{"id": 1}, {"id": 2}]', '{"id":1}', 8],
  ['array-of-objects-with-int-at-root', '[0].id', '[{"id": 1}, {"id": 2}]', '1', 1],
  ['array-of-objects-at-root-and-invalid-index', '[5].id', '[{"id": 1}, {"id": 2}]', undefined, 0],
  ['long-walk-and-array', 'data.ids[0].id', '{"data": {"ids": [{"id": 1}, {"id": 2}, {"id": 3}]}}', '1', 1],
  ['nested-array', '[3][2]', '[[1, 2], [3, 4], [], [5, 6, 7]]', '7', 1],
  ['object-with-nested-arrays', 'data[1][1]', '{"data": [["a", "b", "c"], ["d", "eeeee", "f"]]}', 'eeeee', 5],
  [
    'object-with-arrays-of-objects',
    'data[0].apps[1].name',
    '{"data": [{"apps": [{"name":"app1"}, {"name":"app2"}, {"name":"app3"}]}]}',
    'app2',
    4,
  ],
  [
    'object-with-arrays-of-objects-with-missing-element',
    'data[0].apps[1].name',
    '{"data": [{"apps": []}]}',
    undefined,
    0,
  ],
  ['partially-invalid-path-issue122', 'data.name.invalid', '{"data": {"name": "john"}}', undefined, 0],
  ['float-as-string', 'balance', '{"balance": "123.40000000000005"}', '123.40000000000005', 18],
  ['float-as-number', 'balance', '{"balance": 123.40000000000005}', '123.40000000000005', 18],
  ['negative-index-on-keyed-array', 'data[-1]', '{"data": [1, 2, 3]}', undefined, 0],
  ['negative-index-on-root-array', '[-1]', '[1, 2, 3]', undefined, 0],
  ['negative-index-followed-by-key', 'data[-1].name', '{"data": [{"name": "value"}]}', undefined, 0],
  ['negative-index-nested-array', 'data[0][-1]', '{"data": [[1, 2, 3]]}', undefined, 0],
];
const jsonpath: GatusCase[] = jsonpathTable.flatMap(([name, path, body, output, length]) => {
  const at = path === '' ? '[BODY]' : path.startsWith('[') ? `[BODY]${path}` : `[BODY].${path}`;
  const differs = /\[(-|[a-z])/.test(path) ? refused('badIndex') : undefined;
  const base = { seen: { body }, ...(differs ? { differs } : {}) };
  if (output === undefined)
    return [{ from: `${jp}/${name}`, condition: `has(${at}) == false`, gatus: true, ...base } as GatusCase];
  return [
    ...(output === '' ? [] : [{ from: `${jp}/${name}`, condition: `${at} == ${output}`, gatus: true, ...base }]),
    { from: `${jp}/${name} (length)`, condition: `len(${at}) == ${length}`, gatus: true, ...base },
  ] as GatusCase[];
});

const patterns: GatusCase[] = (
  [
    ['*', 'livingroom_123', true],
    ['**', 'livingroom_123', true],
    ['living*', 'livingroom_123', true],
    ['*living*', 'livingroom_123', true],
    ['*123', 'livingroom_123', true],
    ['*_*', 'livingroom_123', true],
    ['living*_*3', 'livingroom_123', true],
    ['living*room_*3', 'livingroom_123', true],
    ['living*room_*3', 'livingroom_123', true],
    ['*vin*om*2*', 'livingroom_123', true],
    ['livingroom_123', 'livingroom_123', true],
    ['*livingroom_123*', 'livingroom_123', true],
    ['*test*', '\\test', true],
    ['livingroom', 'livingroom_123', false],
    ['livingroom123', 'livingroom_123', false],
    ['what', 'livingroom_123', false],
    ['*what*', 'livingroom_123', false],
    ['*.*', 'livingroom_123', false],
    ['room*123', 'livingroom_123', false],
  ] as const
).map(([pattern, key, match]) => ({
  from: `${pt} '${pattern}' from '${key}'`,
  condition: `[BODY] == pat(${pattern})`,
  seen: { body: key },
  gatus: match,
}));

const endpoints: GatusCase[] = [
  ...(['[STATUS] == 200', '[BODY].status == UP', '[CERTIFICATE_EXPIRATION] > 24h'] as const).map((condition) => ({
    from: `${ep}/success`,
    condition,
    seen: { status: 200, body: '{"status": "UP"}', connected: true, certMs: 9999 * H },
    gatus: true,
  })),
  {
    from: `${ep}/failed-body-condition`,
    condition: '[STATUS] == 200',
    seen: { status: 200, body: '{"status": "DOWN"}' },
    gatus: true,
  },
  {
    from: `${ep}/failed-body-condition`,
    condition: '[BODY].status == UP',
    seen: { status: 200, body: '{"status": "DOWN"}' },
    gatus: false,
  },
  {
    from: `${ep}/failed-status-condition`,
    condition: '[STATUS] == 200',
    seen: { status: 502, body: '' },
    gatus: false,
  },
  {
    from: `${ep}/condition-with-failed-certificate-expiration`,
    condition: '[CERTIFICATE_EXPIRATION] > 100h',
    seen: { status: 200, certMs: 5 * H },
    gatus: false,
  },
  {
    from: `${ep}/domain-expiration`,
    condition: '[DOMAIN_EXPIRATION] > 100h',
    seen: { status: 200 },
    gatus: true,
    differs: refused('domainExpiration'),
  },
  {
    from: `${ep}/endpoint-that-will-time-out-and-hidden-hostname`,
    condition: '[CONNECTED] == true',
    seen: { connected: false },
    gatus: false,
  },
  {
    from: 'endpoint_test.go TestEndpoint_ResolveSuccessfulConditions',
    condition: '[BODY].status == UP',
    seen: { status: 200, body: '{"status":"UP"}' },
    gatus: true,
  },
  ...(['[DNS_RCODE] == NOERROR', '[BODY] == pat(*.*.*.*)'] as const).map((condition) => ({
    from: 'endpoint_test.go TestIntegrationEvaluateHealthForDNS',
    condition,
    scheme: 'dns' as const,
    seen: { rcode: 'NOERROR', body: '["93.184.215.14"]', ip: '93.184.215.14' },
    gatus: true,
  })),
];

/**
 * Not from Gatus's test tables: behaviour read from its code at the same commit
 * (config/endpoint/condition.go, placeholder.go; client/client.go QueryDNS), so that every
 * difference the README lists is asserted too. Not counted in the agreement figure.
 */
export const GATUS_CODE_CASES: readonly GatusCase[] = [
  {
    from: 'condition.go: a non-number compares as 0',
    condition: '[RESPONSE_TIME] > potato',
    seen: { ms: 50 },
    gatus: true,
    differs: { lifeline: false, why: 'notANumber' },
  },
  {
    from: 'condition.go: numbers compare as whole numbers (a float is truncated)',
    condition: '[BODY].balance > 123',
    seen: { body: '{"balance": 123.4}' },
    gatus: false,
    differs: { lifeline: true, why: 'exactNumbers' },
  },
  {
    from: 'client.go QueryDNS: the body is the (last) answer as text',
    condition: '[BODY] == 93.184.215.14',
    scheme: 'dns',
    seen: { rcode: 'NOERROR', body: '["93.184.215.14"]' },
    gatus: true,
    differs: { lifeline: false, why: 'dnsBody' },
  },
  {
    from: 'placeholder.go: has() is false for a path whose value is null',
    condition: 'has([BODY].errors) == false',
    seen: { body: '{"errors": null}' },
    gatus: true,
  },
  {
    from: 'placeholder.go: [CERTIFICATE_EXPIRATION] is 0 without TLS',
    condition: '[CERTIFICATE_EXPIRATION] == 0',
    scheme: 'tcp',
    seen: { connected: true },
    gatus: true,
    differs: refused('scheme'),
  },
];

export const GATUS_CASES: readonly GatusCase[] = [
  ...validate,
  ...evaluation,
  ...placeholders,
  ...jsonpath,
  ...patterns,
  ...endpoints,
];

const URLS: Readonly<Record<Scheme, [string, CheckKind]>> = {
  http: ['http://api.test/health', 'http'],
  https: ['https://api.test/health', 'http'],
  dns: ['dns://8.8.8.8/example.com?type=A', 'dns'],
  tcp: ['tcp://db.test:5432', 'tcp'],
};

function observation(seen: Seen = {}): Observation {
  return {
    status: seen.status ?? null,
    durationMs: seen.ms ?? 0,
    phases: NO_PHASES,
    ...(seen.body !== undefined ? { body: seen.body } : {}),
    ...(seen.ip !== undefined ? { ip: seen.ip } : {}),
    ...(seen.connected !== undefined ? { connected: seen.connected } : {}),
    ...(seen.certMs !== undefined ? { certificateExpirationMs: seen.certMs } : {}),
    ...(seen.rcode !== undefined ? { dnsRcode: seen.rcode } : {}),
  };
}

/** Loads the condition on a check as the config loader does, then judges it as a run does. */
function judge(c: GatusCase): Outcome {
  const [url, kind] = URLS[c.scheme ?? 'https'];
  const loaded = checkSchema.safeParse({ name: 'gatus-case', url, every: '1m', conditions: [c.condition] });
  if (!loaded.success) return 'refused';
  if (typeof c.gatus === 'string') return 'loads';
  const check = { name: 'gatus-case', url, kind, conditions: [parseCondition(c.condition)] };
  const ok = evaluate(check, new Date(0), observation(c.seen)).conditions?.[0]?.ok;
  assert.equal(typeof ok, 'boolean', 'the condition was judged');
  return ok as boolean;
}

describe('Gatus compatibility (TwiN/gatus@08c4635 test tables)', () => {
  for (const c of GATUS_CASES) {
    const expected = c.differs ? c.differs.lifeline : c.gatus;
    const title = `${c.from}: ${c.condition} -> ${expected}${c.differs ? ` (Gatus: ${c.gatus}; differs: ${c.differs.why})` : ''}`;
    it(title, () => {
      assert.equal(judge(c), expected);
    });
  }

  for (const c of GATUS_CODE_CASES) {
    const expected = c.differs ? c.differs.lifeline : c.gatus;
    it(`(from Gatus's code) ${c.from}: ${c.condition} -> ${expected}${c.differs ? ` (Gatus: ${c.gatus}; differs: ${c.differs.why})` : ''}`, () => {
      assert.equal(judge(c), expected);
    });
  }

  it('lists a reason for every kind of difference, and every reason is a tested case', () => {
    const kinds = new Set([...GATUS_CASES, ...GATUS_CODE_CASES].flatMap((c) => (c.differs ? [c.differs.why] : [])));
    assert.deepEqual([...kinds].sort(), Object.keys(GATUS_DIFFERENCES).sort());
  });

  it('counts the agreement and lists every difference with a reason', () => {
    const differing = GATUS_CASES.filter((c) => c.differs);
    const agree = GATUS_CASES.filter((c) => !c.differs && judge(c) === c.gatus).length;
    for (const c of differing) assert.notEqual(c.differs?.lifeline, c.gatus, `${c.from} is listed but agrees`);
    assert.equal(agree + differing.length, GATUS_CASES.length);
    // The README states the same figures, and has a row per kind of difference.
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const section = readme.split('## Coming from Gatus')[1]?.split('\n## ')[0] ?? '';
    assert.match(section, new RegExp(`${agree} of ${GATUS_CASES.length} cases agree; the other ${differing.length}`));
    const rows = section.split('| where Lifeline differs')[1]?.split('\n\n')[0]?.split('\n').slice(2) ?? [];
    assert.equal(rows.length, Object.keys(GATUS_DIFFERENCES).length, 'one README row per kind of difference');
    console.log(
      `gatus compatibility: ${agree} of ${GATUS_CASES.length} Gatus cases agree; ${differing.length} deliberate differences in ${new Set(differing.map((c) => c.differs?.why)).size} kinds`,
    );
  });
});

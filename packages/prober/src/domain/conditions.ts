/**
 * Gatus-compatible conditions, parsed once at config load and evaluated
 * against what a probe observed. PURE: no I/O, no clock.
 *
 *   [STATUS] == 200
 *   [RESPONSE_TIME] < 300
 *   [BODY].checks.db[0].status == pass
 *   [BODY].items[*].status == ok          (every element must match)
 *   len([BODY].items) > 0
 *   has([BODY].errors) == false
 *   [BODY].name == pat(api-*)
 *   [STATUS] == any(200, 204)             (pat() and any() may also be on the left)
 *   [CERTIFICATE_EXPIRATION] > 48h
 *   [CONNECTED] == true   [IP] == 10.0.0.1   [DNS_RCODE] == NOERROR
 *   [DNS_TIME] < 50   [CONNECT_TIME] < 20   [TLS_TIME] < 100   [TTFB] < 200   (ms, as [RESPONSE_TIME])
 *   [HEADER].content-type == pat(application/json*)   has([HEADER].etag) == true
 *
 * This module is the public face; the parts live beside it: condition-syntax
 * (types, errors), condition-parse (the parser), condition-path (JSON paths),
 * condition-resolve (placeholders and functions), condition-compare
 * (comparison and evaluation), condition-values (values and their display).
 */

export { type ConditionResult, evaluateCondition } from './condition-compare.js';
export { createConditionLists, parseCondition } from './condition-parse.js';
export { parseJson } from './condition-path.js';
export type { ConditionContext } from './condition-resolve.js';
export {
  type Condition,
  ConditionSyntaxError,
  OPERATORS,
  type Operand,
  type Operator,
  type PathSegment,
  PLACEHOLDERS,
  type Placeholder,
} from './condition-syntax.js';
